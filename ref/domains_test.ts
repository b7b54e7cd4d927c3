import { test } from "node:test";
import assert from "node:assert/strict";
import type { PyMemAllocatorEx, PyObjectArenaAllocator } from "./types.ts";
import { debugWorld } from "./debug_hooks_testing.ts";

const mine = (): PyMemAllocatorEx => ({
  ctx: { tag: "mine" },
  malloc: () => 0,
  calloc: () => 0,
  realloc: () => 0,
  free: () => {},
});

test("domains: Get/Set copy by value; the fields are === what Set stored", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const a = mine();
  ep.PyMem_SetAllocator(1, a);
  const g1 = ep.PyMem_GetAllocator(1);
  const g2 = ep.PyMem_GetAllocator(1);
  assert.notEqual(g1, a);
  assert.notEqual(g1, g2);
  for (const k of ["ctx", "malloc", "calloc", "realloc", "free"] as const) assert.equal(g1[k], a[k]);
  assert.deepEqual(Object.keys(g1), ["ctx", "malloc", "calloc", "realloc", "free"]);
  a.malloc = () => 1; // the caller's struct changes afterwards: the table does not
  g1.free = () => {};
  assert.notEqual(ep.PyMem_GetAllocator(1).malloc, a.malloc);
  assert.notEqual(ep.PyMem_GetAllocator(1).free, g1.free);
  assert.equal(ep.PyMem_Malloc(8), 0); // mine() is in place
});

test("domains: each domain is separate; Set on one leaves the others alone", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const before = [0, 1, 2].map((d) => ep.PyMem_GetAllocator(d));
  ep.PyMem_SetAllocator(2, mine());
  assert.deepEqual(ep.PyMem_GetAllocator(0), before[0]);
  assert.deepEqual(ep.PyMem_GetAllocator(1), before[1]);
  assert.equal(ep.PyMem_GetAllocator(2).ctx.tag, "mine");
});

test("domains: an unknown domain reads as all-null fields and Set on it is ignored (CPython)", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const before = [0, 1, 2].map((d) => ep.PyMem_GetAllocator(d));
  for (const d of [3, 7, -1, 1.5, NaN]) {
    assert.deepEqual(ep.PyMem_GetAllocator(d), {
      ctx: null,
      malloc: null,
      calloc: null,
      realloc: null,
      free: null,
    });
    ep.PyMem_SetAllocator(d, mine());
  }
  assert.deepEqual([0, 1, 2].map((d) => ep.PyMem_GetAllocator(d)), before);
  assert.throws(() => ep.PyMem_GetAllocator("1" as unknown as number), {
    name: "TypeError",
    message: /PyMem_GetAllocator: domain must be a number/,
  });
});

test("domains: Set rejects an allocator that is not one, with a clear message; nothing changes", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const before = ep.PyMem_GetAllocator(0);
  const bad = (v: unknown) => () => ep.PyMem_SetAllocator(0, v as PyMemAllocatorEx);
  assert.throws(bad(null), /PyMem_SetAllocator: the allocator must be an object/);
  assert.throws(
    bad({ ...mine(), malloc: undefined }),
    /PyMem_SetAllocator: allocator.malloc must be a function, got undefined/,
  );
  assert.throws(bad({ ...mine(), calloc: 3 }), /allocator.calloc must be a function, got number/);
  assert.throws(
    () => ep.PyMem_SetRawAllocators({ ctx: 0, malloc: () => 0, realloc: () => 0 } as never),
    /PyMem_SetRawAllocators: allocator.free must be a function/,
  );
  assert.throws(
    () => ep.PyObject_SetArenaAllocator({ ctx: 0, alloc: () => 0 } as never),
    /PyObject_SetArenaAllocator: allocator.free must be a function/,
  );
  assert.deepEqual(ep.PyMem_GetAllocator(0), before);
});

test("domains: the 2013 API: {ctx, malloc, realloc, free}; Set stores calloc = null", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const pairs = [
    [0, () => ep.PyMem_GetRawAllocators(), (a: never) => ep.PyMem_SetRawAllocators(a)],
    [1, () => ep.PyMem_GetAllocators(), (a: never) => ep.PyMem_SetAllocators(a)],
    [2, () => ep.PyObject_GetAllocators(), (a: never) => ep.PyObject_SetAllocators(a)],
  ] as const;
  for (const [d, get, set] of pairs) {
    const shipped = ep.PyMem_GetAllocator(d);
    const old = get();
    assert.deepEqual(Object.keys(old), ["ctx", "malloc", "realloc", "free"]);
    assert.equal(old.malloc, shipped.malloc);
    assert.equal(old.ctx, shipped.ctx);
    const { ctx, malloc, realloc, free } = mine();
    set({ ctx, malloc, realloc, free } as never);
    const now = ep.PyMem_GetAllocator(d);
    assert.equal(now.calloc, null);
    assert.equal(now.malloc, malloc);
    assert.equal(get().ctx, ctx);
  }
  // a shipped Set with calloc: null (a 2013 domain read back and set again) is accepted too
  ep.PyMem_SetAllocator(0, ep.PyMem_GetAllocator(1));
  assert.equal(ep.PyMem_GetAllocator(0).calloc, null);
});

test("domains: arena allocator in both forms (copy by value; free(ctx, ptr, size))", () => {
  const { ep } = debugWorld("cpython", { install: false });
  const dflt = ep.PyObject_GetArenaAllocator();
  assert.deepEqual(ep._PyObject_GetArenaAllocators(), dflt);
  const a: PyObjectArenaAllocator = { ctx: [10], alloc: () => 0, free: () => {} };
  ep.PyObject_SetArenaAllocator(a);
  const g = ep.PyObject_GetArenaAllocator();
  assert.notEqual(g, a);
  assert.deepEqual(g, a);
  assert.equal(ep.currentArenaAllocator().alloc, a.alloc);
  const alloc2 = () => 0;
  const free2 = () => {};
  ep._PyObject_SetArenaAllocators("ctx2", alloc2, free2);
  assert.deepEqual(ep.PyObject_GetArenaAllocator(), { ctx: "ctx2", alloc: alloc2, free: free2 });
  ep.PyObject_SetArenaAllocator(dflt);
  assert.deepEqual(ep._PyObject_GetArenaAllocators(), dflt);
});
