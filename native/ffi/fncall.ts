/**
 * Fast calls through C function pointers for the Deno loader (see fncall.c): Deno 2.9's
 * `UnsafeFnPointer.call` takes a slow path (~1.1 µs per call), so a JS wrapper of a C allocator function
 * (what PyMem_GetAllocator returns) calls an exported thunk `allocspec_ffi_call_<kind>(fn, args...)`
 * instead, through a regular dlopen'ed symbol (V8 fast call). The thunks are compiled on first use into
 * `native/build/ffi/liballocspec_fncall.so` (or `$ALLOCSPEC_CACHE_DIR/native/ffi/`; rebuilt when fncall.c is newer). Without a C compiler the
 * loader keeps using UnsafeFnPointer: same results, slower. Bun's `CFunction` is fast already: not used there.
 *
 * @example
 * ```ts
 * import { enableFnCallThunks } from "./fncall.ts";
 * enableFnCallThunks(); // true in Deno when the thunks are active
 * ```
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_DIR, buildShared } from "../../core/cbuild.ts";
import { ffi } from "./backend.ts";
import type { Signature } from "./ffi_types.ts";
import { FN_SIGS, type FnKind } from "./symbols.ts";

const SOURCE = fileURLToPath(new URL("./fncall.c", import.meta.url));
/** Where the thunk library is built. */
export const FNCALL_LIBRARY: string = join(BUILD_DIR, "ffi", "liballocspec_fncall.so");

const THUNKS: Record<Exclude<FnKind, "arenaAlloc">, string> = {
  malloc: "allocspec_ffi_call_malloc",
  calloc: "allocspec_ffi_call_calloc",
  realloc: "allocspec_ffi_call_realloc",
  free: "allocspec_ffi_call_free",
  arenaFree: "allocspec_ffi_call_arena_free",
};

let state: boolean | undefined;

/** Builds (if needed), loads and registers the thunks once per process; false when unavailable. */
export function enableFnCallThunks(): boolean {
  if (state !== undefined) return state;
  state = false;
  if (ffi.runtime !== "deno" || !ffi.registerThunk) return state;
  try {
    buildShared({ sources: [SOURCE], output: FNCALL_LIBRARY, flags: ["-O2"] });
    const table: Record<string, Signature> = {};
    for (const [kind, name] of Object.entries(THUNKS)) {
      const sig = FN_SIGS[kind as FnKind];
      table[name] = { params: ["ptr", ...sig.params], result: sig.result };
    }
    const lib = ffi.open(FNCALL_LIBRARY, table);
    for (const [kind, name] of Object.entries(THUNKS)) {
      const f = lib.symbols[name];
      if (!f) return state;
      ffi.registerThunk(FN_SIGS[kind as FnKind], f);
    }
    state = true;
  } catch {
    state = false; // no compiler or not loadable: UnsafeFnPointer stays in use
  }
  return state;
}
