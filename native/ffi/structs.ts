/**
 * C structs of pointers as seen from JS: a Uint32Array holding little-endian 64-bit slots
 * (pointer = lo + hi * 2^32, a bigint above 2^53), plus the argument checks shared by Get/Set.
 *
 * @example
 * ```ts
 * import { getPtr, putPtr } from "./structs.ts";
 * const s = new Uint32Array(10); // a PyMemAllocatorEx: ctx, malloc, calloc, realloc, free
 * putPtr(s, 1, 0x7f0012345678);
 * getPtr(s, 1); // 0x7f0012345678
 * ```
 * @module
 */

const TWO32 = 4294967296;

/** Writes pointer `p` as slot `i` of a little-endian pointer array held in `u32`. */
export function putPtr(u32: Uint32Array, i: number, p: number | bigint): void {
  if (typeof p === "bigint") {
    u32[2 * i] = Number(p & 0xffffffffn);
    u32[2 * i + 1] = Number(p >> 32n);
  } else {
    u32[2 * i] = p >>> 0;
    u32[2 * i + 1] = Math.floor(p / TWO32);
  }
}

/** Reads slot `i` of a pointer array (a number when exact, else a bigint). */
export function getPtr(u32: Uint32Array, i: number): number | bigint {
  const lo = u32[2 * i], hi = u32[2 * i + 1];
  if (hi < 0x200000) return lo + hi * TWO32;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** "ctx:first function" of a struct in slots (identifies what a Get returned / a Set installed). */
export function slotKey(s: Uint32Array): string {
  return `${getPtr(s, 0)}:${getPtr(s, 1)}`;
}

/** 2013 {ctx, malloc, realloc, free} -> shipped slots {ctx, malloc, calloc=NULL, realloc, free}. */
export function spread2013(s: Uint32Array): Uint32Array {
  const out = new Uint32Array(10);
  out.set(s.subarray(0, 4), 0);
  out.set(s.subarray(4, 8), 6);
  return out;
}

/** A domain argument: an int32 gives itself (the C side ignores unknown ones); any other number is unknown (null). */
export function checkDomain(domain: unknown, fn: string): number | null {
  if (typeof domain !== "number" || !Number.isInteger(domain)) {
    throw new TypeError(
      `${fn}: domain must be an integer (PYMEM_DOMAIN_RAW=0, MEM=1, OBJ=2), got ${String(domain)}`,
    );
  }
  return domain >= -(2 ** 31) && domain < 2 ** 31 ? domain : null;
}

export function checkObject(v: unknown, fn: string, type: string): void {
  if (typeof v !== "object" || v === null) {
    throw new TypeError(`${fn}: expected a ${type} object, got ${v === null ? "null" : typeof v}`);
  }
}

export function requireFn(v: unknown, what: string): void {
  if (typeof v !== "function") {
    throw new TypeError(
      `${what} must be a function, got ${v === null ? "null" : typeof v}: NULL is not allowed here`,
    );
  }
}
