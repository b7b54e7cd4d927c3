import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPep445Library } from "./foreign.ts";
import { checkSetAllocators, useCase3 } from "./hook_checks.ts";
import { symbolAddress } from "./library.ts";
import { PY_SSIZE_T_MAX } from "../../ref/types.ts";
import { LIBPYTHON, NO_LIBPYTHON as skip } from "./libpython_fixture.ts";

// Every test that uses `py` is skipped (with the reason) when python3 has no shared libpython.
const LIBPY = LIBPYTHON ?? "";
const py = (LIBPYTHON ? loadPep445Library(LIBPYTHON) : null)!;
if (LIBPYTHON) py.initializePython(); // a sane state (the allocators also work before init)

test("foreign: entry points allocate real memory", { skip }, () => {
  const p = py.PyMem_RawMalloc(16);
  assert.ok(p > 4096);
  py.memory.write(p, [1, 2, 3, 4]);
  assert.deepEqual([...py.memory.read(p, 4)], [1, 2, 3, 4]);
  const q = py.PyMem_RawRealloc(p, 4096);
  assert.deepEqual([...py.memory.read(q, 4)], [1, 2, 3, 4]);
  py.PyMem_RawFree(q);
  const c = py.PyObject_Calloc(10, 10);
  assert.ok(py.memory.read(c, 100).every((b) => b === 0));
  py.PyObject_Free(c);
  const m = py.PyMem_Calloc(3, 5);
  assert.ok(py.memory.read(m, 15).every((b) => b === 0));
  py.PyMem_Free(m);
});

test("foreign: sizes above PY_SSIZE_T_MAX give NULL without calling the allocator", { skip }, () => {
  const counts = useCase3(py, () => {
    assert.equal(py.PyMem_RawMalloc(PY_SSIZE_T_MAX + 1n), 0);
    assert.equal(py.PyMem_Malloc(2n ** 64n - 1n), 0);
    assert.equal(py.PyObject_Malloc(PY_SSIZE_T_MAX + 1n), 0);
    assert.equal(py.PyMem_Calloc(2n ** 62n, 4), 0);
    assert.equal(py.PyObject_Calloc(2n ** 32n, 2n ** 31n), 0);
    assert.equal(py.PyMem_RawRealloc(0, PY_SSIZE_T_MAX + 1n), 0);
  });
  assert.deepEqual(counts, { malloc: [0, 0, 0], calloc: [0, 0, 0], realloc: [0, 0, 0], free: [0, 0, 0] });
});

test("foreign: zero-size requests give distinct non-NULL pointers", { skip }, () => {
  for (
    const [m, f] of [
      [(n: number) => py.PyMem_RawMalloc(n), (p: number) => py.PyMem_RawFree(p)],
      [(n: number) => py.PyMem_Malloc(n), (p: number) => py.PyMem_Free(p)],
      [(n: number) => py.PyObject_Malloc(n), (p: number) => py.PyObject_Free(p)],
    ] as const
  ) {
    const a = m(0), b = m(0);
    assert.ok(a !== 0 && b !== 0 && a !== b);
    f(a);
    f(b);
  }
  const c = py.PyMem_RawCalloc(0, 0);
  assert.notEqual(c, 0);
  py.PyMem_RawFree(c);
});

test("foreign: test_setallocators with a TS hook in each domain (ctx identity, exact args)", { skip }, () => {
  for (const d of [0, 1, 2]) checkSetAllocators(py, d);
});

test("foreign: Get/Set round trip with a TS hook counting calls (use case 3), then restore", { skip }, () => {
  const before = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
  const counts = useCase3(py, () => {
    const g = py.PyMem_GetAllocator(0);
    assert.notEqual(g.malloc, before[0].malloc); // the hook is installed
    const ps = [
      py.PyMem_RawMalloc(10),
      py.PyMem_Malloc(20),
      py.PyObject_Malloc(30),
      py.PyObject_Malloc(1000),
    ];
    const r = py.PyMem_Realloc(ps[1], 40);
    py.PyMem_RawFree(ps[0]);
    py.PyMem_Free(r);
    py.PyObject_Free(ps[2]);
    py.PyObject_Free(ps[3]);
  });
  assert.equal(counts.malloc[0] >= 2, true); // RawMalloc + PyObject_Malloc(1000)'s fallback to PyMem_RawMalloc
  assert.equal(counts.malloc[1], 1);
  assert.equal(counts.malloc[2], 2);
  assert.equal(counts.realloc[1], 1);
  assert.equal(counts.free[1], 1);
  assert.equal(counts.free[2], 2);
  const after = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
  for (const d of [0, 1, 2]) {
    assert.equal(after[d].malloc, before[d].malloc); // C wrappers are cached per address: same objects
    assert.equal(after[d].free, before[d].free);
    assert.equal(after[d].ctx, before[d].ctx);
  }
});

test("foreign: functions from Get call C; installing them back passes the raw pointers", { skip }, () => {
  const raw = py.PyMem_GetAllocator(0);
  const p = raw.malloc(raw.ctx, 24);
  assert.ok(p > 0);
  py.PyMem_RawFree(p); // a block from the RAW allocator itself
  py.PyMem_SetAllocator(0, raw);
  assert.equal(py.PyMem_GetAllocator(0).malloc, raw.malloc);
});

test("foreign: ctx values cross as handles and numbers as raw pointers", { skip }, () => {
  const old = py.PyMem_GetAllocator(2);
  for (const ctx of [{ a: 1 }, "a string", 12345, null, old]) {
    py.PyMem_SetAllocator(2, {
      ...old,
      ctx: ctx === old ? old.ctx : ctx,
      malloc: old.malloc,
      free: old.free,
    });
    const got = py.PyMem_GetAllocator(2).ctx;
    assert.equal(got, ctx === old ? old.ctx : ctx);
  }
  py.PyMem_SetAllocator(2, old);
});

test("foreign: arena allocator Get/Set round trip", { skip }, () => {
  const a = py.PyObject_GetArenaAllocator();
  assert.equal(typeof a.alloc, "function");
  py.PyObject_SetArenaAllocator(a);
  const b = py.PyObject_GetArenaAllocator();
  assert.equal(b.alloc, a.alloc);
  assert.equal(b.free, a.free);
});

test("foreign: unknown domain: Get gives all-null, Set is ignored", { skip }, () => {
  assert.deepEqual(py.PyMem_GetAllocator(7), {
    ctx: null,
    malloc: null,
    calloc: null,
    realloc: null,
    free: null,
  });
  const raw = py.PyMem_GetAllocator(0);
  py.PyMem_SetAllocator(7, raw);
  py.PyMem_SetAllocator(2 ** 40, raw);
  assert.equal(py.PyMem_GetAllocator(2 ** 40).malloc, null);
  assert.throws(() => py.PyMem_GetAllocator(1.5), TypeError);
});

test("foreign: bad input gives clear errors, never a crash", { skip }, () => {
  const raw = py.PyMem_GetAllocator(0);
  assert.throws(() => py.PyMem_SetAllocator(0, { ...raw, malloc: null as any }), {
    name: "TypeError",
    message: /allocator\.malloc must be a function/,
  });
  assert.throws(
    () => py.PyMem_SetAllocator(0, { ...raw, free: undefined as any }),
    /allocator\.free must be a function/,
  );
  assert.throws(() => py.PyMem_SetAllocator(0, { ...raw, calloc: null }), /calloc must be a function/);
  assert.throws(() => py.PyMem_SetAllocator(0, null as any), TypeError);
  assert.throws(
    () => py.PyObject_SetArenaAllocator({ ctx: null, alloc: null as any, free: () => {} }),
    /allocator\.alloc must be a function/,
  );
  assert.throws(() => py.PyMem_RawMalloc(-1), RangeError);
  assert.throws(() => py.PyMem_RawMalloc(1.5), RangeError);
  assert.throws(() => py.PyMem_RawMalloc("8" as any), TypeError);
  assert.throws(() => py.PyMem_Calloc(2, NaN), RangeError);
  assert.throws(() => py.PyMem_RawFree(-8), TypeError);
  assert.throws(() => py.memory.read(0, 4), RangeError);
  assert.equal(py.PyMem_GetAllocator(0).malloc, raw.malloc); // nothing was installed
});

test("foreign: a throwing TS hook: C gets NULL, the entry point rethrows", { skip }, () => {
  const old = py.PyMem_GetAllocator(0);
  const boom = new Error("hook failed");
  py.PyMem_SetAllocator(0, {
    ...old,
    malloc: () => {
      throw boom;
    },
  });
  try {
    assert.throws(() => py.PyMem_RawMalloc(8), (e) => e === boom);
    const bad = { ...old, malloc: () => "not a pointer" as any };
    py.PyMem_SetAllocator(0, bad);
    assert.throws(() => py.PyMem_RawMalloc(8), /malloc allocator returned not a pointer/);
  } finally {
    py.PyMem_SetAllocator(0, old);
  }
});

test("foreign: GIL control through PyEval_SaveThread/RestoreThread", { skip }, () => {
  py.setGilHeld(false);
  const p = py.PyMem_RawMalloc(8); // RAW needs no GIL
  py.PyMem_RawFree(p);
  py.setGilHeld(true);
  const q = py.PyMem_Malloc(8);
  py.PyMem_Free(q);
});

test("foreign: violation mode is always abort", { skip }, () => {
  py.setViolationMode("abort");
  assert.throws(() => py.setViolationMode("throw"), /always print and abort/);
  assert.throws(() => loadPep445Library(LIBPY, { violation: "throw" }), /always print and abort/);
});

test("foreign: abi 2013 on a shipped-API library: 2013 names are not exported", { skip }, () => {
  const old = loadPep445Library(LIBPY, { abi: "2013" });
  assert.throws(
    () => old.PyMem_GetRawAllocators(),
    /PyMem_GetRawAllocators is not exported by libpython3\.11\.so/,
  );
  const p = old.PyMem_RawMalloc(8);
  old.PyMem_RawFree(p);
  old.close();
});

test("foreign: a library without the API is refused with one line", () => {
  assert.throws(
    () => loadPep445Library("libc.so.6"),
    /libc\.so\.6 does not export PyMem_RawMalloc, PyMem_RawRealloc, PyMem_RawFree, PyMem_Malloc and 5 more/,
  );
});

test("foreign: symbols, foreignApi and entryTable give C addresses", { skip }, () => {
  assert.equal(py.symbol("PyMem_Malloc"), symbolAddress(LIBPY, "PyMem_Malloc"));
  const api = py.foreignApi();
  assert.equal(api.getAllocator, symbolAddress(LIBPY, "PyMem_GetAllocator"));
  const t = py.entryTable();
  assert.equal(t.malloc[2], symbolAddress(LIBPY, "PyObject_Malloc"));
  assert.equal(t.free[0], symbolAddress(LIBPY, "PyMem_RawFree"));
});

test("foreign: close() restores the allocators found at load when JS hooks were installed", { skip }, () => {
  const other = loadPep445Library(LIBPY);
  const orig = py.PyMem_GetAllocator(1);
  const mine = { ...orig, malloc: (c: any, n: number) => orig.malloc(c, n) };
  other.PyMem_SetAllocator(1, mine);
  assert.notEqual(py.PyMem_GetAllocator(1).malloc, orig.malloc);
  other.close();
  assert.equal(py.PyMem_GetAllocator(1).malloc, orig.malloc);
  other.close(); // idempotent
});
