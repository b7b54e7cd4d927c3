/**
 * pymalloc's tunables (CPython `Objects/obmalloc.c`) for the two geometries this project models, and the
 * in-heap layout of a pool header.
 *
 * | geometry     | ARENA_SIZE | POOL_SIZE | ALIGNMENT | size classes | where                                |
 * |--------------|-----------:|----------:|----------:|-------------:|--------------------------------------|
 * | `pep445`     |    256 KiB |     4 KiB |         8 |           64 | CPython 3.3-3.7 (the PEP's "256 KB") |
 * | `cpython310` |      1 MiB |    16 KiB |        16 |           32 | CPython 3.10+ on 64-bit (radix tree) |
 *
 * SMALL_REQUEST_THRESHOLD is 512 in both. Size class `idx = (n - 1) >> ALIGNMENT_SHIFT` serves blocks of
 * `(idx + 1) << ALIGNMENT_SHIFT` bytes (`INDEX2SIZE`).
 *
 * `struct pool_header` on 64-bit (sizeof 48; every pointer field is 8 bytes, this world's addresses
 * fit in the low half, the high half is written as 0):
 *
 * ```
 *   0  union { block *_padding; uint count; } ref;   number of allocated blocks
 *   8  block *freeblock;                             head of the pool's free list
 *  16  struct pool_header *nextpool;                 next pool of this size class (or on freepools)
 *  24  struct pool_header *prevpool;                 previous pool of this size class
 *  32  uint arenaindex;                              index of the arena in arenas[]
 *  36  uint szidx;                                   size class index
 *  40  uint nextoffset;                              bytes to the first never-used block
 *  44  uint maxnextoffset;                           largest valid nextoffset (POOL_SIZE - size)
 * ```
 *
 * POOL_OVERHEAD = `_Py_SIZE_ROUND_UP(sizeof(struct pool_header), ALIGNMENT)` = 48 for both alignments,
 * so a pool holds `(POOL_SIZE - 48) / size` blocks: 1021 of 16 bytes in a 16 KiB pool (cpython-facts §4).
 *
 * @module
 */
import type { Geometry } from "./types.ts";

/** `SMALL_REQUEST_THRESHOLD`: larger requests (and 0) go to the fallback allocator. */
export const SMALL_REQUEST_THRESHOLD = 512;
/** `sizeof(struct pool_header)` on 64-bit. */
export const POOL_HEADER_SIZE = 48;

/** Byte offsets of the pool header fields (see the module doc). */
export const POOL_COUNT = 0;
export const POOL_FREEBLOCK = 8;
export const POOL_NEXTPOOL = 16;
export const POOL_PREVPOOL = 24;
export const POOL_ARENAINDEX = 32;
export const POOL_SZIDX = 36;
export const POOL_NEXTOFFSET = 40;
export const POOL_MAXNEXTOFFSET = 44;
/** The same offsets as indexes into `heap.u32` relative to `pool >>> 2`. */
export const W_COUNT = 0, W_FREEBLOCK = 2, W_NEXTPOOL = 4, W_PREVPOOL = 6;
export const W_ARENAINDEX = 8, W_SZIDX = 9, W_NEXTOFFSET = 10, W_MAXNEXTOFFSET = 11;
/** `DUMMY_SIZE_IDX`: szidx of a freshly carved pool that never held blocks. */
export const DUMMY_SIZE_IDX = 0xffff;

/** The derived constants of one geometry. */
export interface PymallocParams {
  readonly geometry: Geometry;
  readonly ARENA_SIZE: number;
  readonly POOL_SIZE: number;
  readonly ALIGNMENT: number;
  readonly ALIGNMENT_SHIFT: number;
  readonly POOL_OVERHEAD: number;
  readonly NB_SMALL_SIZE_CLASSES: number;
  readonly MAX_POOLS_IN_ARENA: number;
}

/** `_Py_SIZE_ROUND_UP(n, a)` for a power of two `a`. */
export function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * The constants of a geometry; throws a RangeError naming the valid values for anything else.
 *
 * @example
 * ```ts
 * import { pymallocParams } from "./pymalloc_geometry.ts";
 * const g = pymallocParams("cpython310");
 * (g.POOL_SIZE - g.POOL_OVERHEAD) / 16; // 1021 blocks of 16 bytes per pool
 * ```
 */
export function pymallocParams(geometry: Geometry): PymallocParams {
  let ARENA_SIZE: number, POOL_SIZE: number, ALIGNMENT_SHIFT: number;
  if (geometry === "pep445") [ARENA_SIZE, POOL_SIZE, ALIGNMENT_SHIFT] = [256 << 10, 4 << 10, 3];
  else if (geometry === "cpython310") [ARENA_SIZE, POOL_SIZE, ALIGNMENT_SHIFT] = [1 << 20, 16 << 10, 4];
  else {throw new RangeError(
      `unknown pymalloc geometry ${JSON.stringify(geometry)}: use "pep445" or "cpython310"`,
    );}
  const ALIGNMENT = 1 << ALIGNMENT_SHIFT;
  return {
    geometry,
    ARENA_SIZE,
    POOL_SIZE,
    ALIGNMENT,
    ALIGNMENT_SHIFT,
    POOL_OVERHEAD: roundUp(POOL_HEADER_SIZE, ALIGNMENT),
    NB_SMALL_SIZE_CLASSES: SMALL_REQUEST_THRESHOLD / ALIGNMENT,
    MAX_POOLS_IN_ARENA: ARENA_SIZE / POOL_SIZE,
  };
}
