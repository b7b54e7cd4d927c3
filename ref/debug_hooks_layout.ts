/**
 * The debug hooks' block layout and fill bytes per profile (PEP 445 "API changes", note on the builtin
 * debug hooks; cpython-facts.md §2.1-§2.2).
 *
 * ```
 *  q = what the underlying malloc returned           p = q + 2S = what the caller gets
 *  |                                                 |
 *  [ size n (big-endian size_t) | id | 7 x FORBIDDEN ][ n data bytes ][ 8 x FORBIDDEN ][ serial (BE) ]
 *    q .. q+S-1                  q+S  q+S+1..p-1       p .. p+n-1      p+n .. p+n+S-1   p+n+S .. (pep445-2013 only)
 * ```
 *
 * - `pep445-2013` (the PEP text, CPython <= 3.7): CLEANBYTE 0xCB, DEADBYTE 0xDB, FORBIDDENBYTE 0xFB, and
 *   a serial number after the tail in every block: overhead 4S = 32 bytes.
 * - `cpython` (3.8+): 0xCD / 0xDD / 0xFD, no serial number: overhead 3S = 24 bytes.
 *
 * @example
 * ```ts
 * import { debugLayout } from "./debug_hooks_layout.ts";
 * debugLayout("cpython").extra; // 24
 * ```
 * @module
 */
import { type Profile, type PyMemAllocatorEx, SST, type ViolationMode } from "./types.ts";

/** API identifiers stored at p-S (cpython-facts.md §1.3): 'r' RAW, 'm' MEM, 'o' OBJ. */
export const API_ID_RAW = 0x72;
export const API_ID_MEM = 0x6d;
export const API_ID_OBJ = 0x6f;
/** The id byte of each domain, indexed by domain number. */
export const API_IDS: readonly number[] = [API_ID_RAW, API_ID_MEM, API_ID_OBJ];

/** Fill bytes and overhead of one profile's debug hooks. */
export interface DebugLayout {
  /** Fills fresh data (malloc, realloc growth): 0xCD (cpython) or 0xCB (pep445-2013). */
  readonly clean: number;
  /** Fills freed blocks: 0xDD or 0xDB. */
  readonly dead: number;
  /** Fills the pads: 0xFD or 0xFB. */
  readonly forbidden: number;
  /** Whether a serial number follows the tail pad (PYMEM_DEBUG_SERIALNO; always up to 3.7). */
  readonly serial: boolean;
  /** PYMEM_DEBUG_EXTRA_BYTES: 3S, or 4S with the serial number. */
  readonly extra: number;
  /** 3.7+ debug realloc (save the data, mark the old block dead, realloc, restore): bpo-31626. */
  readonly saveAndMarkRealloc: boolean;
  /** MEM/OBJ hooks check the GIL (3.6+; this project's pep445-2013 profile has no GIL check). */
  readonly gilCheck: boolean;
}

const CPYTHON: DebugLayout = Object.freeze({
  clean: 0xcd,
  dead: 0xdd,
  forbidden: 0xfd,
  serial: false,
  extra: 3 * SST,
  saveAndMarkRealloc: true,
  gilCheck: true,
});

const PEP445_2013: DebugLayout = Object.freeze({
  clean: 0xcb,
  dead: 0xdb,
  forbidden: 0xfb,
  serial: true,
  extra: 4 * SST,
  saveAndMarkRealloc: false,
  gilCheck: false,
});

/** The debug layout of `profile`. */
export function debugLayout(profile: Profile): DebugLayout {
  return profile === "pep445-2013" ? PEP445_2013 : CPYTHON;
}

/** Writes `n` (a non-negative integer, exact up to 2^53) as a big-endian size_t at `addr`. */
export function writeSizeT(dv: DataView, addr: number, n: number): void {
  const hi = Math.floor(n / 0x1_0000_0000);
  dv.setUint32(addr, hi >>> 0, false);
  dv.setUint32(addr + 4, n >>> 0, false);
}

/** Reads a big-endian size_t at `addr` as a number (exact up to 2^53, approximate above). */
export function readSizeT(dv: DataView, addr: number): number {
  return dv.getUint32(addr, false) * 0x1_0000_0000 + dv.getUint32(addr + 4, false);
}

/** Reads a big-endian size_t at `addr` exactly, as a bigint (for diagnostics only). */
export function readSizeTBig(dv: DataView, addr: number): bigint {
  return dv.getBigUint64(addr, false);
}

/** Byte access by address (a Heap qualifies). Read the fields anew after each allocator call. */
export interface ByteSpace {
  readonly u8: Uint8Array;
  readonly dv: DataView;
}

/** What the hooks consult on every call: the profile, the bytes, the GIL flag, the violation mode. */
export interface DebugHost {
  readonly profile: Profile;
  readonly mem: ByteSpace;
  gilHeld: boolean;
  violation: ViolationMode;
}

/** `debug_alloc_api_t`: the ctx of a debug function: the domain's id and the allocator it wraps. */
export interface DebugAllocApi {
  readonly apiId: number;
  alloc: PyMemAllocatorEx;
}
