import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { ArenaMap } from "./pymalloc_arena_map.ts";

const A = 1 << 20;

test("pymalloc_arena_map: an ARENA_SIZE-aligned arena covers exactly its slot", () => {
  const map = new ArenaMap(new Heap(), A);
  map.mark(3 * A, true);
  assert.equal(map.isUsed(3 * A), true);
  assert.equal(map.isUsed(4 * A - 1), true);
  assert.equal(map.isUsed(3 * A - 1), false);
  assert.equal(map.isUsed(4 * A), false);
  map.mark(3 * A, false);
  assert.equal(map.isUsed(3 * A + 100), false);
});

test("pymalloc_arena_map: an unaligned arena spans two slots (tail_hi / tail_lo), exactly", () => {
  const map = new ArenaMap(new Heap(), A);
  const base = 5 * A + 0x3010;
  map.mark(base, true);
  for (
    const [p, want] of [[base - 1, false], [base, true], [6 * A, true], [base + A - 1, true], [
      base + A,
      false,
    ]]
  ) {
    assert.equal(map.isUsed(p as number), want, `0x${(p as number).toString(16)}`);
  }
  const next = base + A; // an adjacent arena shares the slot boundary
  map.mark(next, true);
  assert.equal(map.isUsed(base + A), true);
  assert.equal(map.isUsed(base + 2 * A - 1), true);
  assert.equal(map.isUsed(base + 2 * A), false);
  map.mark(base, false);
  assert.equal(map.isUsed(base + 10), false);
  assert.equal(map.isUsed(next + 10), true);
});

test("pymalloc_arena_map: addresses beyond the heap or negative are never in an arena", () => {
  const map = new ArenaMap(new Heap({ limit: 8 * A }), A);
  assert.equal(map.isUsed(1 << 30), false);
  assert.equal(map.isUsed(-1), false);
  assert.equal(map.isUsed(0), false);
});
