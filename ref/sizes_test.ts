import { test } from "node:test";
import assert from "node:assert/strict";
import { callocTooBig, checkHookSize, checkSize, hookSize, sizeTooBig } from "./sizes.ts";
import { PY_SSIZE_T_MAX } from "./types.ts";

test("sizes: safe numbers and bigints pass through; bigints that fit become numbers", () => {
  assert.equal(checkSize(0, "size"), 0);
  assert.equal(checkSize(42, "size"), 42);
  assert.equal(checkSize(42n, "size"), 42);
  assert.equal(checkSize(PY_SSIZE_T_MAX + 1n, "size"), PY_SSIZE_T_MAX + 1n);
});

test("sizes: values a size_t cannot hold throw, naming the argument", () => {
  assert.throws(() => checkSize(-1, "size"), /size must be a non-negative safe integer/);
  assert.throws(() => checkSize(1.5, "new_size"), /new_size must be/);
  assert.throws(() => checkSize(NaN, "size"), RangeError);
  assert.throws(() => checkSize(2 ** 60, "size"), /pass sizes above 2\^53 as bigint/);
  assert.throws(() => checkSize(-1n, "nelem"), /nelem must be a bigint in \[0, 2\^64-1\]/);
  assert.throws(() => checkSize(1n << 64n, "size"), RangeError);
  assert.throws(() => checkSize("16", "size"), TypeError);
});

test("sizes: PY_SSIZE_T_MAX is the last size that reaches the allocator", () => {
  assert.equal(sizeTooBig(PY_SSIZE_T_MAX), false);
  assert.equal(sizeTooBig(PY_SSIZE_T_MAX + 1n), true);
  assert.equal(sizeTooBig(Number.MAX_SAFE_INTEGER), false);
});

test("sizes: calloc overflow is CPython's nelem > PY_SSIZE_T_MAX / elsize", () => {
  assert.equal(callocTooBig(0, 2n ** 63n), false);
  assert.equal(callocTooBig(2n ** 63n, 0), false);
  assert.equal(callocTooBig(2n ** 62n, 4), true);
  assert.equal(callocTooBig(2n ** 32n, 2n ** 31n), true); // 2^32 > (2^63-1) / 2^31 = 2^32 - 1 (NULL, as observed on 3.11)
  assert.equal(callocTooBig(2n ** 31n, 2n ** 31n), false);
  assert.equal(callocTooBig(3, 5), false);
  assert.equal(callocTooBig(PY_SSIZE_T_MAX, 1), false);
  assert.equal(callocTooBig(PY_SSIZE_T_MAX, 2), true);
  assert.equal(hookSize(2n ** 60n), 2 ** 60);
});

test("sizes: sizes above 2^53 that a hook received pass on as the integer they denote", () => {
  assert.equal(checkHookSize(2 ** 62, "size"), 2n ** 62n);
  assert.equal(checkHookSize(2 ** 64, "size"), (1n << 64n) - 1n);
  assert.equal(checkHookSize(16, "size"), 16);
  assert.throws(() => checkHookSize(-1, "size"), RangeError);
  assert.throws(() => checkHookSize(Infinity, "size"), RangeError);
});
