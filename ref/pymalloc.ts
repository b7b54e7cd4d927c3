/**
 * pymalloc: CPython's small-object allocator (`Objects/obmalloc.c`: `_PyObject_Malloc`, `_PyObject_Calloc`,
 * `_PyObject_Realloc`, `_PyObject_Free`), the default allocator of the OBJ domain (PEP 445: "PyObject_Malloc()
 * ... uses pymalloc"), transcribed function by function over the simulated heap.
 *
 * ```
 *   Pymalloc.malloc(n)  1 <= n <= 512 --> usedpools[idx] --> pool free list / bump --> block
 *        |                                     | no used pool
 *        |                                     v
 *        |                      usable_arenas (sorted by ascending nfreepools) --> freepools / carve
 *        |                                     | no usable arena
 *        |                                     v
 *        |                      arena() .alloc(ctx, ARENA_SIZE)  (the *current* arena allocator)
 *        v n == 0, n > 512, or no arena
 *   fallback.malloc(n)   (PyMem_RawMalloc in CPython 3.x, PyMem_Malloc in the 2013 draft)
 * ```
 *
 * Pools live in heap memory with CPython's pool_header (pymalloc_geometry.ts); free blocks are linked
 * through their first 8 bytes. Arena objects (one per arena, reused) are the only JS objects. Stricter
 * than CPython: a bitmap of live block starts (outside the heap) makes a double or interior free of a
 * pymalloc address throw {@link InvalidPointerError} instead of corrupting the pool.
 *
 * @module
 */
import { Heap, hex } from "./heap.ts";
import { HeapCorruptionError, InvalidPointerError } from "./raw_layout.ts";
import { grownBitmap } from "./raw.ts";
import type { Geometry, Ptr, PyObjectArenaAllocator } from "./types.ts";
import { ArenaMap } from "./pymalloc_arena_map.ts";
import {
  pymallocParams,
  SMALL_REQUEST_THRESHOLD,
  W_COUNT,
  W_FREEBLOCK,
  W_MAXNEXTOFFSET,
  W_NEXTOFFSET,
  W_NEXTPOOL,
  W_PREVPOOL,
  W_SZIDX,
} from "./pymalloc_geometry.ts";
import { ArenaList } from "./pymalloc_arenas.ts";

export { SMALL_REQUEST_THRESHOLD } from "./pymalloc_geometry.ts";

/** Where requests pymalloc does not serve go (and frees/reallocs of pointers it does not own). */
export interface PymallocFallback {
  malloc(n: number): Ptr;
  calloc(nelem: number, elsize: number): Ptr;
  realloc(p: Ptr, n: number): Ptr;
  free(p: Ptr): void;
}

/** pymalloc's counters (exact; pools and blocks are counted by walking the arenas). */
export interface PymallocStats {
  /** `ntimes_arena_allocated`. */
  arenasAllocated: number;
  arenasFreed: number;
  /** `narenas_currently_allocated`. */
  arenasLive: number;
  /** Pools holding some but not all of their blocks (on a usedpools list). */
  poolsUsed: number;
  /** Pools with every block allocated (on no list). */
  poolsFull: number;
  /** Pools that held blocks and are empty again (on their arena's `freepools`); never-carved pools are not counted. */
  poolsEmpty: number;
  /** Blocks handed out by pymalloc and not freed (the fallback's blocks are not counted). */
  blocksLive: number;
}

/**
 * CPython's obmalloc over a {@link Heap}.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { RawAllocator } from "./raw.ts";
 * import { createDefaultArenaAllocator } from "./arena.ts";
 * import { Pymalloc } from "./pymalloc.ts";
 * const heap = new Heap();
 * const raw = new RawAllocator(heap);
 * const arenas = createDefaultArenaAllocator(heap);
 * const obj = new Pymalloc(heap, "cpython310", () => arenas, raw);
 * const p = obj.malloc(16);     // from a pool: obj.owns(p) === true
 * const q = obj.malloc(1000);   // > 512: from raw, obj.owns(q) === false
 * obj.free(p); obj.free(q);
 * obj.stats().arenasLive;       // 1: the last arena is kept (bpo-37257)
 * ```
 */
export class Pymalloc {
  readonly ARENA_SIZE: number;
  readonly POOL_SIZE: number;
  readonly ALIGNMENT: number;
  readonly ALIGNMENT_SHIFT: number;
  readonly POOL_OVERHEAD: number;
  readonly NB_SMALL_SIZE_CLASSES: number;
  readonly geometry: Geometry;
  readonly heap: Heap;
  readonly #u32: Uint32Array;
  readonly #u8: Uint8Array;
  readonly #fallback: PymallocFallback;
  readonly #shift: number;
  /** ~POOL_SIZE_MASK: POOL_ADDR(p) = p & #poolBase. */
  readonly #poolBase: number;
  /** usedpools[idx]: first pool of the size class with free blocks (0: none). Links in the pool headers. */
  readonly #usedpools: Uint32Array;
  readonly #arenas: ArenaList;
  readonly #map: ArenaMap;
  /** One bit per ALIGNMENT granule: set at each live pymalloc block. */
  #live: Uint32Array = new Uint32Array(0);
  /** Largest bitmap ever needed (bytes). Plain arrays, replaced on growth: see raw.ts `grownBitmap`. */
  readonly #liveMax: number;

  constructor(
    heap: Heap,
    geometry: Geometry,
    arena: () => PyObjectArenaAllocator,
    fallback: PymallocFallback,
  ) {
    const g = pymallocParams(geometry);
    this.geometry = geometry;
    this.ARENA_SIZE = g.ARENA_SIZE;
    this.POOL_SIZE = g.POOL_SIZE;
    this.ALIGNMENT = g.ALIGNMENT;
    this.ALIGNMENT_SHIFT = g.ALIGNMENT_SHIFT;
    this.POOL_OVERHEAD = g.POOL_OVERHEAD;
    this.NB_SMALL_SIZE_CLASSES = g.NB_SMALL_SIZE_CLASSES;
    this.heap = heap;
    this.#u32 = heap.u32;
    this.#u8 = heap.u8;
    this.#fallback = fallback;
    this.#shift = g.ALIGNMENT_SHIFT;
    this.#poolBase = ~(g.POOL_SIZE - 1);
    this.#usedpools = new Uint32Array(g.NB_SMALL_SIZE_CLASSES);
    this.#map = new ArenaMap(heap, g.ARENA_SIZE);
    this.#arenas = new ArenaList(heap, g, arena, this.#map, (end) => this.#cover(end));
    this.#liveMax = Math.ceil(heap.limit / g.ALIGNMENT / 32) * 4;
  }

  /** `_PyObject_Malloc`: a pool block for 1..512 bytes, else (or when no arena can be had) the fallback. */
  malloc(n: number): Ptr {
    if (n >= 1 && n <= SMALL_REQUEST_THRESHOLD) {
      const bp = this.#alloc((n - 1) >> this.#shift);
      if (bp !== 0) return bp;
    }
    return this.#fallback.malloc(n);
  }

  /** `_PyObject_Calloc`: a zeroed pool block for 1..512 bytes, else `fallback.calloc(nelem, elsize)`. */
  calloc(nelem: number, elsize: number): Ptr {
    const n = nelem * elsize;
    if (n >= 1 && n <= SMALL_REQUEST_THRESHOLD) {
      const bp = this.#alloc((n - 1) >> this.#shift);
      if (bp !== 0) {
        this.#u8.fill(0, bp, bp + n); // memset(ptr, 0, nbytes)
        return bp;
      }
    }
    return this.#fallback.calloc(nelem, elsize);
  }

  /**
   * `_PyObject_Realloc`: NULL -> malloc; not ours -> `fallback.realloc`; in place when
   * `n <= size && 4 * n > 3 * size` (pymalloc_realloc: shrinking by less than 25% keeps the block);
   * else malloc(n) + copy min(size, n) + free (n = 0 thus takes `malloc(0)`, i.e. the fallback).
   */
  realloc(p: Ptr, n: number): Ptr {
    if (p === 0) return this.malloc(n);
    if (!this.owns(p)) return this.#fallback.realloc(p, n);
    this.#checkLive(p, "_PyObject_Realloc");
    let size = (this.#u32[((p & this.#poolBase) >>> 2) + W_SZIDX] + 1) << this.#shift;
    if (n <= size) {
      if (4 * n > 3 * size) return p;
      size = n;
    }
    const bp = this.malloc(n);
    if (bp !== 0) {
      this.#u8.copyWithin(bp, p, p + size);
      this.#free(p);
    }
    return bp;
  }

  /** `_PyObject_Free`: a pool block goes back to its pool; any other pointer to `fallback.free`. */
  free(p: Ptr): void {
    if (p === 0) return;
    if (!this.owns(p)) return this.#fallback.free(p);
    // #checkLive inlined (hot path)
    if (((this.#live[p >>> (this.#shift + 5)] >>> ((p >>> this.#shift) & 31)) & 1) === 0) {
      throw new InvalidPointerError("_PyObject_Free", p);
    }
    this.#free(p);
  }

  /** `address_in_range(p)`: p lies inside an arena pymalloc currently holds (exact, arena map). */
  owns(p: Ptr): boolean {
    if ((p | 0) !== p) return false;
    // ArenaMap.isUsed inlined (hot path: every free and realloc asks)
    const m = this.#map, i = p >>> m.shift;
    if (!(i < m.hi.length)) return false;
    const hi = m.hi[i], t = p & m.mask;
    return t < m.lo[i] || (t >= hi && hi !== 0);
  }

  /** Block size serving a live pymalloc block (INDEX2SIZE of its pool's szidx). */
  blockSize(p: Ptr): number {
    if (!this.owns(p)) throw new InvalidPointerError("pymalloc block size", p);
    this.#checkLive(p, "pymalloc block size");
    return (this.#u32[((p & this.#poolBase) >>> 2) + W_SZIDX] + 1) << this.#shift;
  }

  /** Exact counters (walks the live arenas' carved pools). */
  stats(): PymallocStats {
    return this.#arenas.stats();
  }

  /** `usable_arenas` in list order: sorted by ascending `nfreepools` (for tests and diagnostics). */
  usableArenas(): { address: number; nfreepools: number; ntotalpools: number }[] {
    return this.#arenas.usableArenas();
  }

  // ---- pymalloc_alloc ------------------------------------------------------------------------------

  #alloc(idx: number): Ptr {
    const u32 = this.#u32;
    const pool = this.#usedpools[idx];
    let bp: number;
    if (pool !== 0) {
      // There is a used pool for this size class: pick up the head block of its free list.
      const pw = pool >>> 2;
      bp = u32[pw + W_FREEBLOCK];
      const next = this.#link(bp, pool); // checked before anything changes
      u32[pw + W_COUNT]++;
      u32[pw + W_FREEBLOCK] = next;
      if (next === 0) this.#poolExtend(pool, pw, idx);
    } else {
      bp = this.#allocateFromNewPool(idx);
      if (bp === 0) return 0;
    }
    this.#live[bp >>> (this.#shift + 5)] |= 1 << ((bp >>> this.#shift) & 31);
    return bp;
  }

  /** The free-list link stored in block bp of `pool`, checked to stay inside the pool. */
  #link(bp: number, pool: number): number {
    const next = this.#u32[bp >>> 2];
    if (next !== 0 && (next & this.#poolBase) !== pool) {
      throw new HeapCorruptionError("_PyObject_Malloc", `free-list link ${hex(next)} leaves its pool`, bp);
    }
    return next;
  }

  /** pymalloc_pool_extend: bump nextoffset for one more virgin block, or unlink the now-full pool. */
  #poolExtend(pool: number, pw: number, idx: number): void {
    const u32 = this.#u32;
    const off = u32[pw + W_NEXTOFFSET];
    if (off <= u32[pw + W_MAXNEXTOFFSET]) { // there is room for another block
      const fb = pool + off;
      u32[pw + W_FREEBLOCK] = fb;
      u32[pw + W_NEXTOFFSET] = off + ((idx + 1) << this.#shift);
      u32[fb >>> 2] = 0;
      u32[(fb >>> 2) + 1] = 0;
      return;
    }
    this.#unlinkUsed(pw, idx); // the pool is full: it lives on no list
  }

  /** allocate_from_new_pool: a pool from the first usable arena (cached free pool first, else carved). */
  #allocateFromNewPool(idx: number): Ptr {
    const pool = this.#arenas.takePool();
    if (pool === 0) return 0;
    const u32 = this.#u32;
    const pw = pool >>> 2;
    this.#pushUsed(pool, pw, idx); // frontlink to used pools (the list was empty)
    u32[pw + W_COUNT] = 1;
    if (u32[pw + W_SZIDX] === idx) {
      // Luckily, this pool last contained blocks of the same size class: header and free list are ready.
      const bp = u32[pw + W_FREEBLOCK];
      u32[pw + W_FREEBLOCK] = this.#link(bp, pool);
      return bp;
    }
    // Initialise the header; the free list holds just the second block; return the first.
    const size = (idx + 1) << this.#shift;
    const bp = pool + this.POOL_OVERHEAD;
    u32[pw + W_SZIDX] = idx;
    u32[pw + W_NEXTOFFSET] = this.POOL_OVERHEAD + (size << 1);
    u32[pw + W_MAXNEXTOFFSET] = this.POOL_SIZE - size;
    u32[pw + W_FREEBLOCK] = bp + size;
    u32[(bp + size) >>> 2] = 0;
    u32[((bp + size) >>> 2) + 1] = 0;
    return bp;
  }

  // ---- pymalloc_free -------------------------------------------------------------------------------

  #checkLive(p: number, func: string): void {
    if (((this.#live[p >>> (this.#shift + 5)] >>> ((p >>> this.#shift) & 31)) & 1) === 0) {
      throw new InvalidPointerError(func, p);
    }
  }

  #free(p: number): void {
    const u32 = this.#u32;
    this.#live[p >>> (this.#shift + 5)] &= ~(1 << ((p >>> this.#shift) & 31));
    const pool = p & this.#poolBase;
    const pw = pool >>> 2;
    // Link p to the start of the pool's free list.
    const lastfree = u32[pw + W_FREEBLOCK];
    u32[p >>> 2] = lastfree;
    u32[(p >>> 2) + 1] = 0;
    u32[pw + W_FREEBLOCK] = p;
    const count = --u32[pw + W_COUNT];
    if (lastfree === 0) {
      // The pool was full, so it lived on no list: link it to the front of its usedpools list.
      this.#pushUsed(pool, pw, u32[pw + W_SZIDX]);
      return;
    }
    if (count !== 0) return;
    // The pool is empty: unlink it from usedpools and give it back to its arena (insert_to_freepool).
    this.#unlinkUsed(pw, u32[pw + W_SZIDX]);
    this.#arenas.returnPool(pool);
  }

  #pushUsed(pool: number, pw: number, idx: number): void {
    const u32 = this.#u32;
    const head = this.#usedpools[idx];
    u32[pw + W_NEXTPOOL] = head;
    u32[pw + W_PREVPOOL] = 0;
    if (head !== 0) u32[(head >>> 2) + W_PREVPOOL] = pool;
    this.#usedpools[idx] = pool;
  }

  #unlinkUsed(pw: number, idx: number): void {
    const u32 = this.#u32;
    const next = u32[pw + W_NEXTPOOL], prev = u32[pw + W_PREVPOOL];
    if (prev === 0) this.#usedpools[idx] = next;
    else u32[(prev >>> 2) + W_NEXTPOOL] = next;
    if (next !== 0) u32[(next >>> 2) + W_PREVPOOL] = prev;
  }

  /** Grows the live bitmap so it covers addresses below `end`. */
  #cover(end: number): void {
    const bytes = Math.ceil(end / this.ALIGNMENT / 32) * 4;
    if (bytes > this.#live.byteLength) this.#live = grownBitmap(this.#live, bytes, this.#liveMax);
  }
}
