import { test } from "node:test";
import assert from "node:assert/strict";
import { PY_SSIZE_T_MAX } from "./types.ts";
import { bytes, debugWorld } from "./debug_hooks_testing.ts";

const fams = [
  { d: 0, m: "PyMem_RawMalloc", c: "PyMem_RawCalloc", r: "PyMem_RawRealloc", f: "PyMem_RawFree" },
  { d: 1, m: "PyMem_Malloc", c: "PyMem_Calloc", r: "PyMem_Realloc", f: "PyMem_Free" },
  { d: 2, m: "PyObject_Malloc", c: "PyObject_Calloc", r: "PyObject_Realloc", f: "PyObject_Free" },
] as const;

test("entry: malloc(0), calloc(3,5), realloc(NULL,8), realloc(p,0), free(NULL) reach the allocator untouched", () => {
  for (const f of fams) {
    const w = debugWorld("cpython", { install: false });
    const ep = w.ep;
    const p0 = ep[f.m](0);
    const c = ep[f.c](3, 5);
    const r = ep[f.r](0, 8);
    const z = ep[f.r](r, 0);
    ep[f.f](0);
    assert.deepEqual(w.log, [["malloc", 0], ["calloc", 3, 5], ["realloc", 0, 8], ["realloc", r, 0], [
      "free",
      0,
    ]], f.m);
    assert.notEqual(p0, 0);
    assert.notEqual(z, 0); // the default RAW allocator turns realloc(p, 0) into realloc(p, 1)
    ep[f.f](p0);
    ep[f.f](c);
    ep[f.f](z);
  }
});

test("entry: sizes above PY_SSIZE_T_MAX and overflowing calloc products give NULL without a call", () => {
  for (const f of fams) {
    const w = debugWorld("cpython", { install: false });
    const ep = w.ep;
    const p = ep[f.m](8);
    w.log.length = 0;
    assert.equal(ep[f.m](PY_SSIZE_T_MAX + 1n), 0);
    assert.equal(ep[f.m](2n ** 64n - 1n), 0);
    assert.equal(ep[f.r](p, PY_SSIZE_T_MAX + 1n), 0);
    assert.equal(ep[f.c](2n ** 62n, 4), 0);
    assert.equal(ep[f.c](2n ** 32n, 2n ** 31n), 0);
    assert.equal(ep[f.c](PY_SSIZE_T_MAX, 2), 0);
    assert.deepEqual(w.log, [], f.m);
    // the limit itself and products up to it do reach the allocator (which has no such memory: NULL)
    assert.equal(ep[f.m](PY_SSIZE_T_MAX), 0);
    assert.equal(ep[f.c](2n ** 31n, 2n ** 31n), 0);
    assert.deepEqual(w.log.slice(0, 2), [["malloc", 2 ** 63], ["calloc", 2 ** 31, 2 ** 31]]);
    assert.equal(w.raw.isLive(p), true); // the failed realloc left the block alone
  }
});

test("entry: calloc(0, 2^63) is not an overflow (elsize != 0 && nelem > MAX / elsize is false)", () => {
  const w = debugWorld("cpython", { install: false });
  const p = w.ep.PyMem_RawCalloc(0, PY_SSIZE_T_MAX + 1n);
  assert.deepEqual(w.log, [["calloc", 0, 2 ** 63]]);
  assert.notEqual(p, 0); // the default RAW allocator makes it calloc(1, 1)
});

test("entry: bigint sizes that fit arrive as numbers", () => {
  const w = debugWorld("cpython", { install: false });
  const p = w.ep.PyMem_Malloc(16n);
  const q = w.ep.PyObject_Calloc(2n, 5n);
  const r = w.ep.PyMem_RawRealloc(p, 32n);
  assert.deepEqual(w.log, [["malloc", 16], ["calloc", 2, 5], ["realloc", p, 32]]);
  w.ep.PyObject_Free(q);
  w.ep.PyMem_RawFree(r);
});

test("entry: bad JS values throw, naming the function and the argument; nothing is called", () => {
  const w = debugWorld("cpython", { install: false });
  const ep = w.ep as unknown as Record<string, (...a: unknown[]) => unknown>;
  assert.throws(() => ep.PyMem_Malloc(-1), {
    name: "RangeError",
    message: /^PyMem_Malloc\(\) size must be a non-negative/,
  });
  assert.throws(() => ep.PyMem_RawMalloc(1.5), /PyMem_RawMalloc\(\) size must be/);
  assert.throws(() => ep.PyObject_Malloc("16"), {
    name: "TypeError",
    message: /PyObject_Malloc\(\) size must be a number or bigint/,
  });
  assert.throws(() => ep.PyMem_Malloc(NaN), RangeError);
  assert.throws(() => ep.PyMem_Malloc(2 ** 60), /pass sizes above 2\^53 as bigint/);
  assert.throws(() => ep.PyMem_Calloc(1, -2), /PyMem_Calloc\(\) elsize must be/);
  assert.throws(
    () => ep.PyObject_Calloc(undefined, 2),
    /PyObject_Calloc\(\) nelem must be a number or bigint/,
  );
  assert.throws(
    () => ep.PyMem_Realloc(0, -1n),
    /PyMem_Realloc\(\) new_size must be a bigint in \[0, 2\^64-1\]/,
  );
  assert.throws(() => ep.PyMem_Realloc("0x10", 8), {
    name: "TypeError",
    message: /PyMem_Realloc\(\) ptr must be a pointer/,
  });
  assert.throws(() => ep.PyMem_RawFree(-16), {
    name: "RangeError",
    message: /PyMem_RawFree\(\) ptr must be a non-negative safe integer address/,
  });
  assert.throws(() => ep.PyObject_Free(null), /PyObject_Free\(\) ptr must be a pointer/);
  assert.deepEqual(w.log, []);
});

test("entry: a pointer never allocated reaches the raw allocator, which throws InvalidPointerError", () => {
  const w = debugWorld("cpython", { install: false });
  assert.throws(() => w.ep.PyMem_RawFree(4096 + 32), {
    name: "InvalidPointerError",
    message: /^free\(\): invalid pointer 0x1020/,
  });
  const p = w.ep.PyMem_RawMalloc(8);
  w.ep.PyMem_RawFree(p);
  assert.throws(() => w.ep.PyMem_RawFree(p), { name: "InvalidPointerError" }); // double free
  assert.throws(() => w.ep.PyMem_RawRealloc(p, 16), { name: "InvalidPointerError", message: /^realloc\(\)/ });
});

test("entry: a domain set through the 2013 API (no calloc) gets malloc(nelem * elsize) + zero fill", () => {
  const w = debugWorld("cpython", { install: false });
  const { ctx, malloc, realloc, free } = w.ep.PyMem_GetAllocator(2);
  w.ep.PyObject_SetAllocators({ ctx, malloc, realloc, free });
  const dirty = w.ep.PyObject_Malloc(48);
  w.heap.u8.fill(0xab, dirty, dirty + 48);
  w.ep.PyObject_Free(dirty);
  w.log.length = 0;
  const p = w.ep.PyObject_Calloc(6, 8);
  assert.deepEqual(w.log, [["malloc", 48]]);
  assert.deepEqual(bytes(w.heap, p, p + 48), new Array(48).fill(0));
  w.ep.PyObject_Free(p);
});
