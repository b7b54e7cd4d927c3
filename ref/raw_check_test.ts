import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { RawAllocator } from "./raw.ts";
import { HeapCorruptionError } from "./raw_layout.ts";

test("raw_check: a consistent heap passes and reports its chunks", () => {
  const raw = new RawAllocator(new Heap());
  const a = raw.malloc(100);
  raw.malloc(100);
  raw.free(a);
  assert.deepEqual({ ...raw.check(), topBytes: 0 }, {
    chunks: 2,
    freeChunks: 1,
    freeBytes: 128,
    topBytes: 0,
  });
});

test("raw_check: broken invariants are named (the checker can fail)", () => {
  const heap = new Heap();
  const raw = new RawAllocator(heap);
  const a = raw.malloc(100);
  const b = raw.malloc(100);
  raw.malloc(100);
  raw.free(a);
  heap.u32[(a - 16 + 128 - 4) >>> 2] = 7; // a's footer
  assert.throws(() => raw.check(), /bad footer/);
  heap.u32[(a - 16 + 128 - 4) >>> 2] = 128;
  raw.check();
  heap.u32[(b - 8) >>> 2] &= ~2; // b's PREV_INUSE is right to be clear; set it wrongly
  heap.u32[(b - 8) >>> 2] |= 2;
  assert.throws(() => raw.check(), /PREV_INUSE disagrees/);
});

test("raw_check: a use-after-free write into the free-list links is caught by the next malloc", () => {
  const heap = new Heap();
  const raw = new RawAllocator(heap);
  const a = raw.malloc(64);
  raw.malloc(64);
  raw.free(a);
  heap.u32[a >>> 2] = 0x41414141; // writes through a dangling pointer
  assert.throws(() => raw.malloc(64), HeapCorruptionError);
});
