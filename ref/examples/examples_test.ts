import { test } from "node:test";
import assert from "node:assert/strict";
import { PROFILES } from "../types.ts";
import { createRef } from "../ref.ts";
import {
  alloc_padding,
  arena_padding,
  createUseCase3,
  createUseCase3Shipped,
  padding,
  useCase1,
  useCase2,
} from "./mod.ts";

const debugOverhead = (profile: string) => (profile === "cpython" ? 24 : 32);

test("examples: use case 1 keeps pymalloc, pads every allocation by 2 and every arena by 10, debug hooks on top", () => {
  for (const profile of PROFILES) {
    const py = createRef({ profile });
    useCase1(py);
    const S = debugOverhead(profile);
    // debug hooks installed on top of my_malloc in RAW and MEM; OBJ keeps pymalloc under its debug hooks
    assert.deepEqual([0, 1, 2].map((d) => py.PyMem_GetAllocator(d).malloc.name), [
      "_PyMem_DebugRawMalloc",
      "_PyMem_DebugMalloc",
      "_PyMem_DebugMalloc",
    ]);
    assert.deepEqual(py.debugHooks.slots.map((s) => s.alloc.malloc.name), [
      "my_malloc",
      "my_malloc",
      "_PyObject_Malloc",
    ]);
    assert.equal(py.debugHooks.slots[0].alloc.ctx, alloc_padding);
    assert.equal(py.debugHooks.slots[1].alloc.calloc, null); // set through the 2013 API
    assert.equal(py.PyObject_GetArenaAllocator().ctx, arena_padding);
    let live = py.raw.liveBytes;
    const r = py.PyMem_RawMalloc(10);
    assert.equal(py.raw.liveBytes - live, 10 + S + 2);
    live = py.raw.liveBytes;
    const m = py.PyMem_Calloc(3, 4); // MEM has no calloc below the hooks: malloc + zero
    assert.equal(py.raw.liveBytes - live, 12 + S + 2);
    assert.deepEqual(Array.from(py.heap.read(m, 12)), new Array(12).fill(0));
    live = py.raw.liveBytes;
    const o = py.PyObject_Malloc(16); // the first arena comes from my_alloc_arena: ARENA_SIZE + 10
    assert.equal(py.raw.liveBytes - live, py.pymalloc.ARENA_SIZE + 10);
    assert.equal(py.pymalloc.owns(o), true);
    assert.equal(py.heap.u8[o - 8], 0x6f);
    const grown = py.PyMem_Realloc(m, 100);
    assert.deepEqual(Array.from(py.heap.read(grown, 12)), new Array(12).fill(0));
    py.PyMem_RawFree(r);
    py.PyMem_Free(grown);
    py.PyObject_Free(o);
    assert.throws(() => py.PyMem_Free(py.PyMem_RawMalloc(1)), /verified using API 'm'/); // the hooks still check
  }
});

test("examples: use case 2 overrides pymalloc: PyObject_Malloc goes to my_malloc (+2), under the debug hooks", () => {
  for (const profile of PROFILES) {
    const py = createRef({ profile });
    useCase2(py);
    assert.deepEqual(py.debugHooks.slots.map((s) => s.alloc.ctx), [padding, padding, padding]);
    const live = py.raw.liveBytes;
    const o = py.PyObject_Malloc(16);
    assert.equal(py.raw.liveBytes - live, 16 + debugOverhead(profile) + 2);
    assert.equal(py.pymalloc.owns(o), false);
    assert.equal(py.pymalloc.stats().arenasAllocated, 0);
    const o2 = py.PyObject_Realloc(o, 600);
    assert.equal(py.raw.liveBytes - live, 600 + debugOverhead(profile) + 2);
    py.PyObject_Free(o2);
    assert.equal(py.raw.liveBytes, live);
  }
});

test("examples: use case 3 (2013 API) hooks every domain once; the hooks see the exact calls", () => {
  const py = createRef();
  const uc = createUseCase3(py);
  const before = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d).malloc);
  uc.setup_hooks();
  uc.setup_hooks(); // static int installed: the second call does nothing
  assert.equal(uc.hook.pymem_raw.malloc, before[0]);
  assert.equal(uc.hook.pymem.malloc, before[1]);
  assert.equal(uc.hook.pyobj.malloc, before[2]);
  assert.deepEqual([0, 1, 2].map((d) => py.PyMem_GetAllocator(d).ctx), [
    uc.hook.pymem_raw,
    uc.hook.pymem,
    uc.hook.pyobj,
  ]);
  const p = py.PyMem_Malloc(42);
  const p2 = py.PyMem_Realloc(p, 200);
  py.PyMem_Free(p2);
  py.PyMem_Free(0); // free(NULL) reaches the hook
  const c = py.PyMem_Calloc(2, 5); // the 2013 API has no calloc: malloc(10) + zero fill
  py.PyMem_Free(c);
  const r = py.PyMem_RawMalloc(8);
  py.PyMem_RawFree(r);
  const o = py.PyObject_Malloc(1000); // pymalloc falls back to PyMem_RawMalloc: both hooks see it
  py.PyObject_Free(o);
  assert.deepEqual(uc.hook.calls, [
    ["pymem", "malloc", 42],
    ["pymem", "realloc", p, 200],
    ["pymem", "free", p2],
    ["pymem", "free", 0],
    ["pymem", "malloc", 10],
    ["pymem", "free", c],
    ["pymem_raw", "malloc", 8],
    ["pymem_raw", "free", r],
    ["pyobj", "malloc", 1000],
    ["pymem_raw", "malloc", 1000],
    ["pyobj", "free", o],
    ["pymem_raw", "free", o],
  ]);
});

test("examples: use case 3 over the debug hooks (the PEP's note): hooks see caller sizes, checks still run", () => {
  const py = createRef();
  py.PyMem_SetupDebugHooks();
  const uc = createUseCase3(py);
  uc.setup_hooks();
  assert.equal(uc.hook.pymem.malloc.name, "_PyMem_DebugMalloc");
  const p = py.PyMem_Malloc(16);
  assert.deepEqual(uc.hook.calls, [["pymem", "malloc", 16]]);
  assert.equal(py.heap.u8[p - 8], 0x6d); // the debug layer below the hook wrote its header
  py.heap.u8[p + 16] = 0x78;
  assert.throws(() => py.PyMem_Free(p), { kind: "bad_trailing_pad", func: "_PyMem_DebugRawFree" });
  assert.deepEqual(uc.hook.calls.at(-1), ["pymem", "free", p]);
});

test("examples: use case 3 on the shipped API: calloc reaches the hook; remove_hooks restores", () => {
  for (const profile of PROFILES) {
    const py = createRef({ profile });
    const before = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
    const uc = createUseCase3Shipped(py);
    uc.setup_hooks();
    const c = py.PyMem_Calloc(2, 5);
    py.PyMem_Free(c);
    const o = py.PyObject_Malloc(1000);
    py.PyObject_Free(o);
    const fallback = profile === "cpython" ? 0 : 1; // PyMem_RawMalloc (3.4+ code) or PyMem_Malloc (PEP text)
    assert.deepEqual(uc.calls, [
      [1, "calloc", 2, 5],
      [1, "free", c],
      [2, "malloc", 1000],
      [fallback, "malloc", 1000],
      [2, "free", o],
      [fallback, "free", o],
    ]);
    uc.remove_hooks();
    assert.deepEqual([0, 1, 2].map((d) => py.PyMem_GetAllocator(d)), before);
  }
});
