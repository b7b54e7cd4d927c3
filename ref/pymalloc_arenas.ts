/**
 * pymalloc's arena management (obmalloc.c: `new_arena`, the arena half of `allocate_from_new_pool` and of
 * `insert_to_freepool`), transcribed with CPython's names.
 *
 * - `allarenas[]` holds one {@link ArenaObject} per arena slot; it starts with INITIAL_ARENA_OBJECTS (16)
 *   and doubles. Unused slots form the `unused_arena_objects` stack (a released slot is reused first).
 * - `usable_arenas` is a doubly linked list of the arenas with free pools, sorted by ascending
 *   `nfreepools`, so allocation drains the most used arena and nearly empty arenas get a chance to be
 *   released; `nfp2lasta[nf]` is the rightmost arena with `nf` free pools, making re-sorting O(1)
 *   (bpo-37029, 3.8).
 * - When every pool of an arena is free, the arena goes back to the arena allocator, except when it is
 *   the last arena of `usable_arenas` (bpo-37257, 3.8): one wholly free arena is kept against thrashing.
 * - Arenas come from, and go back to, the *current* arena allocator (`arena()`), so a
 *   `PyObject_SetArenaAllocator()` takes effect for the next arena (PEP 445, "Proposal").
 *
 * @module
 */
import { type Heap, hex } from "./heap.ts";
import type { PyObjectArenaAllocator } from "./types.ts";
import type { ArenaMap } from "./pymalloc_arena_map.ts";
import {
  DUMMY_SIZE_IDX,
  type PymallocParams,
  W_ARENAINDEX,
  W_COUNT,
  W_FREEBLOCK,
  W_NEXTPOOL,
  W_PREVPOOL,
  W_SZIDX,
} from "./pymalloc_geometry.ts";

/** `INITIAL_ARENA_OBJECTS`. */
export const INITIAL_ARENA_OBJECTS = 16;

/**
 * `struct arena_object`: the bookkeeping of one arena (a JS object per arena slot, never per block).
 *
 * @example
 * ```ts
 * import { ArenaObject } from "./pymalloc_arenas.ts";
 * const ao = new ArenaObject(0); // slot 0 of allarenas[], unassociated until new_arena fills it
 * ao.address === 0;               // true
 * ```
 */
export class ArenaObject {
  /** Base address as returned by the arena allocator; 0 when the slot is unassociated. */
  address = 0;
  /** Next never-carved pool. */
  poolAddress = 0;
  nfreepools = 0;
  ntotalpools = 0;
  /** Singly linked (through the pool headers' nextpool) list of emptied pools. */
  freepools = 0;
  nextarena: ArenaObject | null = null;
  prevarena: ArenaObject | null = null;
  constructor(readonly index: number) {}
}

/**
 * The arenas of one pymalloc instance: hands out pools, takes back empty ones, obtains and releases arenas.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { createDefaultArenaAllocator } from "./arena.ts";
 * import { ArenaMap } from "./pymalloc_arena_map.ts";
 * import { ArenaList } from "./pymalloc_arenas.ts";
 * import { pymallocParams } from "./pymalloc_geometry.ts";
 * const heap = new Heap();
 * const g = pymallocParams("pep445");
 * const arenas = createDefaultArenaAllocator(heap);
 * const list = new ArenaList(heap, g, () => arenas, new ArenaMap(heap, g.ARENA_SIZE), () => {});
 * const pool = list.takePool(); // a pool-aligned pool of a fresh arena (0 when no arena can be had)
 * ```
 */
export class ArenaList {
  readonly #u32: Uint32Array;
  readonly #g: PymallocParams;
  readonly #arena: () => PyObjectArenaAllocator;
  readonly #map: ArenaMap;
  readonly #cover: (end: number) => void;
  readonly #heap: Heap;
  readonly #all: ArenaObject[] = [];
  #unused: ArenaObject | null = null;
  #usable: ArenaObject | null = null;
  readonly #nfp2lasta: (ArenaObject | null)[];
  #allocated = 0;
  #freed = 0;

  constructor(
    heap: Heap,
    g: PymallocParams,
    arena: () => PyObjectArenaAllocator,
    map: ArenaMap,
    cover: (end: number) => void,
  ) {
    this.#heap = heap;
    this.#u32 = heap.u32;
    this.#g = g;
    this.#arena = arena;
    this.#map = map;
    this.#cover = cover;
    this.#nfp2lasta = new Array(g.MAX_POOLS_IN_ARENA + 1).fill(null);
  }

  /** The arena half of `allocate_from_new_pool`: a free or freshly carved pool, or 0 (no arena). */
  takePool(): number {
    const nfp2lasta = this.#nfp2lasta;
    let ua = this.#usable;
    if (ua === null) {
      ua = this.#newArena();
      if (ua === null) return 0;
      ua.nextarena = ua.prevarena = null;
      this.#usable = ua;
      nfp2lasta[ua.nfreepools] = ua;
    }
    // This arena already has the smallest nfreepools, so taking a pool keeps the list sorted.
    if (nfp2lasta[ua.nfreepools] === ua) nfp2lasta[ua.nfreepools] = null; // the last of its count
    if (ua.nfreepools > 1) nfp2lasta[ua.nfreepools - 1] = ua; // it will be the new smallest
    const u32 = this.#u32;
    let pool = ua.freepools;
    if (pool !== 0) { // a cached free pool
      ua.freepools = u32[(pool >>> 2) + W_NEXTPOOL];
    } else { // carve off a new pool
      pool = ua.poolAddress;
      const pw = pool >>> 2;
      u32[pw + W_ARENAINDEX] = ua.index;
      u32[pw + W_SZIDX] = DUMMY_SIZE_IDX;
      u32[pw + W_COUNT + 1] =
        u32[pw + W_FREEBLOCK + 1] =
        u32[pw + W_NEXTPOOL + 1] =
        u32[pw + W_PREVPOOL + 1] =
          0;
      ua.poolAddress += this.#g.POOL_SIZE;
    }
    if (--ua.nfreepools === 0) { // the arena is wholly allocated: off usable_arenas
      this.#usable = ua.nextarena;
      if (this.#usable !== null) this.#usable.prevarena = null;
    }
    return pool;
  }

  /** The arena half of `insert_to_freepool`: `pool` is empty and already off its usedpools list. */
  returnPool(pool: number): void {
    const u32 = this.#u32;
    const nfp2lasta = this.#nfp2lasta;
    const ao = this.#all[u32[(pool >>> 2) + W_ARENAINDEX]];
    u32[(pool >>> 2) + W_NEXTPOOL] = ao.freepools;
    ao.freepools = pool;
    let nf = ao.nfreepools;
    // If this is the rightmost arena with this number of free pools, nfp2lasta[nf] moves left or empties.
    const lastnf = nfp2lasta[nf];
    if (lastnf === ao) {
      const p = ao.prevarena;
      nfp2lasta[nf] = p !== null && p.nfreepools === nf ? p : null;
    }
    ao.nfreepools = ++nf;

    const after = ao.nextarena;
    if (nf === ao.ntotalpools && after !== null) {
      // Case 1: all pools free and not the last arena of the list: release the arena.
      if (ao.prevarena === null) this.#usable = after;
      else ao.prevarena.nextarena = after;
      after.prevarena = ao.prevarena;
      ao.nextarena = this.#unused; // the slot is reusable
      this.#unused = ao;
      this.#map.mark(ao.address, false);
      const address = ao.address;
      ao.address = 0;
      this.#freed++;
      const a = this.#arena();
      a.free(a.ctx, address, this.#g.ARENA_SIZE);
      return;
    }
    if (nf === 1) {
      // Case 2: the arena was full (on no list): it now has the fewest free pools, put it at the head.
      ao.nextarena = this.#usable;
      ao.prevarena = null;
      if (this.#usable !== null) this.#usable.prevarena = ao;
      this.#usable = ao;
      if (nfp2lasta[1] === null) nfp2lasta[1] = ao;
      return;
    }
    if (nfp2lasta[nf] === null) nfp2lasta[nf] = ao;
    // Case 3: it was the rightmost of the old count: the list is still sorted.
    if (ao === lastnf) return;
    // Case 4: move ao to the right of lastnf, the rightmost arena with the old count.
    const next = ao.nextarena!;
    if (ao.prevarena !== null) ao.prevarena.nextarena = next;
    else this.#usable = next;
    next.prevarena = ao.prevarena;
    ao.prevarena = lastnf;
    ao.nextarena = lastnf!.nextarena;
    if (ao.nextarena !== null) ao.nextarena.prevarena = ao;
    lastnf!.nextarena = ao;
  }

  /** `usable_arenas` in list order (for tests and stats). */
  usableArenas(): { address: number; nfreepools: number; ntotalpools: number }[] {
    const out = [];
    for (let a = this.#usable; a !== null; a = a.nextarena) {
      out.push({ address: a.address, nfreepools: a.nfreepools, ntotalpools: a.ntotalpools });
    }
    return out;
  }

  /** Exact counters: walks the carved pools of every live arena. */
  stats() {
    const { POOL_SIZE, POOL_OVERHEAD, ALIGNMENT_SHIFT } = this.#g;
    const u32 = this.#u32;
    let arenasLive = 0, poolsUsed = 0, poolsFull = 0, poolsEmpty = 0, blocksLive = 0;
    for (const ao of this.#all) {
      if (ao.address === 0) continue;
      arenasLive++;
      for (
        let pool = Math.ceil(ao.address / POOL_SIZE) * POOL_SIZE;
        pool < ao.poolAddress;
        pool += POOL_SIZE
      ) {
        const count = u32[(pool >>> 2) + W_COUNT];
        if (count === 0) { // emptied: on the arena's freepools list
          poolsEmpty++;
          continue;
        }
        const size = (u32[(pool >>> 2) + W_SZIDX] + 1) << ALIGNMENT_SHIFT;
        if (count === Math.floor((POOL_SIZE - POOL_OVERHEAD) / size)) poolsFull++;
        else poolsUsed++;
        blocksLive += count;
      }
    }
    return {
      arenasAllocated: this.#allocated,
      arenasFreed: this.#freed,
      arenasLive,
      poolsUsed,
      poolsFull,
      poolsEmpty,
      blocksLive,
    };
  }

  /** `new_arena`: an arena object for a fresh arena from the current arena allocator, or null. */
  #newArena(): ArenaObject | null {
    if (this.#unused === null) { // grow allarenas (CPython reallocs the array with PyMem_RawRealloc)
      const all = this.#all;
      const maxarenas = all.length;
      const numarenas = maxarenas ? maxarenas << 1 : INITIAL_ARENA_OBJECTS;
      for (let i = maxarenas; i < numarenas; i++) all.push(new ArenaObject(i));
      for (let i = maxarenas; i < numarenas - 1; i++) all[i].nextarena = all[i + 1];
      this.#unused = all[maxarenas];
    }
    const { ARENA_SIZE, POOL_SIZE, MAX_POOLS_IN_ARENA } = this.#g;
    const a = this.#arena();
    const address = a.alloc(a.ctx, ARENA_SIZE);
    if (address === 0 || address === null || address === undefined) return null;
    this.#checkArena(address);
    const ao = this.#unused!;
    this.#unused = ao.nextarena;
    this.#map.mark(address, true);
    this.#cover(address + ARENA_SIZE);
    this.#allocated++;
    ao.address = address;
    ao.freepools = 0;
    ao.poolAddress = address;
    ao.nfreepools = MAX_POOLS_IN_ARENA;
    const excess = address & (POOL_SIZE - 1);
    if (excess !== 0) { // pool-align pool_address: the partial first pool is lost
      ao.nfreepools--;
      ao.poolAddress += POOL_SIZE - excess;
    }
    ao.ntotalpools = ao.nfreepools;
    return ao;
  }

  /** An arena must be addressable heap memory that overlaps no live arena. */
  #checkArena(address: number): void {
    const size = this.#g.ARENA_SIZE;
    if (
      typeof address !== "number" || (address | 0) !== address || address < 4096 ||
      address + size > this.#heap.end
    ) {
      throw new RangeError(
        `the arena allocator returned ${
          typeof address === "number" ? hex(address) : String(address)
        } for ${size} bytes: not a range of this heap (an arena allocator must return heap addresses or NULL)`,
      );
    }
    if (this.#map.isUsed(address) || this.#map.isUsed(address + size - 1)) {
      throw new RangeError(
        `the arena allocator returned ${hex(address)}, overlapping an arena pymalloc holds`,
      );
    }
  }
}
