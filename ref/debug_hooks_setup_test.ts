import { test } from "node:test";
import assert from "node:assert/strict";
import type { PyMemAllocatorEx } from "./types.ts";
import { debugWorld } from "./debug_hooks_testing.ts";

test("debug_hooks setup: RAW gets _PyMem_DebugRaw*, MEM and OBJ share _PyMem_Debug* with their own slot", () => {
  const w = debugWorld("cpython", { install: false });
  const before = [0, 1, 2].map((d) => w.ep.PyMem_GetAllocator(d));
  w.install();
  const [raw, mem, obj] = [0, 1, 2].map((d) => w.ep.PyMem_GetAllocator(d));
  assert.equal(raw.malloc.name, "_PyMem_DebugRawMalloc");
  assert.equal(raw.free.name, "_PyMem_DebugRawFree");
  assert.equal(mem.malloc.name, "_PyMem_DebugMalloc");
  assert.equal(mem.calloc!.name, "_PyMem_DebugCalloc");
  assert.equal(obj.realloc.name, "_PyMem_DebugRealloc");
  assert.equal(obj.malloc, mem.malloc);
  assert.deepEqual([raw.ctx, mem.ctx, obj.ctx], w.hooks.slots);
  assert.deepEqual(w.hooks.slots.map((s) => s.apiId), [0x72, 0x6d, 0x6f]);
  for (let d = 0; d < 3; d++) assert.deepEqual({ ...w.hooks.slots[d].alloc }, before[d]);
});

test("debug_hooks setup: idempotent (a domain whose malloc is already the debug function is skipped)", () => {
  const w = debugWorld("cpython");
  const slots = w.hooks.slots.map((s) => s.alloc);
  const installed = [0, 1, 2].map((d) => w.ep.PyMem_GetAllocator(d));
  w.install();
  w.install();
  assert.deepEqual([0, 1, 2].map((d) => w.ep.PyMem_GetAllocator(d)), installed);
  w.hooks.slots.forEach((s, d) => assert.equal(s.alloc, slots[d]));
  const p = w.ep.PyMem_Malloc(16);
  assert.equal(w.heap.u8[p - 8], 0x6d); // one header, not two
  assert.deepEqual(w.log, [["malloc", 40]]);
});

test("debug_hooks setup: over a custom allocator the custom allocator sees n + 24 (the PEP's usage)", () => {
  const w = debugWorld("cpython", { install: false });
  const seen: number[] = [];
  const under = w.ep.PyMem_GetAllocator(2);
  const custom: PyMemAllocatorEx = {
    ctx: { padding: 2 },
    malloc: (ctx, n) => (seen.push(n), under.malloc(under.ctx, n + ctx.padding)),
    calloc: null,
    realloc: (ctx, p, n) => under.realloc(under.ctx, p, n + ctx.padding),
    free: (_ctx, p) => under.free(under.ctx, p),
  };
  w.ep.PyMem_SetAllocator(2, custom);
  w.install();
  const p = w.ep.PyObject_Malloc(100);
  assert.deepEqual(seen, [124]);
  assert.equal(w.heap.u8[p - 8], 0x6f);
  w.ep.PyObject_Free(p);
});

test("debug_hooks setup: again over a user hook wrapping the debug hooks recurses without end (as CPython)", () => {
  const w = debugWorld("cpython");
  const inner = w.ep.PyMem_GetAllocator(0);
  w.ep.PyMem_SetAllocator(0, { ...inner, malloc: (_c, n) => inner.malloc(inner.ctx, n) });
  w.install(); // the check fails: a second layer, and the single RAW slot now holds the user hook
  assert.equal(w.hooks.slots[0].alloc.malloc === inner.malloc, false);
  assert.throws(() => w.ep.PyMem_RawMalloc(8), RangeError); // Maximum call stack size exceeded
});

test("debug_hooks GIL (cpython): MEM/OBJ calls without the GIL are caught before anything else", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Malloc(8);
  const o = w.ep.PyObject_Malloc(8);
  w.host.gilHeld = false;
  const noGil = (func: string) => ({
    kind: "no_gil",
    func,
    message: `Fatal Python error: ${func}: Python memory allocator called without holding the GIL`,
  });
  assert.throws(() => w.ep.PyMem_Malloc(10), noGil("_PyMem_DebugMalloc"));
  assert.throws(() => w.ep.PyObject_Malloc(10), noGil("_PyMem_DebugMalloc"));
  assert.throws(() => w.ep.PyMem_Calloc(1, 10), noGil("_PyMem_DebugCalloc"));
  assert.throws(() => w.ep.PyObject_Realloc(o, 10), noGil("_PyMem_DebugRealloc"));
  assert.throws(() => w.ep.PyMem_Free(p), noGil("_PyMem_DebugFree"));
  assert.throws(() => w.ep.PyObject_Free(0), { ...noGil("_PyMem_DebugFree"), address: 0 }); // GIL check before the NULL check
  assert.throws(
    () => w.ep.PyMem_Malloc(10),
    (e: Error & { text: string }) =>
      e.text ===
        "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\n" +
          "Python runtime state: initialized\n\n",
  );
  assert.equal(w.log.length, 2); // nothing reached the allocators
  // RAW never checks
  const r = w.ep.PyMem_RawMalloc(10);
  assert.notEqual(r, 0);
  w.ep.PyMem_RawFree(r);
  w.host.gilHeld = true;
  w.ep.PyMem_Free(p);
  w.ep.PyObject_Free(o);
});

test("debug_hooks GIL: no check in the pep445-2013 profile, nor without debug hooks", () => {
  const old = debugWorld("pep445-2013");
  old.host.gilHeld = false;
  old.ep.PyMem_Free(old.ep.PyMem_Malloc(10));
  old.ep.PyObject_Free(0);
  const plain = debugWorld("cpython", { install: false });
  plain.host.gilHeld = false;
  plain.ep.PyMem_Free(plain.ep.PyMem_Malloc(10));
  assert.deepEqual(old.log.map((c) => c[0]), ["malloc", "free"]);
});

test("debug_hooks: a pointer never allocated goes the bad-ID path; one outside the heap is a RangeError", () => {
  const w = debugWorld("cpython");
  const wild = 4096 + 64; // a readable address in the never-used first page: id byte 0
  assert.throws(
    () => w.ep.PyMem_Free(wild),
    (e: Error & { kind: string; text: string }) =>
      e.kind === "bad_id" &&
      e.text.startsWith(
        `Debug memory block at address p=0x1040: API '\0'\n    0 bytes originally requested\n`,
      ) &&
      e.text.includes(
        "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API '\0', verified using API 'm'",
      ),
  );
  assert.throws(
    () => w.ep.PyMem_Free(1 << 30),
    /_PyMem_DebugRawFree: pointer 1073741824 is outside the heap/,
  );
  // double free: the DEADBYTE fill makes the id byte 0xDD (transcript G's API 'Ý')
  const p = w.ep.PyMem_Malloc(16);
  w.ep.PyMem_Free(p);
  assert.throws(() => w.ep.PyMem_Free(p), { kind: "bad_id", apiId: 0xdd });
});
