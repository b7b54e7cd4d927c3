/**
 * Quick cost measurement of the loaders (not a test, not the benchmark suite): best-of-5 loops timed with
 * performance.now. Prints one line per measurement (ns per iteration).
 *
 * Usage: `deno run -A native/ffi/measure.ts [--libpython PATH]` or `bun native/ffi/measure.ts`; without
 * `--libpython`, python3's shared libpython (sysconfig), and a line saying why when there is none.
 *
 * @example
 * ```ts
 * // deno run -A native/ffi/measure.ts
 * // deno native (throw): PyMem_RawMalloc(16)+PyMem_RawFree          63.2 ns
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { loadPep445Library, openNative } from "../mod.ts";
import { findLibpython } from "../../core/python.ts";
import type { PyMemAllocatorEx } from "../../ref/types.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    libpython: { type: "string" },
    n: { type: "string", default: "1000000" },
  },
});
const N = Number(values.n);
const rt = (globalThis as any).Bun ? "bun " : "deno";

function bench(name: string, f: () => void, n = N): void {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    best = Math.min(best, ((performance.now() - t) * 1e6) / n);
  }
  console.log(`${rt} ${name.padEnd(60)} ${best.toFixed(1)} ns`);
}

for (const violation of ["throw", "abort"] as const) {
  const n = openNative({ violation });
  bench(
    `native (${violation}): PyMem_RawMalloc(16)+PyMem_RawFree`,
    () => n.PyMem_RawFree(n.PyMem_RawMalloc(16)),
  );
  bench(
    `native (${violation}): PyObject_Malloc(16)+PyObject_Free`,
    () => n.PyObject_Free(n.PyObject_Malloc(16)),
  );
  if (violation === "throw") {
    const s = (n as any).lib.symbols;
    bench(
      "native: loader symbols only (no size/violation checks)",
      () => s.PyMem_RawFree(s.PyMem_RawMalloc(16)),
    );
    const old = n.PyMem_GetAllocator(0);
    bench(
      "native: C allocator from Get called from JS (malloc+free)",
      () => old.free(old.ctx, old.malloc(old.ctx, 16)),
    );
    const hook: PyMemAllocatorEx = {
      ...old,
      malloc: (c, sz) => old.malloc(c, sz),
      free: (c, p) => old.free(c, p),
    };
    n.PyMem_SetAllocator(0, hook);
    bench(
      "native: RawMalloc+RawFree through a TS hook wrapping C",
      () => n.PyMem_RawFree(n.PyMem_RawMalloc(16)),
      N / 10,
    );
    n.PyMem_SetAllocator(0, old);
    bench("native: PyMem_GetAllocator(0)", () => void n.PyMem_GetAllocator(0), N / 10);
    bench("native: PyMem_SetAllocator(0, C allocator)", () => n.PyMem_SetAllocator(0, old), N / 10);
  }
  n.close();
}
let libpython = values.libpython;
if (!libpython) {
  try {
    libpython = findLibpython().path;
  } catch (e) {
    console.log(`libpython: not measured (${(e as Error).message})`);
  }
}
if (libpython) {
  const py = loadPep445Library(libpython);
  py.initializePython();
  bench("libpython: PyMem_RawMalloc(16)+PyMem_RawFree", () => py.PyMem_RawFree(py.PyMem_RawMalloc(16)));
  bench("libpython: PyObject_Malloc(16)+PyObject_Free", () => py.PyObject_Free(py.PyObject_Malloc(16)));
  py.close();
}
