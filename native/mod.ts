/**
 * native/: the PEP 445 reference in C (liballocspec.so, built by build.ts) and its Deno/Bun loaders.
 * Everything here implements {@link Pep445} from ref/types.ts, like ref/ does in TypeScript.
 *
 * - `openNative(opts)`: the native library (builds it when missing or stale), with its extras (replay,
 *   C pass-through and tracing hooks, libc glue, RAW stress) — docs/contracts.md §5.
 * - `loadPep445Library(path, opts)`: any library exporting CPython's allocator symbols (libpython...).
 * - `symbolAddress(libPath, name)`: the address of a data or function symbol of any library.
 *
 * @example
 * ```ts
 * import { openNative } from "./mod.ts";
 * const n = openNative({ profile: "cpython", violation: "throw" });
 * n.PyMem_SetupDebugHooks();
 * const p = n.PyMem_Malloc(16);
 * n.PyMem_Free(p);
 * n.close();
 * ```
 * @module
 */
export * from "./ffi/mod.ts";
export { buildNative, libraryPath, nativeIsFresh } from "./build.ts";
export type { Variant } from "../core/cbuild.ts";
export type {
  Pep445,
  Pep445Options,
  PyMemAllocatorEx,
  PyMemAllocators,
  PyObjectArenaAllocator,
} from "../ref/types.ts";
export { PyMemDebugError } from "../ref/types.ts";
