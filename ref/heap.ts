/**
 * The simulated address space of the reference implementation.
 *
 * One growable `ArrayBuffer` (a resizable buffer: `new ArrayBuffer(n, { maxByteLength })`) holds every
 * byte of the world. An address is a plain `number` that indexes it; `0` is NULL. Typed-array views made
 * once over the buffer are *length-tracking*, so `heap.u8[addr]` stays valid after any growth (checked in
 * Deno and Bun by heap_test.ts).
 *
 * Layers (who takes memory from the heap):
 *
 * ```
 *   PyObject_Malloc (pymalloc.ts) --pools--> arenas (arena.ts, "mmap") --sbrk--> Heap
 *   PyMem_RawMalloc (raw.ts, "malloc") -------------------------------sbrk--> Heap
 * ```
 *
 * Both the raw allocator and the arena allocator obtain address ranges with {@link Heap.sbrk} (the Unix
 * program break of this world): ranges never overlap, and each allocator copes with the other taking the
 * range after its own (raw.ts then starts a new segment).
 *
 * Invariants: the first page `[0, 4096)` is never handed out, so small bogus pointers (NULL + offset)
 * can never name a live block; `end` never exceeds `limit`; growth never throws, it reports `false`.
 *
 * @module
 */
import type { Memory, Ptr } from "./types.ts";

const GiB = 1024 * 1024 * 1024;
/**
 * Largest limit: addresses and sizes live in 32-bit words inside the heap (raw.ts headers) and the
 * allocators use int32 bit operations on them, so every address stays below 2^31.
 */
export const MAX_HEAP_LIMIT = 2 * GiB - 65536;
/** The buffer grows in steps of this many bytes (a resize is cheap: pages are committed lazily). */
const GROW_STEP = 64 * 1024;

/** Formats an address as glibc's `%p` does: `0x` + lowercase hex (`(nil)` is not used: 0 prints `0x0`). */
export function hex(p: number): string {
  return "0x" + p.toString(16);
}

/**
 * A simulated address space: one resizable ArrayBuffer indexed by address.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * const heap = new Heap({ limit: 16 * 1024 * 1024 });
 * const base = heap.sbrk(8192, 4096);    // a fresh page-aligned range (0 when over the limit)
 * heap.write(base, [1, 2, 3]);
 * heap.u8[base + 1];                     // 2
 * heap.dv.getUint16(base, true);         // 0x0201
 * ```
 */
export class Heap implements Memory {
  /** The first page is never handed out: small bogus pointers are caught. */
  static readonly FIRST_ADDRESS = 4096;

  /** Byte view, index = address. Length-tracking: valid after growth. */
  readonly u8: Uint8Array;
  /** The same bytes for multi-byte access (pass `true` for little-endian, the x86-64 byte order). */
  readonly dv: DataView;
  /** 32-bit word view (index = address >>> 2) used by the allocators for their in-heap headers. */
  readonly u32: Uint32Array;
  /** The largest `end` the heap may reach, in bytes. */
  readonly limit: number;
  readonly #buf: ArrayBuffer;
  #brk: number = Heap.FIRST_ADDRESS;

  constructor(opts: { limit?: number; initial?: number } = {}) {
    const limit = opts.limit ?? GiB;
    if (!Number.isInteger(limit) || limit < 2 * Heap.FIRST_ADDRESS || limit > MAX_HEAP_LIMIT) {
      throw new RangeError(
        `Heap limit must be an integer in [${2 * Heap.FIRST_ADDRESS}, ${MAX_HEAP_LIMIT}] bytes, got ${limit}`,
      );
    }
    const initial = opts.initial ?? GROW_STEP;
    if (!Number.isInteger(initial) || initial < Heap.FIRST_ADDRESS || initial > limit) {
      throw new RangeError(`Heap initial size must be an integer in [4096, limit=${limit}], got ${initial}`);
    }
    this.limit = limit;
    this.#buf = new ArrayBuffer(initial, { maxByteLength: limit });
    this.u8 = new Uint8Array(this.#buf);
    this.dv = new DataView(this.#buf);
    this.u32 = new Uint32Array(this.#buf);
  }

  /** Current size of the address space: addresses `[0, end)` can be read and written. */
  get end(): number {
    return this.#buf.byteLength;
  }

  /** The break: every address at or above it is still free for {@link sbrk}. */
  get brk(): number {
    return this.#brk;
  }

  /**
   * Grows the address space so that `[0, end)` exists. Returns false (and changes nothing) when `end`
   * exceeds the limit. New bytes read as zero.
   */
  ensure(end: number): boolean {
    const buf = this.#buf;
    if (end <= buf.byteLength) return true;
    if (!(end <= this.limit)) return false; // also rejects NaN
    const step = Math.ceil(end / GROW_STEP) * GROW_STEP;
    buf.resize(step <= this.limit ? step : this.limit);
    return true;
  }

  /**
   * Hands out the fresh range `[base, base + size)` above the break, with `base` a multiple of `align`
   * (a power of two), like `sbrk`/`mmap`: the bytes read as zero unless someone poked them. Returns 0
   * (NULL) when the range would pass the limit. The alignment gap, if any, is simply skipped.
   */
  sbrk(size: number, align: number = 16): Ptr {
    const base = Math.ceil(this.#brk / align) * align;
    const end = base + size;
    if (!(size >= 0) || !this.ensure(end)) return 0;
    this.#brk = end;
    return base;
  }

  /** Copies `len` bytes at `ptr`. RangeError naming the address when the range leaves the heap. */
  read(ptr: Ptr, len: number): Uint8Array {
    this.#check(ptr, len);
    return this.u8.slice(ptr, ptr + len);
  }

  /** Writes `bytes` at `ptr`, inside or outside live blocks alike (tests poke pads on purpose). */
  write(ptr: Ptr, bytes: ArrayLike<number>): void {
    this.#check(ptr, bytes.length);
    this.u8.set(bytes, ptr);
  }

  #check(ptr: number, len: number): void {
    if (!Number.isInteger(ptr) || !Number.isInteger(len) || len < 0) {
      throw new RangeError(`heap access needs integer address and length, got ${ptr} and ${len}`);
    }
    if (ptr < 0 || ptr + len > this.#buf.byteLength) {
      throw new RangeError(
        `address ${hex(ptr)} outside the heap: [${hex(ptr)}, ${hex(ptr + len)}) is not within [0x0, ${
          hex(this.#buf.byteLength)
        })`,
      );
    }
  }
}
