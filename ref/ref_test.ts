import { test } from "node:test";
import assert from "node:assert/strict";
import { type Profile, PROFILES, type Ptr, PY_SSIZE_T_MAX, type PyMemAllocatorEx } from "./types.ts";
import { createRef, type RefPep445 } from "./ref.ts";

/** A pass-through hook on `domain` that logs [op, ...args] (the PEP's use case 3, shipped API). */
function tap(py: RefPep445, domain: number, log: unknown[][]): PyMemAllocatorEx {
  const old = py.PyMem_GetAllocator(domain);
  py.PyMem_SetAllocator(domain, {
    ctx: old,
    malloc: (a, n) => (log.push(["malloc", n]), a.malloc(a.ctx, n)),
    calloc: (a, e, s) => (log.push(["calloc", e, s]), a.calloc(a.ctx, e, s)),
    realloc: (a, p, n) => (log.push(["realloc", p, n]), a.realloc(a.ctx, p, n)),
    free: (a, p) => (log.push(["free", p]), a.free(a.ctx, p)),
  });
  return old;
}

test("ref: defaults per profile: RAW = _PyMem_RawMalloc; MEM = pymalloc (cpython) or raw (2013); OBJ = pymalloc", () => {
  const names = (py: RefPep445) => [0, 1, 2].map((d) => py.PyMem_GetAllocator(d).malloc.name);
  const cp = createRef();
  assert.equal(cp.profile, "cpython");
  assert.equal(cp.geometry, "cpython310");
  assert.deepEqual(names(cp), ["_PyMem_RawMalloc", "_PyObject_Malloc", "_PyObject_Malloc"]);
  assert.equal(cp.pymalloc.ARENA_SIZE, 1 << 20);
  const old = createRef({ profile: "pep445-2013" });
  assert.equal(old.geometry, "pep445");
  assert.deepEqual(names(old), ["_PyMem_RawMalloc", "_PyMem_RawMalloc", "_PyObject_Malloc"]);
  assert.equal(old.pymalloc.ARENA_SIZE, 256 << 10);
  assert.equal(old.PyMem_GetAllocator(1).malloc, old.PyMem_GetAllocator(0).malloc);
  assert.equal(createRef({ profile: "pep445-2013", geometry: "cpython310" }).pymalloc.POOL_SIZE, 16384);
  for (const py of [cp, old]) {
    assert.equal(py.name, "ref");
    assert.equal(py.memory, py.heap);
    for (let d = 0; d < 3; d++) assert.equal(py.PyMem_GetAllocator(d).ctx, null); // CPython's ctx is NULL
  }
});

test("ref: small OBJ requests are pymalloc's; 0 and > 512 bytes fall back", () => {
  const py = createRef();
  const small = py.PyObject_Malloc(512);
  const big = py.PyObject_Malloc(513);
  const zero = py.PyObject_Malloc(0);
  assert.equal(py.pymalloc.owns(small), true);
  assert.equal(py.pymalloc.owns(big), false);
  assert.equal(py.raw.isLive(big), true);
  assert.equal(py.raw.isLive(zero), true);
  assert.equal(py.pymalloc.owns(py.PyMem_Malloc(16)), true); // MEM is pymalloc in the cpython profile
  const old = createRef({ profile: "pep445-2013" });
  assert.equal(old.pymalloc.owns(old.PyMem_Malloc(16)), false); // MEM is the raw allocator in pep445-2013
  assert.equal(old.pymalloc.owns(old.PyObject_Malloc(16)), true);
  for (const p of [small, big, zero]) py.PyObject_Free(p);
});

test("ref: pymalloc's fallback goes through the entry points: PyMem_RawMalloc (cpython), PyMem_Malloc (2013)", () => {
  for (const profile of PROFILES) {
    const py = createRef({ profile });
    const raw: unknown[][] = [];
    const mem: unknown[][] = [];
    tap(py, 0, raw);
    tap(py, 1, mem);
    const p = py.PyObject_Malloc(1000);
    const z = py.PyObject_Malloc(0);
    const c = py.PyObject_Calloc(2, 600);
    const q = py.PyObject_Realloc(p, 2000);
    py.PyObject_Free(q);
    py.PyObject_Free(z);
    py.PyObject_Free(c);
    const expected = [
      ["malloc", 1000],
      ["malloc", 0],
      ["calloc", 2, 600],
      ["realloc", p, 2000],
      ["free", q],
      ["free", z],
      ["free", c],
    ];
    assert.deepEqual(profile === "cpython" ? raw : mem, expected, profile);
    assert.deepEqual(profile === "cpython" ? mem : raw, [], profile);
  }
});

test("ref: the default RAW allocator applies _PyMem_RawMalloc's zero-size rules over the system malloc", () => {
  const py = createRef();
  const before = py.raw.liveBytes;
  const a = py.PyMem_RawMalloc(0); // malloc(1)
  const b = py.PyMem_RawCalloc(0, 5); // calloc(1, 1)
  const c = py.PyMem_RawCalloc(5, 0);
  assert.equal(py.raw.liveBytes - before, 3);
  const d = py.PyMem_RawRealloc(py.PyMem_RawMalloc(10), 0); // realloc(p, 1): resized, not freed
  assert.notEqual(d, 0);
  assert.equal(py.raw.liveBytes - before, 4);
  assert.equal(new Set([a, b, c, d]).size, 4);
  for (const p of [a, b, c, d]) py.PyMem_RawFree(p);
  assert.equal(py.raw.liveBytes, before);
});

test("ref: test_pymem_alloc0: X(0) and X(0, 0) are distinct non-NULL in every domain, both profiles, with and without hooks", () => {
  for (const profile of PROFILES) {
    for (const hooks of [false, true]) {
      const py = createRef({ profile });
      if (hooks) py.PyMem_SetupDebugHooks();
      const ps: Ptr[] = [
        py.PyMem_RawMalloc(0),
        py.PyMem_RawMalloc(0),
        py.PyMem_RawCalloc(0, 0),
        py.PyMem_Malloc(0),
        py.PyMem_Malloc(0),
        py.PyMem_Calloc(0, 0),
        py.PyObject_Malloc(0),
        py.PyObject_Malloc(0),
        py.PyObject_Calloc(0, 0),
      ];
      assert.ok(ps.every((p) => p !== 0), `${profile} hooks=${hooks}`);
      assert.equal(new Set(ps).size, ps.length);
      ps.slice(0, 3).forEach((p) => py.PyMem_RawFree(p));
      ps.slice(3, 6).forEach((p) => py.PyMem_Free(p));
      ps.slice(6).forEach((p) => py.PyObject_Free(p));
    }
  }
});

test("ref: test_setallocators: ctx, sizes and pointers reach a hook exactly, in each domain and profile", () => {
  const fam = [
    ["PyMem_RawMalloc", "PyMem_RawRealloc", "PyMem_RawCalloc", "PyMem_RawFree"],
    ["PyMem_Malloc", "PyMem_Realloc", "PyMem_Calloc", "PyMem_Free"],
    ["PyObject_Malloc", "PyObject_Realloc", "PyObject_Calloc", "PyObject_Free"],
  ] as const;
  for (const profile of PROFILES) {
    for (let d = 0; d < 3; d++) {
      const py = createRef({ profile: profile as Profile });
      const hook = { log: [] as unknown[][], old: py.PyMem_GetAllocator(d) };
      const ctxs = new Set<unknown>();
      const o = hook.old;
      py.PyMem_SetAllocator(d, {
        ctx: hook,
        malloc: (c, n) => (ctxs.add(c), c.log.push(["malloc", n]), o.malloc(o.ctx, n)),
        calloc: (c, e, s) => (ctxs.add(c), c.log.push(["calloc", e, s]), o.calloc!(o.ctx, e, s)),
        realloc: (c, p, n) => (ctxs.add(c), c.log.push(["realloc", p, n]), o.realloc(o.ctx, p, n)),
        free: (c, p) => (ctxs.add(c), c.log.push(["free", p]), o.free(o.ctx, p)),
      });
      const [m, r, c, f] = fam[d];
      const p = py[m](42);
      const p2 = py[r](p, 200);
      py[f](p2);
      const p3 = py[c](2, 5);
      py[f](p3);
      assert.deepEqual(hook.log, [["malloc", 42], ["realloc", p, 200], ["free", p2], ["calloc", 2, 5], [
        "free",
        p3,
      ]]);
      assert.deepEqual([...ctxs], [hook]);
      py.PyMem_SetAllocator(d, hook.old);
    }
  }
});

test("ref: debug hooks sit on top of pymalloc and raw; blocks from before the hooks are 'bad ID' (as CPython)", () => {
  const py = createRef();
  const before = py.PyObject_Malloc(16);
  py.PyMem_SetupDebugHooks();
  const p = py.PyObject_Malloc(16);
  assert.equal(py.pymalloc.owns(p - 16), true);
  assert.equal(py.heap.u8[p - 8], 0x6f);
  assert.throws(() => py.PyObject_Free(before), { kind: "bad_id" });
  const big = py.PyObject_Malloc(600); // pymalloc falls back to PyMem_RawMalloc(624): a RAW debug block inside
  assert.equal(py.heap.u8[big - 8], 0x6f);
  assert.equal(py.heap.u8[big - 24], 0x72);
  py.PyObject_Free(big);
  py.PyObject_Free(p);
  assert.throws(
    () => py.PyMem_Free(py.PyObject_Malloc(8)),
    /bad ID: Allocated using API 'o', verified using API 'm'/,
  );
});

test("ref: host controls and options are validated with clear errors", () => {
  assert.throws(
    () => createRef({ profile: "3.11" as Profile }),
    /createRef: unknown profile "3.11": use "pep445-2013" or "cpython"/,
  );
  assert.throws(() => createRef({ geometry: "big" as never }), /unknown geometry "big"/);
  assert.throws(() => createRef({ violation: "ignore" as never }), /unknown violation mode "ignore"/);
  assert.throws(() => createRef({ heapLimit: 10 }), RangeError);
  const py = createRef({ heapLimit: 1 << 20 });
  assert.equal(py.PyMem_RawMalloc(2 << 20), 0); // past the heap limit: NULL, never an exception
  assert.throws(() => py.setGilHeld(0 as never), /setGilHeld: held must be a boolean/);
  assert.throws(() => py.setViolationMode("log" as never), /unknown violation mode "log"/);
  py.setGilHeld(false);
  py.PyMem_Free(py.PyMem_Malloc(8)); // no debug hooks: nothing checks the GIL
  py.close();
  py.close();
});

test("ref: huge sizes pymalloc passes to its fallback give NULL, not an exception (PyObject_Malloc(PY_SSIZE_T_MAX))", () => {
  for (const profile of PROFILES) {
    const py = createRef({ profile });
    const seen: unknown[][] = [];
    tap(py, profile === "cpython" ? 0 : 1, seen);
    assert.equal(py.PyObject_Malloc(PY_SSIZE_T_MAX), 0);
    assert.equal(py.PyObject_Calloc(1, PY_SSIZE_T_MAX), 0);
    assert.equal(py.PyObject_Malloc(2n ** 60n), 0);
    const p = py.PyObject_Malloc(8);
    assert.equal(py.PyObject_Realloc(p, PY_SSIZE_T_MAX), 0);
    assert.deepEqual(seen, [["malloc", 2 ** 63], ["calloc", 1, 2 ** 63], ["malloc", 2 ** 60], [
      "malloc",
      2 ** 63,
    ]]);
    py.PyObject_Free(p); // the failed realloc left it alone
    py.PyMem_SetupDebugHooks();
    assert.equal(py.PyObject_Malloc(PY_SSIZE_T_MAX - 24n), 0);
  }
});
