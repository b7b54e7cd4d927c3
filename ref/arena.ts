/**
 * The default arena allocator: the `mmap`/`munmap` of the simulated world.
 *
 * CPython's default `PyObjectArenaAllocator` is `_PyObject_ArenaMmap` / `_PyObject_ArenaMunmap`
 * (`mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`; cpython-facts.md §4), and
 * PEP 445 ("Proposal", new functions) lets a program replace it with `PyObject_SetArenaAllocator()`.
 * Like mmap, {@link PageMapper} hands out page-aligned (4096), zero-filled ranges, rounds sizes up to whole
 * pages, reuses unmapped ranges (first fit, coalesced), and fails with NULL when the heap is exhausted or
 * the size is 0 (mmap: EINVAL). Unlike munmap, a free whose pointer or size differs from what alloc
 * returned throws: it is always a bug in an arena allocator's caller.
 *
 * @module
 */
import { Heap, hex } from "./heap.ts";
import type { Ptr, PyObjectArenaAllocator } from "./types.ts";

/** The page size of the simulated world. */
export const PAGE_SIZE = 4096;

/**
 * An arena allocator was asked to free something it never handed out (or with another size).
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { ArenaFreeError, PageMapper } from "./arena.ts";
 * const pages = new PageMapper(new Heap());
 * const a = pages.map(8192);
 * try { pages.unmap(a, 4096); } catch (e) { e instanceof ArenaFreeError; } // true: size mismatch
 * ```
 */
export class ArenaFreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArenaFreeError";
  }
}

/**
 * Page-granular mappings carved from a {@link Heap} (per mapping bookkeeping: arenas are few and big).
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { PageMapper } from "./arena.ts";
 * const pages = new PageMapper(new Heap());
 * const a = pages.map(256 * 1024);      // page-aligned, zeroed; 0 (NULL) when out of memory
 * pages.unmap(a, 256 * 1024);            // must be the same pointer and size
 * pages.map(256 * 1024) === a;           // true: the range is reused
 * ```
 */
export class PageMapper {
  readonly heap: Heap;
  /** Live mappings: address -> the size alloc was called with. */
  readonly #live = new Map<number, number>();
  /** Unmapped ranges as [start, end) pairs, sorted by address, never adjacent (coalesced). */
  #holes: number[] = [];
  #mappedBytes = 0;
  #maps = 0;
  #unmaps = 0;

  constructor(heap: Heap) {
    this.heap = heap;
  }

  /**
   * Maps `size` bytes (rounded up to pages), zero-filled; NULL for 0 or when the heap is exhausted.
   * A reused range is zeroed here; a fresh one from `heap.sbrk` is zero unless someone wrote past the
   * break (undefined behaviour in C too), which is not worth a 1 MiB memset per arena.
   */
  map(size: number): Ptr {
    if (!(size > 0 && size % 1 === 0) || size > this.heap.limit) return 0;
    const len = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    const holes = this.#holes;
    let p = 0;
    for (let i = 0; i < holes.length; i += 2) {
      if (holes[i + 1] - holes[i] >= len) {
        p = holes[i];
        if (holes[i + 1] - p === len) holes.splice(i, 2);
        else holes[i] += len;
        this.heap.u8.fill(0, p, p + len); // mmap gives zero-filled pages
        break;
      }
    }
    // A fresh range above the break reads as zero already (nothing owns it, so nothing wrote it).
    if (p === 0) p = this.heap.sbrk(len, PAGE_SIZE);
    if (p === 0) return 0;
    this.#live.set(p, size);
    this.#mappedBytes += len;
    this.#maps++;
    return p;
  }

  /** Unmaps a mapping; `size` must be the size it was mapped with. NULL is ignored (CPython 3.13+). */
  unmap(ptr: Ptr, size: number): void {
    if (ptr === 0) return;
    const had = this.#live.get(ptr);
    if (had === undefined) {
      throw new ArenaFreeError(
        `arena free(): ${hex(ptr)} was not returned by this arena allocator's alloc (or was already freed)`,
      );
    }
    if (had !== size) {
      throw new ArenaFreeError(
        `arena free(): ${
          hex(ptr)
        } was allocated with size ${had} but freed with size ${size}: pass the same size`,
      );
    }
    this.#live.delete(ptr);
    const len = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    this.#mappedBytes -= len;
    this.#unmaps++;
    this.#addHole(ptr, ptr + len);
  }

  /** True when `ptr` is the start of a live mapping. */
  isMapped(ptr: Ptr): boolean {
    return this.#live.has(ptr);
  }

  /** Mapping counters: live mappings, bytes they cover (page-rounded), maps and unmaps so far. */
  stats(): { live: number; mappedBytes: number; maps: number; unmaps: number } {
    return { live: this.#live.size, mappedBytes: this.#mappedBytes, maps: this.#maps, unmaps: this.#unmaps };
  }

  #addHole(start: number, end: number): void {
    const h = this.#holes;
    let i = 0;
    while (i < h.length && h[i] < start) i += 2;
    const joinPrev = i > 0 && h[i - 1] === start;
    const joinNext = i < h.length && h[i] === end;
    if (joinPrev && joinNext) {
      h[i - 1] = h[i + 1];
      h.splice(i, 2);
    } else if (joinPrev) h[i - 1] = end;
    else if (joinNext) h[i] = start;
    else h.splice(i, 0, start, end);
  }
}

/**
 * The default `PyObjectArenaAllocator` over `heap`: `ctx` is a {@link PageMapper}, `alloc(ctx, size)` maps,
 * `free(ctx, ptr, size)` unmaps (and throws {@link ArenaFreeError} on a pointer/size mismatch).
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { createDefaultArenaAllocator } from "./arena.ts";
 * const arenas = createDefaultArenaAllocator(new Heap());
 * const a = arenas.alloc(arenas.ctx, 1 << 20);
 * arenas.free(arenas.ctx, a, 1 << 20);
 * ```
 */
export function createDefaultArenaAllocator(heap: Heap): PyObjectArenaAllocator {
  return { ctx: new PageMapper(heap), alloc: arenaMmap, free: arenaMunmap };
}

/** `_PyObject_ArenaMmap` of this world. */
function arenaMmap(ctx: PageMapper, size: number): Ptr {
  return ctx.map(size);
}

/** `_PyObject_ArenaMunmap` of this world. */
function arenaMunmap(ctx: PageMapper, ptr: Ptr, size: number): void {
  ctx.unmap(ptr, size);
}
