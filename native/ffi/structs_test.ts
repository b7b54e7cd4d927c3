import { test } from "node:test";
import assert from "node:assert/strict";
import { checkDomain, getPtr, putPtr, requireFn, slotKey, spread2013 } from "./structs.ts";

test("structs: pointer slots round-trip numbers and bigints", () => {
  const s = new Uint32Array(10);
  const vals: (number | bigint)[] = [
    0,
    1,
    0xffffffff,
    2 ** 32,
    0x7f0012345678,
    2 ** 53 - 1,
    0xcdcdcdcdcdcdcdcdn,
    2n ** 64n - 1n,
  ];
  for (const v of vals) {
    putPtr(s, 3, v);
    const back = getPtr(s, 3);
    assert.equal(BigInt(back), BigInt(v));
    assert.equal(typeof back, BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER) ? "number" : "bigint");
  }
  const dv = new DataView(s.buffer);
  putPtr(s, 1, 0x0102030405060708n);
  assert.equal(dv.getBigUint64(8, true), 0x0102030405060708n); // little-endian, as C reads it
});

test("structs: 2013 structs spread into shipped slots with calloc NULL", () => {
  const s13 = new Uint32Array(8);
  [11, 22, 33, 44].forEach((v, i) => putPtr(s13, i, v));
  const ex = spread2013(s13);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => getPtr(ex, i)), [11, 22, 0, 33, 44]);
  assert.equal(slotKey(ex), "11:22");
});

test("structs: argument checks", () => {
  assert.equal(checkDomain(2, "f"), 2);
  assert.equal(checkDomain(-5, "f"), -5);
  assert.equal(checkDomain(2 ** 40, "f"), null);
  assert.throws(
    () => checkDomain("0", "PyMem_GetAllocator"),
    /PyMem_GetAllocator: domain must be an integer/,
  );
  assert.throws(
    () => requireFn(null, "PyMem_SetAllocator: allocator.free"),
    /allocator\.free must be a function, got null/,
  );
  requireFn(() => 0, "x");
});
