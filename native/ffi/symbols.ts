/**
 * The symbol tables, in the neutral notation of `ffi_types.ts`: the PEP 445 API as CPython shipped it,
 * the 2013 draft API (PEP text, "API changes"), host controls of libpython, and the `allocspec_*` extras
 * of the native library (docs/contracts.md §3). Both loaders read these tables; nothing here is runtime-specific.
 *
 * @module
 */
import type { Signature, SymbolTable } from "./ffi_types.ts";
import { ENTRY_POINT_NAMES, type EntryOp, entryOp } from "../../ref/types.ts";

const S = (params: Signature["params"], result: Signature["result"]): Signature => ({ params, result });

/** Allocator-function signatures (PyMemAllocatorEx fields, PyObjectArenaAllocator fields). */
export const FN_SIGS = {
  malloc: S(["ptr", "usize"], "ptr"), // void *malloc(void *ctx, size_t size)
  calloc: S(["ptr", "usize", "usize"], "ptr"), // void *calloc(void *ctx, size_t nelem, size_t elsize)
  realloc: S(["ptr", "ptr", "usize"], "ptr"), // void *realloc(void *ctx, void *ptr, size_t new_size)
  free: S(["ptr", "ptr"], "void"), // void free(void *ctx, void *ptr)
  arenaAlloc: S(["ptr", "usize"], "ptr"), // void *alloc(void *ctx, size_t size)
  arenaFree: S(["ptr", "ptr", "usize"], "void"), // void free(void *ctx, void *ptr, size_t size)
} as const;

/** The kinds of allocator function. */
export type FnKind = keyof typeof FN_SIGS;

/** The signature of each operation's entry point: size_t arguments, no ctx. */
const ENTRY_SIGS: Readonly<Record<EntryOp, Signature>> = {
  malloc: S(["usize"], "ptr"),
  calloc: S(["usize", "usize"], "ptr"),
  realloc: S(["ptr", "usize"], "ptr"),
  free: S(["ptr"], "void"),
};

/** The twelve entry points (CPython names, ref/types.ts ENTRY_NAMES): size_t arguments, no ctx. */
export const ENTRY_POINTS: SymbolTable = Object.fromEntries(
  ENTRY_POINT_NAMES.map((name) => [name, ENTRY_SIGS[entryOp(name)]]),
);

/** CPython 3.5+ (shipped) allocator API. Structs pass by pointer (`buf`). */
export const SHIPPED_API: SymbolTable = {
  PyMem_GetAllocator: S(["i32", "buf"], "void"),
  PyMem_SetAllocator: S(["i32", "buf"], "void"),
  PyObject_GetArenaAllocator: S(["buf"], "void"),
  PyObject_SetArenaAllocator: S(["buf"], "void"),
  PyMem_SetupDebugHooks: S([], "void"),
};

/** The 2013 draft API (PEP 445 text as of June 2013). */
export const DRAFT_2013_API: SymbolTable = {
  PyMem_GetRawAllocators: S(["buf"], "void"),
  PyMem_SetRawAllocators: S(["buf"], "void"),
  PyMem_GetAllocators: S(["buf"], "void"),
  PyMem_SetAllocators: S(["buf"], "void"),
  PyObject_GetAllocators: S(["buf"], "void"),
  PyObject_SetAllocators: S(["buf"], "void"),
  _PyObject_GetArenaAllocators: S(["buf", "buf", "buf"], "void"),
  _PyObject_SetArenaAllocators: S(["ptr", "ptr", "ptr"], "void"),
  PyMem_SetupDebugHooks: S([], "void"),
};

/** Optional host controls of libpython (used by setGilHeld and initializePython when exported). */
export const PYTHON_HOST: SymbolTable = {
  Py_IsInitialized: S([], "i32"),
  Py_InitializeEx: S(["i32"], "void"),
  PyEval_SaveThread: S([], "ptr"),
  PyEval_RestoreThread: S(["ptr"], "void"),
  PyGILState_Check: S([], "i32"),
};

/** The allocspec_* extras of the native library (docs/contracts.md §3). */
export const ALLOCSPEC_EXTRAS: SymbolTable = {
  allocspec_abi_version: S([], "i32"),
  allocspec_reset: S(["i32", "i32"], "void"),
  allocspec_profile: S([], "i32"),
  allocspec_geometry: S([], "i32"),
  allocspec_set_gil_held: S(["i32"], "void"),
  allocspec_set_violation_handler: S(["ptr", "ptr"], "void"),
  allocspec_record_violations: S(["i32"], "void"),
  allocspec_violation_count: S([], "i32"),
  allocspec_violation_kind: S([], "i32"),
  allocspec_violation_address: S([], "ptr"),
  allocspec_violation_api_id: S([], "i32"),
  allocspec_violation_verified_id: S([], "i32"),
  allocspec_violation_func: S([], "ptr"),
  allocspec_violation_text: S([], "ptr"),
  allocspec_violation_clear: S([], "void"),
  allocspec_passthrough_install: S(["ptr", "ptr", "i32"], "i32"),
  allocspec_passthrough_uninstall: S([], "i32"),
  allocspec_passthrough_calls: S([], "u64"),
  allocspec_trace_install: S(["ptr", "ptr", "u64"], "i32"),
  allocspec_trace_uninstall: S([], "u64"),
  allocspec_trace_write: S(["buf"], "i32"),
  allocspec_replay: S(["buf", "u64", "u32", "buf", "buf", "i32", "buf"], "i32"),
  allocspec_libc_allocator: S(["ptr", "ptr", "ptr", "ptr"], "ptr"),
  allocspec_stress_raw: S(["i32", "i32", "u64"], "i32"),
  allocspec_mark_js_domain: S(["i32", "i32"], "void"),
};

/** The ABI version this loader speaks (allocspec_abi_version()). */
export const ALLOCSPEC_ABI_VERSION = 1;

/** Everything the native library must export. */
export const NATIVE_TABLE: SymbolTable = {
  ...ENTRY_POINTS,
  ...SHIPPED_API,
  ...DRAFT_2013_API,
  ...ALLOCSPEC_EXTRAS,
};
