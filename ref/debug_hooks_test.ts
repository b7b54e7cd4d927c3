import { test } from "node:test";
import assert from "node:assert/strict";
import { PyMemDebugError } from "./types.ts";
import { bytes, type Call, debugWorld } from "./debug_hooks_testing.ts";

const rep = (b: number, n: number) => new Array(n).fill(b);

test("debug_hooks: cpython layout of PyMem_Malloc(16) byte for byte; malloc(n + 3S) underneath", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Malloc(16);
  assert.equal(p % 16, 0);
  assert.deepEqual(w.log, [["malloc", 40]]);
  assert.deepEqual(bytes(w.heap, p - 16, p + 24), [
    ...[0, 0, 0, 0, 0, 0, 0, 0x10, 0x6d, ...rep(0xfd, 7)],
    ...rep(0xcd, 16),
    ...rep(0xfd, 8),
  ]);
  assert.equal(w.heap.u8[w.ep.PyMem_RawMalloc(1) - 8], 0x72); // 'r'
  assert.equal(w.heap.u8[w.ep.PyObject_Malloc(1) - 8], 0x6f); // 'o'
  assert.deepEqual(w.log.slice(1), [["malloc", 25], ["malloc", 25]]);
});

test("debug_hooks: pep445-2013 layout: CB/FB bytes and a big-endian serial number; malloc(n + 4S)", () => {
  const w = debugWorld("pep445-2013");
  const p1 = w.ep.PyMem_Malloc(3);
  const p2 = w.ep.PyMem_RawMalloc(0x123);
  assert.deepEqual(w.log, [["malloc", 35], ["malloc", 0x123 + 32]]);
  assert.deepEqual(bytes(w.heap, p1 - 16, p1 + 19), [
    ...[0, 0, 0, 0, 0, 0, 0, 3, 0x6d, ...rep(0xfb, 7)],
    ...rep(0xcb, 3),
    ...rep(0xfb, 8),
    ...[0, 0, 0, 0, 0, 0, 0, 1], // call #1
  ]);
  assert.deepEqual(bytes(w.heap, p2 - 16, p2 - 8), [0, 0, 0, 0, 0, 0, 1, 0x23]);
  assert.deepEqual(bytes(w.heap, p2 + 0x123 + 8, p2 + 0x123 + 16), [0, 0, 0, 0, 0, 0, 0, 2]); // call #2
  assert.equal(w.hooks.serialno(), 2);
  const c = w.ep.PyObject_Calloc(2, 3); // calloc(1, n + 4S), call #3
  assert.deepEqual(w.log.at(-1), ["calloc", 1, 38]);
  assert.deepEqual(bytes(w.heap, c - 8, c + 22), [
    0x6f,
    ...rep(0xfb, 7),
    ...rep(0, 6),
    ...rep(0xfb, 8),
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    3,
  ]);
});

test("debug_hooks: calloc passes calloc(1, n + 3S) down and leaves zeroed data; size 0 writes no data", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Calloc(3, 5);
  assert.deepEqual(w.log, [["calloc", 1, 39]]);
  assert.deepEqual(bytes(w.heap, p - 8, p + 23), [0x6d, ...rep(0xfd, 7), ...rep(0, 15), ...rep(0xfd, 8)]);
  const z = w.ep.PyMem_Malloc(0);
  assert.deepEqual(bytes(w.heap, z - 16, z + 8), [...rep(0, 8), 0x6d, ...rep(0xfd, 7), ...rep(0xfd, 8)]);
  assert.notEqual(w.ep.PyMem_Malloc(0), z); // every block has its own header
});

test("debug_hooks: a domain without calloc (2013 Set) under the hooks: malloc(n + 3S) + zero fill", () => {
  const w = debugWorld("cpython", { install: false });
  const { ctx, malloc, realloc, free } = w.ep.PyMem_GetAllocator(1);
  w.ep.PyMem_SetAllocators({ ctx, malloc, realloc, free });
  assert.equal(w.ep.PyMem_GetAllocator(1).calloc, null);
  const dirty = w.ep.PyMem_Malloc(64);
  w.heap.u8.fill(0xee, dirty, dirty + 64);
  w.ep.PyMem_Free(dirty); // recycled below
  w.install();
  w.log.length = 0;
  const p = w.ep.PyMem_Calloc(8, 5);
  assert.deepEqual(w.log, [["malloc", 64]]);
  assert.deepEqual(bytes(w.heap, p - 8, p + 48), [0x6d, ...rep(0xfd, 7), ...rep(0, 40), ...rep(0xfd, 8)]);
});

test("debug_hooks: free checks, fills all n + 3S bytes with DEADBYTE, then frees q", () => {
  for (const [profile, dead, extra] of [["cpython", 0xdd, 24], ["pep445-2013", 0xdb, 32]] as const) {
    const w = debugWorld(profile);
    const p = w.ep.PyObject_Malloc(10);
    let seen: number[] = [];
    w.onCall = (c) => {
      if (c[0] === "free") seen = bytes(w.heap, c[1], c[1] + 10 + extra);
    };
    w.ep.PyObject_Free(p);
    assert.deepEqual(w.log.at(-1), ["free", p - 16]);
    assert.deepEqual(seen, rep(dead, 10 + extra), profile);
    assert.equal(w.raw.isLive(p - 16), false);
  }
});

test("debug_hooks: free(NULL) returns before any check; the hook underneath is not called", () => {
  const w = debugWorld("cpython");
  w.ep.PyMem_Free(0);
  w.ep.PyMem_RawFree(0);
  assert.deepEqual(w.log, []);
});

test("debug_hooks: checks run in CPython's order: id, leading pad, trailing pad", () => {
  const w = debugWorld("cpython");
  const kinds: string[] = [];
  const p = w.ep.PyMem_Malloc(16);
  w.heap.u8[p - 8] = 0x78; // id 'x'
  w.heap.u8[p - 1] = 0; // leading pad
  w.heap.u8[p + 16] = 0; // trailing pad
  for (let i = 0; i < 3; i++) {
    try {
      w.ep.PyMem_Free(p);
    } catch (e) {
      assert.ok(e instanceof PyMemDebugError);
      kinds.push(e.kind);
      if (e.kind === "bad_id") {
        assert.equal(
          e.message,
          "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'x', verified using API 'm'",
        );
        assert.equal(e.apiId, 0x78);
        w.heap.u8[p - 8] = 0x6d;
      } else if (e.kind === "bad_leading_pad") w.heap.u8[p - 1] = 0xfd;
      else w.heap.u8[p + 16] = 0xfd;
    }
  }
  assert.deepEqual(kinds, ["bad_id", "bad_leading_pad", "bad_trailing_pad"]);
  w.ep.PyMem_Free(p); // repaired: frees
  assert.deepEqual(w.log.at(-1), ["free", p - 16]);
});

test("debug_hooks: a violation in throw mode has no effect: the block stays live and unchanged", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Malloc(16);
  w.heap.u8[p + 16] = 0x78;
  const before = bytes(w.heap, p - 16, p + 24);
  assert.throws(() => w.ep.PyMem_Free(p), { kind: "bad_trailing_pad", func: "_PyMem_DebugRawFree" });
  assert.throws(() => w.ep.PyMem_Realloc(p, 100), {
    kind: "bad_trailing_pad",
    func: "_PyMem_DebugRawRealloc",
  });
  assert.deepEqual(bytes(w.heap, p - 16, p + 24), before);
  assert.equal(w.raw.isLive(p - 16), true);
  assert.deepEqual(w.log.map((c: Call) => c[0]), ["malloc"]);
});

test("debug_hooks: API misuse is caught in every direction; the function is always the Raw one", () => {
  const w = debugWorld("cpython");
  const ids = { r: 0x72, m: 0x6d, o: 0x6f } as const;
  const alloc = {
    r: (n: number) => w.ep.PyMem_RawMalloc(n),
    m: (n: number) => w.ep.PyMem_Malloc(n),
    o: (n: number) => w.ep.PyObject_Malloc(n),
  };
  const free = {
    r: (p: number) => w.ep.PyMem_RawFree(p),
    m: (p: number) => w.ep.PyMem_Free(p),
    o: (p: number) => w.ep.PyObject_Free(p),
  };
  const realloc = {
    r: (p: number) => w.ep.PyMem_RawRealloc(p, 8),
    m: (p: number) => w.ep.PyMem_Realloc(p, 8),
    o: (p: number) => w.ep.PyObject_Realloc(p, 8),
  };
  for (const a of ["r", "m", "o"] as const) {
    for (const v of ["r", "m", "o"] as const) {
      if (a === v) continue;
      const p = alloc[a](16);
      const msg = `bad ID: Allocated using API '${a}', verified using API '${v}'`;
      assert.throws(() => free[v](p), {
        message: `Fatal Python error: _PyMem_DebugRawFree: ${msg}`,
        apiId: ids[a],
        verifiedId: ids[v],
        address: p,
      });
      assert.throws(() => realloc[v](p), { message: `Fatal Python error: _PyMem_DebugRawRealloc: ${msg}` });
      free[a](p);
    }
  }
});

/** test_mem.py's PTR_REGEX and `.format(ptr=...)`; the regexes below are copied literally (Python source). */
const PTR_REGEX = String.raw`(?:0x)?[0-9a-fA-F]+`;
const fmt = (re: string) => new RegExp(re.replaceAll("{ptr}", PTR_REGEX), "s"); // re.DOTALL

/** PyMemDebugTests.test_buffer_overflow (CPython 3.11). */
const BUFFER_OVERFLOW_REGEX = fmt(
  String
    .raw`Debug memory block at address p={ptr}: API 'm'\n    16 bytes originally requested\n    The [0-9] pad bytes at p-[0-9] are FORBIDDENBYTE, as expected.\n    The [0-9] pad bytes at tail={ptr} are not all FORBIDDENBYTE \(0x[0-9a-f]{2}\):\n        at tail\+0: 0x78 \*\*\* OUCH\n        at tail\+1: 0xfd\n        at tail\+2: 0xfd\n        .*\n(    The block was made by call #[0-9]+ to debug malloc/realloc.\n)?    Data at p: cd cd cd .*\n\nEnable tracemalloc to get the memory block allocation traceback\n\nFatal Python error: _PyMem_DebugRawFree: bad trailing pad byte`,
);
/** PyMemDebugTests.test_api_misuse (CPython 3.11). */
const API_MISUSE_REGEX = fmt(
  String
    .raw`Debug memory block at address p={ptr}: API 'm'\n    16 bytes originally requested\n    The [0-9] pad bytes at p-[0-9] are FORBIDDENBYTE, as expected.\n    The [0-9] pad bytes at tail={ptr} are FORBIDDENBYTE, as expected.\n(    The block was made by call #[0-9]+ to debug malloc/realloc.\n)?    Data at p: cd cd cd .*\n\nEnable tracemalloc to get the memory block allocation traceback\n\nFatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'r'\n`,
);

test("debug_hooks: test_mem.py regexes match (pymem_buffer_overflow, pymem_api_misuse)", () => {
  const w = debugWorld("cpython");
  const p = w.ep.PyMem_Malloc(16);
  w.heap.u8[p + 16] = 0x78; // buf[16] = 'x'
  assert.throws(() => w.ep.PyMem_Free(p), (e: PyMemDebugError) => BUFFER_OVERFLOW_REGEX.test(e.text));
  const q = w.ep.PyMem_Malloc(16);
  assert.throws(() => w.ep.PyMem_RawFree(q), (e: PyMemDebugError) => API_MISUSE_REGEX.test(e.text));
  // and they fail on the other profile's text, so the match above means something
  const old = debugWorld("pep445-2013");
  const r = old.ep.PyMem_Malloc(16);
  old.heap.u8[r + 16] = 0x78;
  assert.throws(() => old.ep.PyMem_Free(r), (e: PyMemDebugError) => !BUFFER_OVERFLOW_REGEX.test(e.text));
});
