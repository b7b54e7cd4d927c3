/**
 * `RawAllocator`: the system `malloc` of the simulated world (what `PyMem_RawMalloc` ends up calling in
 * CPython: "PyMem_RawMalloc() ... call malloc()", PEP 445 "Proposal").
 *
 * Design (block layout: raw_layout.ts):
 * - boundary tags inside the heap bytes, segregated free lists as intrusive links in the freed blocks
 *   (64 exact bins below 1 KiB, four bins per power of two above), a bitmap of non-empty bins;
 * - allocation: exact small bin, else first fit in the request's bin, else the head of the next non-empty
 *   bin (split, remainder back to a bin), else carve from the *top* region at the end of the current
 *   segment, growing it with `heap.sbrk`; a non-contiguous sbrk (the arena allocator took the range after
 *   us) starts a new segment closed by a 16-byte fence;
 * - free coalesces with free neighbours on both sides and with the top region;
 * - realloc shrinks in place, grows in place into a free successor or the top region, else moves;
 * - a bitmap with one bit per 16-byte granule marks the user pointers of live blocks, *outside* the heap,
 *   so invalid, double and interior frees are detected exactly, before any state changes.
 *
 * glibc semantics: malloc(0) is a unique minimal block, realloc(NULL, n) = malloc(n), realloc(p, 0)
 * frees p and returns NULL, a failed realloc leaves the block intact, calloc zeroes and returns NULL when
 * nelem * elsize is too big. Out of memory (the heap limit) is NULL, never an exception.
 *
 * @module
 */
import { Heap, hex } from "./heap.ts";
import type { Ptr } from "./types.ts";
import {
  chunkSize,
  FENCE,
  HDR,
  HeapCorruptionError,
  INUSE,
  InvalidPointerError,
  MIN_CHUNK,
  PREV_INUSE,
  SIZE_MASK,
} from "./raw_layout.ts";
import { FreeBins } from "./raw_bins.ts";
import { checkRawHeap, type RawCheckResult, type RawInternals } from "./raw_check.ts";

export { HeapCorruptionError, InvalidPointerError } from "./raw_layout.ts";

/** Bytes asked from the heap at least per growth (the rest stays in the top region). */
const GROW_MIN = 256 * 1024;

/**
 * A general-purpose allocator over a {@link Heap}: 16-byte aligned, reuses, splits and coalesces.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { RawAllocator } from "./raw.ts";
 * const heap = new Heap();
 * const raw = new RawAllocator(heap);
 * const p = raw.malloc(100);             // 16-aligned, 0 (NULL) when the heap limit is reached
 * heap.u8.fill(0xab, p, p + 100);
 * const q = raw.realloc(p, 200);         // in place when the next block is free or the heap end
 * raw.liveBlocks;                        // 1
 * raw.free(q);
 * ```
 */
export class RawAllocator {
  readonly heap: Heap;
  #u32: Uint32Array;
  /** The segregated free lists (raw_bins.ts). */
  readonly #bins: FreeBins;
  /**
   * One bit per 16-byte granule: set at the user pointer of each live block. A plain (non-resizable)
   * array, replaced by a larger copy as the heap grows: element access on a resizable buffer's view is
   * measurably slower (Bun ~1.7x), and this is on every malloc/free.
   */
  #live: Uint32Array = new Uint32Array(0);
  /** Largest bitmap ever needed (bytes): the whole heap limit. */
  readonly #liveMax: number;
  /** The top region [top, topEnd) of the current segment, closed by a fence at topEnd (segEnd = topEnd + 16). */
  #top = 0;
  #topEnd = 0;
  /** [start, end) of every segment obtained from the heap (per segment, not per block). */
  #segments: number[] = [];
  #liveBlocks = 0;
  #liveBytes = 0;

  constructor(heap: Heap) {
    this.heap = heap;
    this.#u32 = heap.u32;
    this.#bins = new FreeBins(heap.u32);
    this.#liveMax = Math.ceil(heap.limit / 512) * 4;
  }

  /** Number of live blocks (exact). */
  get liveBlocks(): number {
    return this.#liveBlocks;
  }

  /** Sum of the requested sizes of the live blocks (exact). */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Allocates `size` bytes, 16-aligned; NULL when the heap limit is reached. malloc(0) is a unique block. */
  malloc(size: number): Ptr {
    if (!(size >= 0 && size % 1 === 0)) badSize("malloc", "size", size);
    if (size > this.heap.limit) return 0;
    const c = this.#take(chunkSize(size));
    if (c === 0) return 0;
    return this.#commit(c, size);
  }

  /** Allocates nelem * elsize zeroed bytes (recycled memory too); NULL on overflow or at the limit. */
  calloc(nelem: number, elsize: number): Ptr {
    if (!(nelem >= 0 && nelem % 1 === 0)) badSize("calloc", "nelem", nelem);
    if (!(elsize >= 0 && elsize % 1 === 0)) badSize("calloc", "elsize", elsize);
    const n = nelem * elsize; // exact or huge: anything above the limit (a size_t overflow too) is NULL
    if (n > this.heap.limit) return 0;
    const p = this.malloc(n);
    if (p !== 0) this.heap.u8.fill(0, p, p + this.#usable(p));
    return p;
  }

  /**
   * Resizes the block at `ptr`. NULL ptr: malloc. size 0: free and return NULL (glibc). Shrinks in place,
   * grows in place into a free successor or the top region, else moves (copying the old usable bytes).
   * Failure returns NULL and leaves the old block intact.
   */
  realloc(ptr: Ptr, size: number): Ptr {
    if (ptr === 0) return this.malloc(size);
    if (!(size >= 0 && size % 1 === 0)) badSize("realloc", "size", size);
    if (!this.isLive(ptr)) throw new InvalidPointerError("realloc", ptr);
    if (size === 0) {
      this.free(ptr);
      return 0;
    }
    if (size > this.heap.limit) return 0;
    const u32 = this.#u32;
    const c = ptr - HDR;
    const w = this.#header(c, "realloc");
    const cur = w & SIZE_MASK;
    const s = chunkSize(size);
    if (s <= cur) {
      if (cur - s >= MIN_CHUNK) { // split: the tail goes back as a free chunk (coalesced forward)
        u32[(c + 8) >>> 2] = s | (w & 15);
        u32[(c + s + 8) >>> 2] = (cur - s) | INUSE | PREV_INUSE;
        this.#release(c + s, cur - s, (cur - s) | INUSE | PREV_INUSE);
      }
      return this.#resized(c, size);
    }
    const next = c + cur;
    if (next === this.#top) { // at the end of the segment: extend into the top region
      const need = s - cur;
      if (this.#topEnd - this.#top < need) this.#grow(need);
      if (this.#top === next && this.#topEnd - next >= need) {
        this.#top = c + s;
        u32[(c + 8) >>> 2] = s | (w & 15);
        return this.#resized(c, size);
      }
    } else {
      const nw = u32[(next + 8) >>> 2];
      const total = cur + (nw & SIZE_MASK);
      if ((nw & INUSE) === 0 && total >= s) { // absorb the free successor, give back what is left
        this.#bins.unlink(next, nw & SIZE_MASK, "realloc");
        if (total - s >= MIN_CHUNK) {
          u32[(c + 8) >>> 2] = s | (w & 15);
          this.#makeFree(c + s, total - s);
        } else {
          u32[(c + 8) >>> 2] = total | (w & 15);
          u32[(c + total + 8) >>> 2] |= PREV_INUSE;
        }
        return this.#resized(c, size);
      }
    }
    const q = this.malloc(size);
    if (q === 0) return 0;
    const keep = cur - HDR < size ? cur - HDR : size;
    this.heap.u8.copyWithin(q, ptr, ptr + keep);
    this.free(ptr);
    return q;
  }

  /** Frees a live block. free(NULL) does nothing; anything else throws {@link InvalidPointerError}. */
  free(ptr: Ptr): void {
    if (ptr === 0) return;
    if (!this.isLive(ptr)) throw new InvalidPointerError("free", ptr);
    const c = ptr - HDR;
    const w = this.#header(c, "free");
    this.#live[ptr >>> 9] &= ~(1 << ((ptr >>> 4) & 31));
    this.#liveBlocks--;
    this.#liveBytes -= this.#u32[c >>> 2];
    this.#release(c, w & SIZE_MASK, w);
  }

  /** True when `ptr` is the user pointer of a live block of this allocator (exact). */
  isLive(ptr: Ptr): boolean {
    // The bitmap covers every segment (segments only grow upwards); bits outside them are never set.
    if (!(ptr >= Heap.FIRST_ADDRESS && ptr < this.#live.length * 512) || ptr % 16 !== 0) return false;
    return ((this.#live[ptr >>> 9] >>> ((ptr >>> 4) & 31)) & 1) === 1;
  }

  /** Usable bytes of a live block (at least the requested size), like malloc_usable_size; 0 for NULL. */
  usableSize(ptr: Ptr): number {
    if (ptr === 0) return 0;
    if (!this.isLive(ptr)) throw new InvalidPointerError("malloc_usable_size", ptr);
    return this.#usable(ptr);
  }

  /** Bytes obtained from the heap so far (all segments). */
  get footprint(): number {
    let n = 0;
    const seg = this.#segments;
    for (let i = 0; i < seg.length; i += 2) n += seg[i + 1] - seg[i];
    return n;
  }

  /**
   * Walks every segment and verifies the allocator's invariants (raw_check.ts); throws an Error naming
   * the first broken one. O(heap): for tests.
   */
  check(): RawCheckResult {
    const internals: RawInternals = {
      u32: this.#u32,
      bins: this.#bins.heads,
      binmap: this.#bins.map,
      segments: this.#segments,
      top: this.#top,
      topEnd: this.#topEnd,
      liveBlocks: this.#liveBlocks,
      liveBytes: this.#liveBytes,
      live: this.#live,
    };
    return checkRawHeap(internals);
  }

  // ---- internals ---------------------------------------------------------------------------------

  #usable(ptr: number): number {
    return (this.#u32[(ptr - 8) >>> 2] & SIZE_MASK) - HDR;
  }

  /** The size word of an in-use chunk, checked against corruption before anything changes. */
  #header(c: number, func: string): number {
    const w = this.#u32[(c + 8) >>> 2];
    const size = w & SIZE_MASK;
    if ((w & (INUSE | FENCE)) !== INUSE || size < MIN_CHUNK || c + size > this.heap.end) {
      throw new HeapCorruptionError(func, `corrupted size field ${hex(w)} of the block`, c + HDR);
    }
    return w;
  }

  #commit(c: number, size: number): Ptr {
    const p = c + HDR;
    this.#u32[c >>> 2] = size;
    this.#live[p >>> 9] |= 1 << ((p >>> 4) & 31);
    this.#liveBlocks++;
    this.#liveBytes += size;
    return p;
  }

  #resized(c: number, size: number): Ptr {
    this.#liveBytes += size - this.#u32[c >>> 2];
    this.#u32[c >>> 2] = size;
    return c + HDR;
  }

  /** Finds a chunk of at least `s` bytes, marks it in use (split done); 0 when the heap is exhausted. */
  #take(s: number): number {
    const u32 = this.#u32;
    let c = this.#bins.find(s);
    if (c !== 0) {
      const size = u32[(c + 8) >>> 2] & SIZE_MASK;
      this.#bins.unlink(c, size, "malloc");
      if (size - s >= MIN_CHUNK) {
        u32[(c + 8) >>> 2] = s | INUSE | PREV_INUSE;
        this.#makeFree(c + s, size - s);
      } else {
        u32[(c + 8) >>> 2] = size | INUSE | PREV_INUSE;
        u32[(c + size + 8) >>> 2] |= PREV_INUSE;
      }
      return c;
    }
    if (this.#topEnd - this.#top < s && !this.#grow(s)) return 0;
    c = this.#top;
    this.#top = c + s;
    u32[(c + 8) >>> 2] = s | INUSE | PREV_INUSE; // the chunk below the top region is never free
    return c;
  }

  /** Frees chunk c (size, size word w): coalesces with free neighbours and the top region, then bins it. */
  #release(c: number, size: number, w: number): void {
    const u32 = this.#u32;
    if ((w & PREV_INUSE) === 0) {
      const psize = u32[(c - 4) >>> 2];
      c -= psize;
      size += psize;
      this.#bins.unlink(c, psize, "free");
    }
    const next = c + size;
    if (next === this.#top) {
      this.#top = c;
      return;
    }
    const nw = u32[(next + 8) >>> 2];
    if ((nw & INUSE) === 0) {
      this.#bins.unlink(next, nw & SIZE_MASK, "free");
      size += nw & SIZE_MASK;
    }
    this.#makeFree(c, size);
  }

  /** Writes a free chunk (prev in use) whose successor is in use, and puts it in its bin. */
  #makeFree(c: number, size: number): void {
    const u32 = this.#u32;
    u32[(c + 8) >>> 2] = size | PREV_INUSE;
    u32[(c + size - 4) >>> 2] = size;
    u32[(c + size + 8) >>> 2] &= ~PREV_INUSE;
    this.#bins.insert(c, size);
  }

  /**
   * Makes the top region at least `need` bytes long. Extends the current segment when the heap's break is
   * right after it, else starts a new segment (the old top becomes a free chunk). False at the limit.
   */
  #grow(need: number): boolean {
    const heap = this.heap;
    const segEnd = this.#topEnd + HDR;
    const contiguous = this.#segments.length > 0 && heap.brk === segEnd;
    const min = contiguous ? need - (this.#topEnd - this.#top) : need + HDR;
    let inc = min < GROW_MIN ? GROW_MIN : (min + 4095) & ~4095;
    let base = heap.sbrk(inc, 16);
    if (base === 0) base = heap.sbrk(inc = (min + 15) & SIZE_MASK, 16);
    if (base === 0) return false;
    const u32 = this.#u32;
    if (base === segEnd && contiguous) {
      this.#topEnd += inc;
      this.#segments[this.#segments.length - 1] += inc;
    } else {
      if (this.#segments.length > 0) this.#retireTop();
      this.#segments.push(base, base + inc);
      this.#top = base;
      this.#topEnd = base + inc - HDR;
    }
    u32[(this.#topEnd + 8) >>> 2] = HDR | INUSE | FENCE | PREV_INUSE;
    const words = Math.ceil((this.#topEnd + HDR) / 512);
    if (words * 4 > this.#live.byteLength) this.#live = grownBitmap(this.#live, words * 4, this.#liveMax);
    return true;
  }

  /** The old segment's top region becomes a free chunk (or a 16-byte fence) before a new segment starts. */
  #retireTop(): void {
    const r = this.#topEnd - this.#top;
    if (r >= MIN_CHUNK) this.#makeFree(this.#top, r);
    else if (r === HDR) this.#u32[(this.#top + 8) >>> 2] = HDR | INUSE | FENCE | PREV_INUSE;
    this.#top = this.#topEnd;
  }
}

/** A copy of `old` at least `need` bytes long (pages of 4096, at least doubled, at most `max` bytes). */
export function grownBitmap(old: Uint32Array, need: number, max: number): Uint32Array {
  let bytes = Math.ceil(need / 4096) * 4096;
  if (bytes < old.byteLength * 2) bytes = old.byteLength * 2;
  if (bytes > max) bytes = max;
  const a = new Uint32Array(bytes >>> 2);
  a.set(old);
  return a;
}

function badSize(func: string, what: string, v: unknown): never {
  throw new RangeError(`${func}(): ${what} must be a non-negative integer number of bytes, got ${String(v)}`);
}
