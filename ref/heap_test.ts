import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap, hex, MAX_HEAP_LIMIT } from "./heap.ts";

test("heap: views are length-tracking, so they stay valid after growth (resizable ArrayBuffer)", () => {
  const heap = new Heap({ limit: 8 << 20, initial: 8192 });
  const { u8, dv, u32 } = heap;
  assert.equal(heap.end, 8192);
  assert.equal(heap.ensure(3 << 20), true);
  assert.ok(heap.end >= 3 << 20);
  assert.equal(u8.length, heap.end);
  assert.equal(u32.length, heap.end / 4);
  u8[(3 << 20) - 1] = 0x5a;
  dv.setUint32(2 << 20, 0xdeadbeef, true);
  assert.equal(heap.u32[(2 << 20) / 4], 0xdeadbeef);
  assert.equal(u8[2 << 20], 0xef); // little-endian like x86-64
  assert.equal(heap.read((3 << 20) - 1, 1)[0], 0x5a);
});

test("heap: growth past the limit reports false and changes nothing", () => {
  const heap = new Heap({ limit: 1 << 20 });
  const before = heap.end;
  assert.equal(heap.ensure((1 << 20) + 1), false);
  assert.equal(heap.end, before);
  assert.equal(heap.ensure(1 << 20), true);
  assert.equal(heap.end, 1 << 20);
  assert.equal(heap.ensure(NaN), false);
});

test("heap: sbrk hands out aligned, non-overlapping, zeroed ranges above the first page; 0 at the limit", () => {
  const heap = new Heap({ limit: 1 << 20 });
  const a = heap.sbrk(100);
  assert.ok(a >= Heap.FIRST_ADDRESS);
  assert.equal(a % 16, 0);
  const b = heap.sbrk(5000, 4096);
  assert.equal(b % 4096, 0);
  assert.ok(b >= a + 100);
  assert.equal(heap.brk, b + 5000);
  assert.ok(heap.read(b, 5000).every((x) => x === 0));
  const brk = heap.brk;
  assert.equal(heap.sbrk(1 << 20), 0);
  assert.equal(heap.brk, brk, "a failed sbrk does not move the break");
});

test("heap: read and write work at any address inside, and name the address outside", () => {
  const heap = new Heap({ limit: 1 << 20, initial: 65536 });
  heap.write(0, [1, 2]); // even the first page is addressable (it is just never handed out)
  assert.deepEqual([...heap.read(0, 2)], [1, 2]);
  const copy = heap.read(100, 4);
  copy[0] = 9;
  assert.equal(heap.u8[100], 0, "read returns a copy");
  assert.throws(() => heap.read(65535, 2), /address 0xffff outside the heap/);
  assert.throws(() => heap.write(-1, [0]), RangeError);
  assert.throws(() => heap.read(1.5, 1), /integer address/);
});

test("heap: bad options are rejected with a clear message; default limit is 1 GiB", () => {
  assert.equal(new Heap().limit, 1 << 30);
  assert.throws(() => new Heap({ limit: MAX_HEAP_LIMIT + 1 }), /Heap limit must be an integer/);
  assert.throws(() => new Heap({ limit: 100 }), /Heap limit/);
  assert.throws(() => new Heap({ limit: 1 << 20, initial: 2 << 20 }), /initial size/);
  assert.equal(hex(4096), "0x1000");
});
