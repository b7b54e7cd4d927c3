/**
 * The runtime-neutral FFI notation and the low-level interface both loaders (Deno, Bun) implement.
 *
 * Layers:
 * ```
 *   Pep445 (pep445_ffi.ts, native.ts, foreign.ts)      written once
 *      |  uses FfiBackend / FfiLibrary only
 *   deno_backend.ts (Deno.dlopen)  |  bun_backend.ts (bun:ffi)   thin, chosen at run time (backend.ts)
 * ```
 *
 * Conventions of the neutral interface (what a caller sees, in both runtimes):
 * - `ptr`: a JS number (0 = NULL) in arguments and results. Native addresses fit in 47 bits.
 * - `usize` / `u64`: argument `number | bigint` (a checked non-negative integer); result a number when it is
 *   a safe integer, else a bigint.
 * - `i32` / `u32`: numbers. `void`: results only (undefined).
 * - `buf`: argument only; a TypedArray whose bytes C reads or writes during the call (structs, strings).
 *
 * @module
 */

/** A neutral FFI type name. */
export type FfiType = "void" | "i32" | "u32" | "u64" | "usize" | "ptr" | "buf";

/** A C function signature in neutral notation. */
export interface Signature {
  readonly params: readonly FfiType[];
  readonly result: FfiType;
}

/** A table of symbols: name -> signature. */
export type SymbolTable = Readonly<Record<string, Signature>>;

/** A C function callable from JS with the neutral conventions. */
// deno-lint-ignore no-explicit-any
export type NeutralFn = (...args: any[]) => any;

/** A JS function made callable from C. `ptr` is its C address; `close()` frees the trampoline. */
export interface FfiCallback {
  readonly ptr: number;
  close(): void;
}

/** A loaded shared library (symbols resolved once). */
export interface FfiLibrary {
  readonly path: string;
  /** Callers for the declared symbols the library exports (absent names are missing). */
  readonly symbols: Readonly<Record<string, NeutralFn | undefined>>;
  /** Address of a declared, exported symbol (0 when it is missing). */
  address(name: string): number;
}

/** The low-level interface each runtime implements. */
export interface FfiBackend {
  readonly runtime: "deno" | "bun";
  /**
   * Open `path` (absolute) and resolve every symbol of `table` that it exports; missing ones are left
   * undefined (the caller decides which are required). Throws an Error with the loader's reason when the
   * file cannot be loaded. The library stays loaded for the life of the process.
   */
  open(path: string, table: SymbolTable): FfiLibrary;
  /** Address of any exported symbol (function or data), 0 when missing; throws when the file cannot be loaded. */
  symbolAddress(path: string, name: string): number;
  /**
   * A C-callable trampoline for `fn`. The trampoline converts C arguments to the neutral notation
   * (`ptr` -> number, `usize`/`u64` -> number) and the JS result back (`ptr` from a number).
   * It must only be called on the JS thread. `fn` must not throw (callers wrap it).
   */
  callback(sig: Signature, fn: NeutralFn): FfiCallback;
  /** A JS function calling the C function at address `ptr` with signature `sig`. */
  fnPointer(ptr: number, sig: Signature): NeutralFn;
  /**
   * Optional: a neutral caller `thunk(fn, ...args)` that calls C function pointer `fn` with signature
   * `sig`; fnPointer then uses it instead of the runtime's pointer-call API (Deno: see fncall.ts).
   */
  registerThunk?(sig: Signature, thunk: NeutralFn): void;
  /** A zero-copy ArrayBuffer over `len` bytes of process memory at `ptr` (writes reach C memory). */
  view(ptr: number, len: number): ArrayBuffer;
  /** The 8-byte pointer stored at `addr` (a number when safe, else a bigint). */
  readPointer(addr: number): number | bigint;
  /** The NUL-terminated string at `addr` (latin1/utf8 as the runtime decodes it). */
  cstring(addr: number): string;
}

/** 2^53 - 1 as a bigint (the largest bigint that converts to an exact number). */
export const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** A bigint result as a number when exact, else unchanged. */
export function toNumberIfSafe(v: bigint): number | bigint {
  return v <= MAX_SAFE_BIG ? Number(v) : v;
}
