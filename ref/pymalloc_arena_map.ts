/**
 * `address_in_range()` of CPython 3.10+ (obmalloc.c, `WITH_PYMALLOC_RADIX_TREE`): an exact answer to
 * "does p lie inside an arena pymalloc currently holds?", never reading pool memory.
 *
 * CPython's radix tree ends in one leaf per ARENA_SIZE-aligned slot of the address space holding
 * `{int32 tail_hi, tail_lo}`. An arena starting at `base` covers at most two slots: with
 * `tail = base & ARENA_SIZE_MASK`, an aligned arena (tail 0) sets `tail_hi = -1` in its slot; an unaligned
 * one sets `tail_hi = tail` in the slot of `base` and `tail_lo = tail` in the next slot. Then p is in an
 * arena iff, with `t = p & ARENA_SIZE_MASK` and the leaf of p's slot, `t < lo || (t >= hi && hi != 0)`.
 * The address space of this world is at most 2 GiB, so the "tree" is two flat Int32Arrays of slots.
 *
 * @module
 */
import type { Heap } from "./heap.ts";

/**
 * The arena map: mark/unmark arena bases, ask whether an address is inside a marked arena.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { ArenaMap } from "./pymalloc_arena_map.ts";
 * const map = new ArenaMap(new Heap(), 1 << 20);
 * map.mark(0x123000, true);          // an arena not aligned to ARENA_SIZE: spans two slots
 * map.isUsed(0x123000 + (1 << 20) - 1); // true
 * map.isUsed(0x123000 + (1 << 20));     // false
 * ```
 */
export class ArenaMap {
  /** log2(ARENA_SIZE) (read directly by Pymalloc.owns, the hot path). */
  readonly shift: number;
  /** ARENA_SIZE - 1. */
  readonly mask: number;
  /** tail_hi per slot (treat as read-only outside this class). */
  readonly hi: Int32Array;
  /** tail_lo per slot (treat as read-only outside this class). */
  readonly lo: Int32Array;

  constructor(heap: Heap, arenaSize: number) {
    this.shift = 31 - Math.clz32(arenaSize);
    this.mask = arenaSize - 1;
    const slots = Math.ceil(heap.limit / arenaSize) + 2;
    this.hi = new Int32Array(slots);
    this.lo = new Int32Array(slots);
  }

  /** `arena_map_mark_used(arena_base, is_used)`. */
  mark(base: number, used: boolean): void {
    const i = base >>> this.shift;
    const tail = base & this.mask;
    if (tail === 0) {
      this.hi[i] = used ? -1 : 0; // an ideal, ARENA_SIZE-aligned arena
    } else {
      this.hi[i] = used ? tail : 0;
      this.lo[i + 1] = used ? tail : 0;
    }
  }

  /** `arena_map_is_used(p)`: true iff p lies in a marked arena. */
  isUsed(p: number): boolean {
    const i = p >>> this.shift;
    if (!(i < this.hi.length)) return false; // beyond the heap (or not a valid address at all)
    const hi = this.hi[i], lo = this.lo[i];
    const t = p & this.mask;
    return t < lo || (t >= hi && hi !== 0);
  }
}
