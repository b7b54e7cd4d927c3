/**
 * Size arguments of the PEP 445 entry points, checked with exact integer arithmetic.
 *
 * CPython (Objects/obmalloc.c, `PyMem_RawMalloc` and friends) returns NULL *before calling the
 * allocator* when `size > PY_SSIZE_T_MAX`, and the calloc entry points when
 * `elsize != 0 && nelem > PY_SSIZE_T_MAX / elsize` (cpython-facts.md §1.3). A JS value that a C `size_t`
 * could not hold (negative, fractional, NaN, not a number) is a caller bug: it throws.
 *
 * The common case (a safe non-negative integer number) never touches BigInt.
 *
 * @example
 * ```ts
 * import { checkSize, sizeTooBig } from "./sizes.ts";
 * const n = checkSize(2n ** 63n, "size"); // 9223372036854775808n
 * sizeTooBig(n); // true: the entry point returns NULL without calling the allocator
 * ```
 * @module
 */
import { PY_SSIZE_T_MAX } from "./types.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Largest size_t on a 64-bit host: a bigint above it cannot be a C size_t. */
export const SIZE_T_MAX = (1n << 64n) - 1n;

/**
 * Validates a size argument and returns it unchanged (a number when it is a safe integer, else the
 * bigint). Throws a TypeError for a non-integer type and a RangeError for a negative, fractional or
 * unsafe number, or a bigint outside [0, SIZE_MAX], naming `what`.
 */
export function checkSize(v: unknown, what: string): number | bigint {
  if (typeof v === "number") {
    if (Number.isInteger(v) && v >= 0 && v <= MAX_SAFE) return v;
    throw new RangeError(
      `${what} must be a non-negative safe integer or a bigint, got ${v}: pass sizes above 2^53 as bigint`,
    );
  }
  if (typeof v === "bigint") {
    if (v >= 0n && v <= SIZE_T_MAX) return v <= BigInt(MAX_SAFE) ? Number(v) : v;
    throw new RangeError(`${what} must be a bigint in [0, 2^64-1] (a C size_t), got ${v}`);
  }
  throw new TypeError(`${what} must be a number or bigint (a C size_t), got ${typeof v}`);
}

/** True when a checked size exceeds PY_SSIZE_T_MAX (the entry point then returns NULL). */
export function sizeTooBig(n: number | bigint): boolean {
  return typeof n === "bigint" && n > PY_SSIZE_T_MAX;
}

/** True when `nelem * elsize` would exceed PY_SSIZE_T_MAX: CPython's `nelem > PY_SSIZE_T_MAX / elsize`. */
export function callocTooBig(nelem: number | bigint, elsize: number | bigint): boolean {
  if (typeof nelem === "number" && typeof elsize === "number") {
    const p = nelem * elsize;
    if (p <= MAX_SAFE) return false; // exact, and far below PY_SSIZE_T_MAX
  }
  const e = BigInt(elsize);
  return e !== 0n && BigInt(nelem) > PY_SSIZE_T_MAX / e;
}

/** A size that passed the checks, as the number an allocator function receives (see types.ts notes). */
export function hookSize(n: number | bigint): number {
  return typeof n === "number" ? n : Number(n);
}

/**
 * A size an allocator function received, validated for passing on to another allocator (e.g. a JS hook
 * calling the C allocator it wraps). Above 2^53 such sizes arrive as rounded doubles (see types.ts
 * notes); they are integers, so they become the bigint they denote (at most SIZE_MAX). Anything else is
 * checked as {@link checkSize} does.
 */
export function checkHookSize(v: unknown, what: string): number | bigint {
  if (typeof v === "number" && v > MAX_SAFE && v !== Infinity) {
    const b = BigInt(v); // a double above 2^53 is an integer
    return b > SIZE_T_MAX ? SIZE_T_MAX : b;
  }
  return checkSize(v, what);
}
