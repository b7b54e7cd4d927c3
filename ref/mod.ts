/**
 * `ref/`: the reference implementation of PEP 445 in TypeScript, meant to be read as an executable
 * spec. Every layer is a plain object or function you can call, wrap or replace, exactly as the PEP
 * lets C code do with function pointers.
 *
 * ```
 *   caller                PyMem_RawMalloc ...     PyMem_Malloc ...      PyObject_Malloc ...
 *                                |                      |                      |
 *   entry points (entry.ts)      |  sizes checked (sizes.ts): > PY_SSIZE_T_MAX -> NULL, no call
 *                                v                      v                      v
 *   domains (domains.ts)   [RAW allocator]        [MEM allocator]        [OBJ allocator]   <- Get/Set
 *                                |                      |                      |
 *   hooks (optional)       user hooks (examples/use_case_3.ts) and/or the debug hooks
 *                          (debug_hooks*.ts: header, pads, fill bytes, checks -> diagnostics*.ts)
 *                                |                      |                      |
 *   defaults               _PyMem_RawMalloc       pymalloc (cpython)     pymalloc
 *   (default_allocators.ts)      |                or raw (pep445-2013)       |
 *                                |                                          | 0 or > 512 bytes: back
 *                                |         <--------------------------------+ through PyMem_RawMalloc
 *                                |                                          |  (PyMem_Malloc in 2013)
 *   system allocators      RawAllocator (raw.ts)          pools/arenas (pymalloc*.ts)
 *                          "malloc"                        arenas from the arena allocator
 *                                |                         (arena.ts, "mmap") <- PyObject_SetArenaAllocator
 *                                v                                  v
 *   memory                  Heap (heap.ts): one growable ArrayBuffer, address = index
 * ```
 *
 * Exported names and the PEP 445 section (of the 2013 draft text) each one implements:
 *
 * | name | PEP section |
 * |------|-------------|
 * | `createRef`, `RefOptions`, `RefPep445` | "Proposal" (the whole API as one world); "Make usage of these new APIs" (defaults per domain) |
 * | `Pep445`, `Pep445Options`, `Profile`, `PROFILES`, `Geometry`, `ViolationMode`, `Memory` | "Proposal" / "API changes" (the interface every implementation shares) |
 * | `PyMem_RawMalloc`, `PyMem_RawRealloc`, `PyMem_RawFree` (methods; `PyMem_RawCalloc` 3.5+) | "API changes": "new GIL-free memory allocator functions" |
 * | `PyMem_Malloc` ... `PyObject_Free` (methods); `ENTRY_NAMES`, `ENTRY_POINT_NAMES`, `ENTRY_OPS` (the twelve names, the one list) | "Make usage of these new APIs" |
 * | `PyMemAllocators`, `PyMem_Get/SetRawAllocators`, `PyMem_Get/SetAllocators`, `PyObject_Get/SetAllocators` | "API changes": `PyMemAllocators` and the getters/setters |
 * | `PyMemAllocatorEx`, `PyMem_GetAllocator`, `PyMem_SetAllocator`, `DOMAINS`, `DOMAIN_NAMES`, `PYMEM_DOMAIN_RAW/MEM/OBJ`, `Domain` | "Alternatives": "Only have one generic get/set function" (what CPython shipped) |
 * | `PyObjectArenaAllocator`, `_PyObject_Get/SetArenaAllocators`, `PyObject_Get/SetArenaAllocator`, `createDefaultArenaAllocator` | "API changes": memory mapping allocators; "Memory allocators" (mmap) |
 * | `PyMem_SetupDebugHooks`, `createDebugHooks`, `setupDebugHooks`, `debugLayout`, `API_IDS`, `PyMemDebugError`, `ViolationKind` | "API changes": `PyMem_SetupDebugHooks()` and the note on the builtin debug hooks |
 * | `dumpDebugBlock`, `fatalErrorText`, `formatPointer`, `violationError`, `raiseViolation` | the same note: "Detect API violations ... buffer underflow ... overflow" (CPython's text) |
 * | `rawDefaultAllocator`, `pymallocAllocator` | "Make usage of these new APIs" (malloc for RAW; pymalloc for OBJ, and MEM in CPython 3.6+) |
 * | `Pymalloc`, `PymallocFallback`, `PymallocStats`, `SMALL_REQUEST_THRESHOLD` | "Make usage of these new APIs" (PyObject_Malloc falls back for >= 512 bytes); "Memory allocators" (pymalloc arenas) |
 * | `RawAllocator`, `InvalidPointerError`, `Heap` | "Memory allocators" (malloc, the heap and fragmentation) |
 * | `NULL`, `Ptr`, `SizeArg`, `SST`, `PY_SSIZE_T_MAX`, `checkSize`, `sizeTooBig`, `callocTooBig`, `hookSize` | "API changes" (`size_t` arguments; the PY_SSIZE_T_MAX rule is CPython's) |
 * | `useCase1`, `useCase2`, `createUseCase3`, `createUseCase3Shipped` | "Examples": use cases 1, 2 and 3 |
 *
 * @example
 * ```ts
 * import { createRef, PYMEM_DOMAIN_MEM } from "./mod.ts";
 * const py = createRef({ profile: "cpython" });
 * const old = py.PyMem_GetAllocator(PYMEM_DOMAIN_MEM);
 * let calls = 0;
 * py.PyMem_SetAllocator(PYMEM_DOMAIN_MEM, { ...old, malloc: (ctx, n) => (calls++, old.malloc(ctx, n)) });
 * py.PyMem_Free(py.PyMem_Malloc(16)); // calls === 1
 * ```
 * @module
 */
export * from "./types.ts";
export { callocTooBig, checkSize, hookSize, SIZE_T_MAX, sizeTooBig } from "./sizes.ts";
export { createRef, type RefOptions, type RefPep445 } from "./ref.ts";
export { Heap, MAX_HEAP_LIMIT } from "./heap.ts";
export { HeapCorruptionError, InvalidPointerError, RawAllocator } from "./raw.ts";
export { ArenaFreeError, createDefaultArenaAllocator } from "./arena.ts";
export { Pymalloc, type PymallocFallback, type PymallocStats, SMALL_REQUEST_THRESHOLD } from "./pymalloc.ts";
export { pymallocAllocator, rawDefaultAllocator } from "./default_allocators.ts";
export { callCalloc, Domains } from "./domains.ts";
export { EntryPoints } from "./entry.ts";
export {
  type AllocatorTable,
  createDebugHooks,
  type DebugAllocApi,
  type DebugHooks,
  type DebugHost,
  setupDebugHooks,
} from "./debug_hooks.ts";
export {
  API_ID_MEM,
  API_ID_OBJ,
  API_ID_RAW,
  API_IDS,
  type DebugLayout,
  debugLayout,
} from "./debug_hooks_layout.ts";
export {
  badIdMessage,
  dumpDebugBlock,
  fatalErrorText,
  formatChar,
  formatPointer,
  tracemallocHint,
} from "./diagnostics.ts";
export { latin1Bytes, raiseViolation, violationError } from "./diagnostics_report.ts";
export * from "./examples/mod.ts";
