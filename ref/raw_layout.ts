/**
 * The in-heap block layout of {@link RawAllocator} (raw.ts): boundary tags in the style of dlmalloc and
 * glibc's ptmalloc, kept inside the heap bytes so no block ever costs a JS object.
 *
 * ```
 *  chunk c (16-aligned)         user pointer p = c + 16 (16-aligned, what malloc returns)
 *  |                            |
 *  v                            v
 *  +-----------+----------------+-------------------------------- ... --------+
 *  | req (u32) |  0  | size|flags (u32) |  0  | user bytes (in use)           |
 *  +-----------+----------------+-------------------------------- ... --------+
 *  c+0         c+4   c+8                c+12  c+16                   c + size
 *
 *  free chunk:  c+16 = next chunk in its bin (u32, 0 = end), c+20 = previous (u32, 0 = bin head),
 *               c+size-4 = size (the footer: lets the next chunk coalesce backwards)
 * ```
 *
 * `size|flags` sits in the low half of the 8 bytes before p, where glibc keeps its size field.
 * `req` is the size the caller asked for (exact `liveBytes`). Flags live in the 4 low bits of the size
 * word (sizes are multiples of 16): INUSE, PREV_INUSE (the chunk just below is in use: its footer is not
 * valid), FENCE (a 16-byte sentinel at the end of a segment: never free, never coalesced across).
 *
 * Invariants (checked by `RawAllocator.check()`): no two free chunks are adjacent; a free chunk is never
 * followed by the top region; every free chunk is in exactly one bin; the live bitmap has exactly the
 * user pointers of the in-use chunks.
 *
 * @module
 */
import { hex } from "./heap.ts";

/** Header bytes before the user pointer. */
export const HDR = 16;
/** Smallest chunk: header + two links + footer, rounded to 16. */
export const MIN_CHUNK = 32;
export const INUSE = 1;
export const PREV_INUSE = 2;
export const FENCE = 4;
/** Mask for the size bits of a size word. */
export const SIZE_MASK = ~15;

/** Bins 0..63 hold chunks of exactly `index * 16` bytes (sizes below 1024). */
export const NSMALL = 64;
/** Above: four sub-bins per power of two, from 2^10 to 2^30 (chunks stay below 2^31, see heap.ts). */
export const NBINS = NSMALL + 21 * 4;

/**
 * The bin of a chunk size (a multiple of 16, at least 32, below 2^31): exact for small sizes,
 * then four bins per power of two so a large bin spans at most a quarter of its lower bound.
 */
export function binIndex(size: number): number {
  if (size < 1024) return size >>> 4;
  const lg = 31 - Math.clz32(size);
  return NSMALL + ((lg - 10) << 2) + ((size >>> (lg - 2)) & 3);
}

/** Chunk size serving a request of `n` bytes (0 <= n < 2^31 - 32): n + header, rounded to 16, >= 32. */
export function chunkSize(n: number): number {
  const s = (n + HDR + 15) & SIZE_MASK;
  return s < MIN_CHUNK ? MIN_CHUNK : s;
}

/**
 * A pointer handed to free/realloc/usableSize that is not a live block of this allocator: never
 * allocated, already freed (double free), an interior pointer, or another allocator's block. Thrown
 * before anything changes, so the allocator stays intact.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { InvalidPointerError, RawAllocator } from "./raw.ts";
 * const raw = new RawAllocator(new Heap());
 * const p = raw.malloc(8);
 * raw.free(p);
 * try { raw.free(p); } catch (e) { e instanceof InvalidPointerError; } // true: double free
 * ```
 */
export class InvalidPointerError extends RangeError {
  constructor(readonly func: string, readonly address: number) {
    super(
      `${func}(): invalid pointer ${
        typeof address === "number" ? hex(address) : String(address)
      }: not a live block of this allocator (never allocated, already freed, or not the start of a block)`,
    );
    this.name = "InvalidPointerError";
  }
}

/**
 * The heap bytes holding allocator metadata were overwritten (glibc aborts with a similar line).
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { HeapCorruptionError, RawAllocator } from "./raw.ts";
 * const heap = new Heap();
 * const raw = new RawAllocator(heap);
 * const p = raw.malloc(32);
 * heap.u32[(p - 8) >>> 2] = 0; // a buffer underflow clobbers the size field
 * try { raw.free(p); } catch (e) { e instanceof HeapCorruptionError; } // true
 * ```
 */
export class HeapCorruptionError extends Error {
  constructor(func: string, what: string, address: number) {
    super(`${func}(): ${what} at ${hex(address)}: heap metadata was overwritten (a write out of bounds?)`);
    this.name = "HeapCorruptionError";
  }
}
