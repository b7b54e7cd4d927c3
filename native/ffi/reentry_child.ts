/**
 * Child process of reentry_test.ts: a JS allocator that calls back into C without end (an allocator whose
 * malloc calls PyMem_RawMalloc, which calls it again: what CPython's debug hooks do when a hook wraps them
 * and PyMem_SetupDebugHooks() is called again, cpython-facts.md §2.7) until the JS stack overflows. The
 * process must survive it (Deno 2.9 panicked when the exception escaped a callback with a usize result);
 * prints one line `survived: <what the outer call gave>`.
 *
 * @example
 * ```sh
 * deno run -A native/ffi/reentry_child.ts   # or: bun native/ffi/reentry_child.ts
 * ```
 * @module
 */
import process from "node:process";
import { openNative } from "./native.ts";

const n = openNative({ profile: "cpython" });
const below = n.PyMem_GetAllocator(0);
let depth = 0;
n.PyMem_SetAllocator(0, {
  ctx: null,
  malloc: (_c, size) => (depth++, n.PyMem_RawMalloc(size)),
  calloc: below.calloc,
  realloc: below.realloc,
  free: below.free,
});
let outcome: string;
try {
  outcome = `returned ${n.PyMem_RawMalloc(8)}`;
} catch (e) {
  outcome = `threw ${(e as Error).name}`;
}
n.PyMem_SetAllocator(0, below);
console.log(`survived: ${outcome} after ${depth} nested calls`);
process.exit(0);
