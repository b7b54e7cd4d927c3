/**
 * The PEP 445 API as a TypeScript interface: the one contract that `ref/` implements in TypeScript,
 * that the `native/` loaders implement over FFI (for the native build and for any library exporting
 * CPython's allocator ABI, libpython included), and that conformance adapters hand to cases.
 *
 * Names keep their C spelling (`PyMem_RawMalloc`, `PyMem_SetAllocator`) so TypeScript, C, the PEP and
 * the tests grep alike.
 *
 * Host conventions (the same for every implementation of {@link Pep445}):
 * - A pointer is a plain `number`; `0` is NULL (`NULL` below). Native addresses fit in 47 bits.
 * - A size given to an entry point (`PyMem_Malloc(n)`) is `number | bigint`: a non-negative safe integer
 *   or a non-negative bigint. Sizes above `PY_SSIZE_T_MAX` are legal inputs and give NULL *without calling
 *   the allocator* (CPython's rule). Anything else (negative, fractional, NaN, a string) throws a
 *   `TypeError` / `RangeError` naming the argument: CPython's `size_t` cannot express it.
 * - A size given to an allocator function (a hook) is a `number`. Sizes that reach an allocator are at
 *   most PY_SSIZE_T_MAX; one above 2^53 arrives rounded to the nearest double (no simulated or real heap
 *   here can satisfy it, so the allocator's answer is NULL either way).
 * - `ctx` is opaque: any JS value. Native loaders map a JS value to a handle when it crosses into C and
 *   back when it returns, so `Get` gives back exactly what `Set` stored (identity, `===`).
 * - A domain set through the 2013 draft API (`PyMemAllocators`, no calloc) has `calloc === null`; the
 *   `*Calloc` entry points then allocate with `malloc(nelem * elsize)` and zero the block themselves.
 * - `PyMem_GetAllocator` on an unknown domain returns an allocator whose five fields are all null
 *   (CPython writes NULL to every field); `PyMem_SetAllocator` on an unknown domain is ignored.
 *
 * @module
 */

/** An address; 0 is NULL. */
export type Ptr = number;
/** NULL. */
export const NULL: Ptr = 0;

/** A size or count accepted by an entry point: non-negative safe integer or non-negative bigint. */
export type SizeArg = number | bigint;

/** `PyMemAllocatorDomain` (CPython `Include/cpython/pymem.h`). */
export const PYMEM_DOMAIN_RAW = 0;
export const PYMEM_DOMAIN_MEM = 1;
export const PYMEM_DOMAIN_OBJ = 2;
/** One of the three domains (an unknown domain is any other number). */
export type Domain = typeof PYMEM_DOMAIN_RAW | typeof PYMEM_DOMAIN_MEM | typeof PYMEM_DOMAIN_OBJ;
export const DOMAINS: readonly Domain[] = [PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ];
export const DOMAIN_NAMES: Record<Domain, "RAW" | "MEM" | "OBJ"> = { 0: "RAW", 1: "MEM", 2: "OBJ" };

/** The four operations of an allocator, in the order of PyMemAllocatorEx's function fields. */
export const ENTRY_OPS = ["malloc", "calloc", "realloc", "free"] as const;
/** One of {@link ENTRY_OPS}. */
export type EntryOp = typeof ENTRY_OPS[number];

/**
 * The twelve entry points (CPython's names, PEP 445 "Proposal" and "Make usage of these new APIs"), per
 * operation, indexed by domain (RAW, MEM, OBJ): the one list TypeScript has of them.
 */
export const ENTRY_NAMES = {
  malloc: ["PyMem_RawMalloc", "PyMem_Malloc", "PyObject_Malloc"],
  calloc: ["PyMem_RawCalloc", "PyMem_Calloc", "PyObject_Calloc"],
  realloc: ["PyMem_RawRealloc", "PyMem_Realloc", "PyObject_Realloc"],
  free: ["PyMem_RawFree", "PyMem_Free", "PyObject_Free"],
} as const;

/** The name of an entry point. */
export type EntryPointName = typeof ENTRY_NAMES[EntryOp][number];

/** The twelve names: RAW's malloc, calloc, realloc, free, then MEM's, then OBJ's. */
export const ENTRY_POINT_NAMES: readonly EntryPointName[] = DOMAINS.flatMap((d) =>
  ENTRY_OPS.map((op) => ENTRY_NAMES[op][d])
);

/** The operation of an entry point (e.g. `PyObject_Calloc` -> "calloc"). */
export function entryOp(name: EntryPointName): EntryOp {
  return ENTRY_OPS.find((op) => (ENTRY_NAMES[op] as readonly string[]).includes(name))!;
}

/** `PY_SSIZE_T_MAX` on 64-bit: 2^63 - 1. */
export const PY_SSIZE_T_MAX = (1n << 63n) - 1n;
/** `sizeof(size_t)`: the "S" of CPython's debug-hook layout. */
export const SST = 8;

export type MallocFn = (ctx: any, size: number) => Ptr;
export type CallocFn = (ctx: any, nelem: number, elsize: number) => Ptr;
export type ReallocFn = (ctx: any, ptr: Ptr, newSize: number) => Ptr;
export type FreeFn = (ctx: any, ptr: Ptr) => void;

/** CPython 3.5+ `PyMemAllocatorEx`: ctx, malloc, calloc, realloc, free (this field order is the ABI). */
export interface PyMemAllocatorEx {
  ctx: any;
  malloc: MallocFn;
  /** null when the domain was set through the 2013 draft API (see module notes). */
  calloc: CallocFn | null;
  realloc: ReallocFn;
  free: FreeFn;
}

/** The 2013 draft's `PyMemAllocators` (PEP 445 text, "API changes"): no calloc. */
export interface PyMemAllocators {
  ctx: any;
  malloc: MallocFn;
  realloc: ReallocFn;
  free: FreeFn;
}

/** `PyObjectArenaAllocator`: ctx, alloc(ctx, size), free(ctx, ptr, size) (header order: ptr, then size). */
export interface PyObjectArenaAllocator {
  ctx: any;
  alloc: (ctx: any, size: number) => Ptr;
  free: (ctx: any, ptr: Ptr, size: number) => void;
}

/**
 * Profiles. `pep445-2013`: the draft text and CPython <= 3.7 debug hooks (fill bytes 0xCB/0xDB/0xFB, a
 * serial number in every debug block, MEM defaults to the raw allocator, PyObject_Malloc falls back to
 * PyMem_Malloc, no GIL check, the pre-3.7 debug realloc). `cpython`: as shipped, 3.8+ bytes and 3.11 text
 * (0xCD/0xDD/0xFD, no serial number, MEM defaults to pymalloc, fallback to PyMem_RawMalloc, GIL check).
 */
export type Profile = "pep445-2013" | "cpython";
export const PROFILES: readonly Profile[] = ["pep445-2013", "cpython"];

/** pymalloc geometry: the PEP's (256 KiB arenas, 4 KiB pools, 8-byte alignment) or CPython 3.10+ 64-bit. */
export type Geometry = "pep445" | "cpython310";

/** What a detected misuse does: throw a {@link PyMemDebugError} (default in-process) or print and abort. */
export type ViolationMode = "throw" | "abort";

/** Options shared by every implementation's constructor/loader. */
export interface Pep445Options {
  profile?: Profile; // default "cpython"
  /** default: "pep445" for profile pep445-2013, "cpython310" for cpython. */
  geometry?: Geometry;
  violation?: ViolationMode; // default "throw"
}

/** The kinds of violation the debug hooks detect (CPython's `Fatal Python error:` reasons). */
export type ViolationKind = "bad_id" | "bad_leading_pad" | "bad_trailing_pad" | "no_gil";

/**
 * A violation detected by the debug hooks. `text` is CPython's full diagnostic: the
 * `_PyObject_DebugDumpAddress` dump (absent for no_gil) and the `Fatal Python error: ...` block.
 */
export class PyMemDebugError extends Error {
  constructor(
    readonly kind: ViolationKind,
    /** p: the address the caller passed. */
    readonly address: Ptr,
    /** the function named in the fatal line, e.g. `_PyMem_DebugRawFree`. */
    readonly func: string,
    /** the API id byte found in the block (for bad_id), else the domain's id. */
    readonly apiId: number,
    /** the API id of the domain that verified the block. */
    readonly verifiedId: number,
    readonly text: string,
  ) {
    super(text.split("\n").find((l) => l.startsWith("Fatal Python error:")) ?? text);
    this.name = "PyMemDebugError";
  }
}

/** Byte access to the implementation's address space (simulated heap or real process memory). */
export interface Memory {
  /** Copy `len` bytes starting at `ptr`. */
  read(ptr: Ptr, len: number): Uint8Array;
  /** Write `bytes` at `ptr` (outside live blocks too: tests poke pads on purpose). */
  write(ptr: Ptr, bytes: ArrayLike<number>): void;
}

/**
 * The PEP 445 surface: CPython's shipped API, the 2013 draft API, and the host controls a test needs.
 *
 * @example
 * ```ts
 * import { createRef, PYMEM_DOMAIN_RAW } from "./mod.ts";
 * const py = createRef({ profile: "cpython" });
 * const p = py.PyMem_RawMalloc(16);
 * py.PyMem_RawFree(p);
 * ```
 */
export interface Pep445 {
  readonly name: string;
  readonly profile: Profile;
  readonly geometry: Geometry;
  readonly memory: Memory;

  // Entry points (CPython names). Sizes are checked before any allocator is called.
  PyMem_RawMalloc(size: SizeArg): Ptr;
  PyMem_RawCalloc(nelem: SizeArg, elsize: SizeArg): Ptr;
  PyMem_RawRealloc(ptr: Ptr, newSize: SizeArg): Ptr;
  PyMem_RawFree(ptr: Ptr): void;
  PyMem_Malloc(size: SizeArg): Ptr;
  PyMem_Calloc(nelem: SizeArg, elsize: SizeArg): Ptr;
  PyMem_Realloc(ptr: Ptr, newSize: SizeArg): Ptr;
  PyMem_Free(ptr: Ptr): void;
  PyObject_Malloc(size: SizeArg): Ptr;
  PyObject_Calloc(nelem: SizeArg, elsize: SizeArg): Ptr;
  PyObject_Realloc(ptr: Ptr, newSize: SizeArg): Ptr;
  PyObject_Free(ptr: Ptr): void;

  // As CPython shipped it (3.5+).
  PyMem_GetAllocator(domain: number): PyMemAllocatorEx;
  PyMem_SetAllocator(domain: number, allocator: PyMemAllocatorEx): void;
  PyObject_GetArenaAllocator(): PyObjectArenaAllocator;
  PyObject_SetArenaAllocator(allocator: PyObjectArenaAllocator): void;
  PyMem_SetupDebugHooks(): void;

  // The 2013 draft (PEP 445 text, "API changes").
  PyMem_GetRawAllocators(): PyMemAllocators;
  PyMem_SetRawAllocators(allocators: PyMemAllocators): void;
  PyMem_GetAllocators(): PyMemAllocators;
  PyMem_SetAllocators(allocators: PyMemAllocators): void;
  PyObject_GetAllocators(): PyMemAllocators;
  PyObject_SetAllocators(allocators: PyMemAllocators): void;
  _PyObject_GetArenaAllocators(): PyObjectArenaAllocator;
  _PyObject_SetArenaAllocators(
    ctx: any,
    malloc: (ctx: any, size: number) => Ptr,
    free: (ctx: any, ptr: Ptr, size: number) => void,
  ): void;

  // Host controls.
  /** Whether the calling thread holds the GIL (checked by the MEM/OBJ debug hooks, cpython profile). */
  setGilHeld(held: boolean): void;
  setViolationMode(mode: ViolationMode): void;
  /** Release everything this instance holds (native: the FFI callbacks and handles). Idempotent. */
  close(): void;
}
