/**
 * The segregated free lists of {@link RawAllocator} (raw.ts): intrusive doubly linked lists threaded
 * through the free chunks themselves (links at c+16 and c+20, raw_layout.ts), one per bin, and a bitmap
 * of the non-empty bins so the next usable bin is found with a few word operations.
 *
 * Bins 2..63 are exact (chunk size = index * 16); above 1 KiB each power of two has four bins. A request
 * takes the head of its exact bin, or the first chunk that fits in its large bin, or the head of the
 * next non-empty bin (every chunk there fits): a best fit by bin, first fit within one.
 *
 * @module
 */
import { binIndex, HDR, HeapCorruptionError, NBINS, NSMALL, SIZE_MASK } from "./raw_layout.ts";

/**
 * Free-list heads and the bin bitmap over a heap's 32-bit word view.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { FreeBins } from "./raw_bins.ts";
 * const heap = new Heap();
 * const bins = new FreeBins(heap.u32);
 * const c = heap.sbrk(4096);
 * heap.u32[(c + 8) >>> 2] = 4096; heap.u32[(c + 4092) >>> 2] = 4096; // size word and footer
 * bins.insert(c, 4096);
 * bins.find(100) === c;                  // true: the next non-empty bin's head
 * bins.unlink(c, 4096, "malloc");
 * ```
 */
export class FreeBins {
  readonly heads: Uint32Array = new Uint32Array(NBINS);
  readonly map: Uint32Array = new Uint32Array((NBINS + 31) >>> 5);
  readonly #u32: Uint32Array;

  constructor(u32: Uint32Array) {
    this.#u32 = u32;
  }

  /** Pushes free chunk c (size word and footer already written) at the head of its bin. */
  insert(c: number, size: number): void {
    const u32 = this.#u32;
    const idx = binIndex(size);
    const head = this.heads[idx];
    u32[(c + 16) >>> 2] = head;
    u32[(c + 20) >>> 2] = 0;
    if (head !== 0) u32[(head + 20) >>> 2] = c;
    this.heads[idx] = c;
    this.map[idx >>> 5] |= 1 << (idx & 31);
  }

  /** Takes free chunk c out of its bin, checking links and footer first (glibc: "corrupted double-linked list"). */
  unlink(c: number, size: number, func: string): void {
    const u32 = this.#u32;
    const idx = binIndex(size);
    const next = u32[(c + 16) >>> 2];
    const prev = u32[(c + 20) >>> 2];
    if (
      (prev === 0 ? this.heads[idx] !== c : u32[(prev + 16) >>> 2] !== c) ||
      (next !== 0 && u32[(next + 20) >>> 2] !== c) || u32[(c + size - 4) >>> 2] !== size
    ) throw new HeapCorruptionError(func, "corrupted free list (links or footer)", c + HDR);
    if (prev === 0) {
      this.heads[idx] = next;
      if (next === 0) this.map[idx >>> 5] &= ~(1 << (idx & 31));
    } else u32[(prev + 16) >>> 2] = next;
    if (next !== 0) u32[(next + 20) >>> 2] = prev;
  }

  /** A free chunk of at least `s` bytes (still linked), or 0. */
  find(s: number): number {
    const u32 = this.#u32;
    const idx = binIndex(s);
    let c = this.heads[idx];
    if (idx >= NSMALL) { // a large bin spans sizes: first fit
      while (c !== 0 && (u32[(c + 8) >>> 2] & SIZE_MASK) < s) c = u32[(c + 16) >>> 2];
    }
    if (c !== 0) return c;
    // The head of the first non-empty bin above idx.
    const map = this.map;
    const from = idx + 1;
    let w = from >>> 5;
    if (w >= map.length) return 0;
    let bits = map[w] & (-1 << (from & 31));
    while (bits === 0) {
      if (++w >= map.length) return 0;
      bits = map[w];
    }
    return this.heads[(w << 5) + 31 - Math.clz32(bits & -bits)];
  }
}
