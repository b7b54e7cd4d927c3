import { test } from "node:test";
import assert from "node:assert/strict";
import { ffi } from "./backend.ts";
import { Bridge, checkPtr, HANDLE_BASE, HANDLE_END, HANDLE_STRIDE, isHandleAddress } from "./bridge.ts";

test("bridge: ctx values cross as handles (same value, same handle) and come back identical", () => {
  const b = new Bridge(ffi);
  const obj = {}, str = "ctx", sym = Symbol("s"), fn = () => 0;
  for (const v of [obj, str, sym, fn, true, undefined]) {
    const h = b.ctxToPtr(v);
    assert.ok(isHandleAddress(h), `${String(v)} -> ${h}`);
    assert.equal((h as number) % HANDLE_STRIDE, 0);
    assert.equal(b.ctxToPtr(v), h);
    assert.equal(b.ptrToCtx(h), v === undefined ? undefined : v);
  }
  assert.notEqual(b.ctxToPtr({}), b.ctxToPtr(obj));
  b.close();
  assert.ok(HANDLE_BASE >= 2 ** 47 && HANDLE_END <= 2 ** 53);
});

test("bridge: null is NULL, numbers and bigints are raw pointers", () => {
  const b = new Bridge(ffi);
  assert.equal(b.ctxToPtr(null), 0);
  assert.equal(b.ptrToCtx(0), null);
  assert.equal(b.ctxToPtr(0x1234), 0x1234);
  assert.equal(b.ptrToCtx(0x1234), 0x1234);
  assert.equal(b.ctxToPtr(5n), 5);
  assert.equal(b.ctxToPtr(2n ** 60n), 2n ** 60n);
  assert.equal(b.ptrToCtx(HANDLE_BASE + 16 * 1e6), HANDLE_BASE + 16 * 1e6); // not a live handle: a number
  assert.throws(() => b.ctxToPtr(-1), RangeError);
  assert.throws(() => b.ctxToPtr(1.5), RangeError);
  assert.throws(() => b.ctxToPtr(-1n), RangeError);
});

test("bridge: JS functions become cached callbacks; C pointers become cached wrappers", () => {
  const b = new Bridge(ffi);
  const m = (_c: unknown, n: number) => 4096 + n;
  const p = b.fnToPtr("malloc", m, "malloc");
  assert.equal(b.fnToPtr("malloc", m, "malloc"), p);
  assert.ok(b.isJs(p));
  assert.equal(b.ptrToFn("malloc", p), m);
  // a C-side view of the same trampoline called from JS goes JS -> C -> JS
  b.close();
  assert.equal(b.isJs(p), false);
  assert.throws(
    () => b.fnToPtr("malloc", 42, "PyMem_SetAllocator: allocator.malloc"),
    /allocator\.malloc must be a function, got number/,
  );
  assert.equal(b.fnToPtr("calloc", null, "calloc"), 0);
});

test("bridge: a throwing or badly typed JS allocator is caught and reported once", () => {
  const b = new Bridge(ffi);
  const boom = new Error("boom");
  const p = b.fnToPtr("malloc", () => {
    throw boom;
  }, "malloc");
  // call the trampoline from C through a C-pointer wrapper (JS -> C -> JS)
  const viaC = ffi.fnPointer(p, { params: ["ptr", "usize"], result: "ptr" });
  assert.equal(viaC(0, 8), 0);
  assert.ok(b.hasPending);
  assert.throws(() => b.throwPending(), (e) => e === boom);
  assert.equal(b.hasPending, false);
  const q = b.fnToPtr("malloc", () => -3, "malloc");
  assert.equal(ffi.fnPointer(q, { params: ["ptr", "usize"], result: "ptr" })(0, 8), 0);
  assert.throws(() => b.throwPending(), /malloc allocator returned -3/);
  b.close();
});

test("bridge: checkPtr accepts pointers and refuses the rest", () => {
  assert.equal(checkPtr(0, "p"), 0);
  assert.equal(checkPtr(null, "p"), 0);
  assert.equal(checkPtr(2n ** 63n, "p"), 2n ** 63n);
  assert.throws(() => checkPtr(-8, "ptr"), /ptr must be a pointer/);
  assert.throws(() => checkPtr("0x10", "ptr"), TypeError);
});
