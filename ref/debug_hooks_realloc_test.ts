import { test } from "node:test";
import assert from "node:assert/strict";
import { bytes, debugWorld } from "./debug_hooks_testing.ts";

const rep = (b: number, n: number) => new Array(n).fill(b);

test("debug_hooks realloc (cpython): 4 -> 12 keeps the data and fills the growth with CD", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Malloc(4);
  w.heap.write(p, [0x41, 0x42, 0x43, 0x44]);
  const q = w.ep.PyMem_Realloc(p, 12);
  assert.deepEqual(w.log.at(-1), ["realloc", p - 16, 36]);
  assert.deepEqual(bytes(w.heap, q - 16, q + 20), [
    ...[0, 0, 0, 0, 0, 0, 0, 12, 0x6d, ...rep(0xfd, 7)],
    ...[0x41, 0x42, 0x43, 0x44, ...rep(0xcd, 8)],
    ...rep(0xfd, 8),
  ]);
  const r = w.ep.PyMem_Realloc(q, 2); // shrink 12 -> 2 keeps 41 42
  assert.deepEqual(bytes(w.heap, r - 16, r + 10), [
    ...rep(0, 7),
    2,
    0x6d,
    ...rep(0xfd, 7),
    0x41,
    0x42,
    ...rep(0xfd, 8),
  ]);
  const z = w.ep.PyMem_Realloc(r, 0); // realloc(p, 0): non-NULL, size field 0
  assert.notEqual(z, 0);
  assert.deepEqual(bytes(w.heap, z - 16, z + 8), [...rep(0, 8), 0x6d, ...rep(0xfd, 7), ...rep(0xfd, 8)]);
  w.ep.PyMem_Free(z);
});

test("debug_hooks realloc (cpython): the old block is marked DEADBYTE while the allocator runs", () => {
  const w = debugWorld("cpython");
  // small block (n0 <= 128): header, all data and tail are DD during the call
  const p = w.ep.PyMem_Malloc(20);
  let seen: number[] = [];
  w.onCall = (c) => {
    if (c[0] === "realloc") seen = bytes(w.heap, c[1], c[1] + 20 + 24);
  };
  const q = w.ep.PyMem_Realloc(p, 30);
  assert.deepEqual(seen, rep(0xdd, 44));
  assert.deepEqual(bytes(w.heap, q, q + 30), [...rep(0xcd, 20), ...rep(0xcd, 10)]);
  // large block (n0 > 128): header + first 64 and last 64 + tail are DD, the middle untouched
  const big = w.ep.PyMem_Malloc(200);
  for (let i = 0; i < 200; i++) w.heap.u8[big + i] = i;
  w.onCall = (c) => {
    if (c[0] === "realloc") seen = bytes(w.heap, c[1], c[1] + 200 + 24);
  };
  const b2 = w.ep.PyMem_Realloc(big, 300);
  const mid = Array.from({ length: 72 }, (_, i) => 64 + i);
  assert.deepEqual(seen, [...rep(0xdd, 16 + 64), ...mid, ...rep(0xdd, 64 + 8)]);
  assert.deepEqual(bytes(w.heap, b2, b2 + 200), Array.from({ length: 200 }, (_, i) => i));
  assert.deepEqual(bytes(w.heap, b2 + 200, b2 + 308), [...rep(0xcd, 100), ...rep(0xfd, 8)]);
  // shrinking a large block restores min(n, n0) bytes from the two saved ends
  const b3 = w.ep.PyMem_Realloc(b2, 150);
  assert.deepEqual(bytes(w.heap, b3, b3 + 150), Array.from({ length: 150 }, (_, i) => i));
});

test("debug_hooks realloc (cpython): failure returns NULL and restores the old block exactly", () => {
  const w = debugWorld("cpython", { heapLimit: 1 << 20 });
  for (const n0 of [100, 1000]) {
    const p = w.ep.PyMem_Malloc(n0);
    for (let i = 0; i < n0; i++) w.heap.u8[p + i] = (i * 7) & 0xff;
    const before = bytes(w.heap, p - 16, p + n0 + 8);
    assert.equal(w.ep.PyMem_Realloc(p, 4 << 20), 0); // beyond the heap limit
    assert.deepEqual(bytes(w.heap, p - 16, p + n0 + 8), before);
    w.ep.PyMem_Free(p); // still a valid block
  }
});

test("debug_hooks realloc: realloc(NULL, n) is the debug malloc; the size limit comes after the check", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyObject_Realloc(0, 8);
  assert.deepEqual(w.log, [["malloc", 32]]);
  assert.equal(w.heap.u8[p - 8], 0x6f);
  // n > PY_SSIZE_T_MAX - 3S: NULL, the allocator underneath is not called
  assert.equal(w.ep.PyObject_Realloc(p, (1n << 63n) - 2n), 0);
  assert.deepEqual(w.log, [["malloc", 32]]);
  assert.equal(w.ep.PyMem_Malloc((1n << 63n) - 1n), 0);
  assert.equal(w.ep.PyMem_Calloc(1, (1n << 63n) - 10n), 0);
  assert.deepEqual(w.log, [["malloc", 32]]);
  // a bad block is reported even when the new size is too big
  w.heap.u8[p - 8] = 0x72;
  assert.throws(() => w.ep.PyObject_Realloc(p, (1n << 63n) - 2n), { kind: "bad_id" });
});

test("debug_hooks realloc (pep445-2013): realloc first on the intact block, new serial, CB growth", () => {
  const w = debugWorld("pep445-2013");
  const p = w.ep.PyMem_Malloc(4); // call #1
  w.heap.write(p, [1, 2, 3, 4]);
  let seen: number[] = [];
  w.onCall = (c) => {
    if (c[0] === "realloc") seen = bytes(w.heap, c[1], c[1] + 4 + 32);
  };
  const q = w.ep.PyMem_Realloc(p, 10); // call #2
  assert.deepEqual(w.log.at(-1), ["realloc", p - 16, 42]);
  assert.deepEqual(seen, [
    ...rep(0, 7),
    4,
    0x6d,
    ...rep(0xfb, 7),
    1,
    2,
    3,
    4,
    ...rep(0xfb, 8),
    ...rep(0, 7),
    1,
  ]);
  assert.deepEqual(bytes(w.heap, q - 16, q + 26), [
    ...[0, 0, 0, 0, 0, 0, 0, 10, 0x6d, ...rep(0xfb, 7)],
    ...[1, 2, 3, 4, ...rep(0xcb, 6)],
    ...rep(0xfb, 8),
    ...[0, 0, 0, 0, 0, 0, 0, 2],
  ]);
  const r = w.ep.PyMem_Realloc(q, 2); // call #3: in-place shrink
  assert.equal(r, q);
  assert.deepEqual(bytes(w.heap, r - 16, r + 18), [
    ...rep(0, 7),
    2,
    0x6d,
    ...rep(0xfb, 7),
    1,
    2,
    ...rep(0xfb, 8),
    ...rep(0, 7),
    3,
  ]);
  assert.equal(w.hooks.serialno(), 3);
  // a failed realloc bumps the serial number (bumpserialno() runs first) and returns NULL
  assert.equal(w.ep.PyMem_Realloc(r, 1 << 30), 0);
  assert.equal(w.hooks.serialno(), 4);
  assert.deepEqual(bytes(w.heap, r, r + 2), [1, 2]);
  w.ep.PyMem_Free(r);
});

test("debug_hooks realloc: nested debug reallocs do not share the save buffer", () => {
  const w = debugWorld("cpython", { install: false });
  // MEM's allocator reallocs by calling the (hooked) RAW entry point, as pymalloc's fallback does
  const raw = w.ep.PyMem_GetAllocator(0);
  w.ep.PyMem_SetAllocator(1, {
    ctx: null,
    malloc: (_c, n) => w.ep.PyMem_RawMalloc(n),
    calloc: (_c, e, s) => w.ep.PyMem_RawCalloc(e, s),
    realloc: (_c, p, n) => w.ep.PyMem_RawRealloc(p, n),
    free: (_c, p) => w.ep.PyMem_RawFree(p),
  });
  assert.equal(raw.ctx, "recorder");
  w.install();
  const p = w.ep.PyMem_Malloc(50);
  for (let i = 0; i < 50; i++) w.heap.u8[p + i] = 100 + i;
  const q = w.ep.PyMem_Realloc(p, 60);
  assert.deepEqual(bytes(w.heap, q, q + 60), [
    ...Array.from({ length: 50 }, (_, i) => 100 + i),
    ...rep(0xcd, 10),
  ]);
  assert.equal(w.heap.u8[q - 8], 0x6d);
  assert.equal(w.heap.u8[q - 24], 0x72); // the RAW debug header of the block underneath
  w.ep.PyMem_Free(q);
});
