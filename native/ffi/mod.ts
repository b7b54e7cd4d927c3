/**
 * Deno/Bun FFI loaders exposing the PEP 445 API ({@link Pep445} from ref/types.ts) over real C code:
 * the native library (`openNative`) and any library exporting CPython's allocator ABI
 * (`loadPep445Library`, e.g. libpython3.11.so).
 *
 * ```
 *   native.ts (openNative, extras)   foreign.ts (loadPep445Library)
 *              \                    /
 *          pep445_ffi.ts (Pep445 once)  -- bridge.ts (ctx handles, callbacks), structs.ts, memory.ts
 *                        |
 *   symbols.ts (neutral table) -> backend.ts -> deno_backend.ts | bun_backend.ts (+ fncall.c thunks in Deno)
 * ```
 *
 * Rules (details in the files named):
 * - Pointers are numbers (0 = NULL); sizes are checked with ref/sizes.ts, then passed to C unchanged.
 * - ctx: null <-> NULL; numbers/bigints are raw pointers; any other value crosses as a handle
 *   `2^52 + 16k` (HANDLE_BASE..HANDLE_END, above the 47-bit user address space) and comes back identical.
 * - A JS function installed by Set is a C callback, cached per function (Get returns the same object);
 *   a C pointer from Get is a JS wrapper calling C, cached per address, installed back as the raw pointer.
 *   Callbacks live until close()/reset(). **JS callbacks are main-thread only**: the loader marks domains
 *   holding JS (allocspec_mark_js_domain) and allocspec_stress_raw refuses a RAW allocator reaching JS.
 * - A throw inside a JS allocator never unwinds through C: C gets NULL, the entry point rethrows it.
 * - Violations: native "throw" = recorder + PyMemDebugError; "abort" = CPython's print + abort().
 *   Foreign libraries: always "abort" (CPython's debug hooks). GIL: native allocspec_set_gil_held;
 *   libpython PyEval_SaveThread/RestoreThread (after initializePython()).
 *
 * @example
 * ```ts
 * import { openNative, loadPep445Library } from "./mod.ts";
 * const n = openNative({ profile: "cpython" });
 * const p = n.PyMem_RawMalloc(16);
 * n.PyMem_RawFree(p);
 * n.close();
 * ```
 * @module
 */
export { NativePep445, openNative } from "./native.ts";
export type { NativeOptions, ReplayOptions, ReplayResult } from "./native.ts";
export { entryTableOf, ForeignPep445, loadPep445Library } from "./foreign.ts";
export type { EntryTable, ForeignApi, ForeignOptions } from "./foreign.ts";
export { symbolAddress } from "./library.ts";
export { HANDLE_BASE, HANDLE_END, HANDLE_STRIDE, isHandleAddress } from "./bridge.ts";
export { ffi } from "./backend.ts";
export { dieWithParent, ownProcessGroup } from "./lifetime.ts";
export type { FfiBackend, FfiCallback, FfiLibrary, FfiType, Signature, SymbolTable } from "./ffi_types.ts";
export { checkSetAllocators, entryPoints, useCase3 } from "./hook_checks.ts";
export type { HookCounts } from "./hook_checks.ts";
