/**
 * Deno/Bun FFI loaders exposing the PEP 445 API ({@link Pep445} from ref/types.ts) over real C code:
 * the native library (`openNative`) and any library exporting CPython's allocator ABI
 * (`loadPep445Library`, e.g. libpython3.11.so). See native.ts, foreign.ts and bridge.ts for the rules
 * (ctx handles, callbacks, violation modes, threads).
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
export { openNative, NativePep445 } from "./native.ts";
export type { NativeOptions, ReplayOptions, ReplayResult } from "./native.ts";
export { entryTableOf, ForeignPep445, loadPep445Library } from "./foreign.ts";
export type { EntryTable, ForeignApi, ForeignOptions } from "./foreign.ts";
export { symbolAddress } from "./library.ts";
export { HANDLE_BASE, HANDLE_END, HANDLE_STRIDE, isHandleAddress } from "./bridge.ts";
export { ffi } from "./backend.ts";
export type { FfiBackend, FfiCallback, FfiLibrary, FfiType, Signature, SymbolTable } from "./ffi_types.ts";
export { checkSetAllocators, entryPoints, useCase3 } from "./hook_checks.ts";
export type { HookCounts } from "./hook_checks.ts";
