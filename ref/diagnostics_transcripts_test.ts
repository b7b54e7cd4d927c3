/**
 * cpython-facts.md §3: every debug-hook row of the empirical oracle (CPython 3.11.7, PYTHONMALLOC=debug)
 * replayed through createRef() + PyMem_SetupDebugHooks(), the full text compared after scrubbing the
 * two addresses (p= and tail=) as the oracle did.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Profile, type PyMemDebugError } from "./types.ts";
import { createRef, type RefPep445 } from "./ref.ts";

const scrub = (t: string) =>
  t.replace(/p=0x[0-9a-f]+/, "p=0xADDR").replace(/tail=0x[0-9a-f]+/, "tail=0xADDR");
const lines = (...l: string[]) => l.join("\n") + "\n";

function world(profile: Profile = "cpython"): RefPep445 {
  const py = createRef({ profile });
  py.PyMem_SetupDebugHooks();
  return py;
}

function textOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return scrub((e as PyMemDebugError).text);
  }
  throw new Error("no violation");
}

const END = (func: string, msg: string) =>
  lines(
    "",
    "Enable tracemalloc to get the memory block allocation traceback",
    "",
    `Fatal Python error: ${func}: ${msg}`,
    "Python runtime state: initialized",
    "",
  );
const HEAD = (api: string, n: number) =>
  lines(`Debug memory block at address p=0xADDR: API '${api}'`, `    ${n} bytes originally requested`);
const LEAD_OK = "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n";
const TAIL_OK = "    The 8 pad bytes at tail=0xADDR are FORBIDDENBYTE, as expected.\n";
const CD16 = "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n";
const tailLines = (hit: number, b: number) =>
  "    The 8 pad bytes at tail=0xADDR are not all FORBIDDENBYTE (0xfd):\n" +
  [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    `        at tail+${i}: ${i === hit ? `0x${b.toString(16)} *** OUCH` : "0xfd"}\n`
  ).join("");

test("transcripts: A, 1-byte overflow p[16]='x' then PyMem_Free", () => {
  const py = world();
  const p = py.PyMem_Malloc(16);
  py.heap.u8[p + 16] = 0x78;
  assert.equal(
    textOf(() => py.PyMem_Free(p)),
    HEAD("m", 16) + LEAD_OK + tailLines(0, 0x78) + CD16 + END("_PyMem_DebugRawFree", "bad trailing pad byte"),
  );
});

test("transcripts: B, underflow p[-1]='x' then PyMem_Free", () => {
  const py = world();
  const p = py.PyMem_Malloc(16);
  py.heap.u8[p - 1] = 0x78;
  const lead = lines(
    "    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):",
    ...[7, 6, 5, 4, 3, 2].map((i) => `        at p-${i}: 0xfd`),
    "        at p-1: 0x78 *** OUCH",
    "    Because memory is corrupted at the start, the count of bytes requested",
    "       may be bogus, and checking the trailing pad bytes may segfault.",
  );
  assert.equal(
    textOf(() => py.PyMem_Free(p)),
    HEAD("m", 16) + lead + TAIL_OK + CD16 + END("_PyMem_DebugRawFree", "bad leading pad byte"),
  );
});

test("transcripts: C and the API-misuse rows (m->o, m->r, o->m free and realloc, r->m)", () => {
  const rows: [string, (py: RefPep445) => number, (py: RefPep445, p: number) => unknown, string, string][] = [
    ["m", (py) => py.PyMem_Malloc(16), (py, p) => py.PyObject_Free(p), "o", "_PyMem_DebugRawFree"],
    ["m", (py) => py.PyMem_Malloc(16), (py, p) => py.PyMem_RawFree(p), "r", "_PyMem_DebugRawFree"],
    ["o", (py) => py.PyObject_Malloc(16), (py, p) => py.PyMem_Free(p), "m", "_PyMem_DebugRawFree"],
    ["o", (py) => py.PyObject_Malloc(16), (py, p) => py.PyMem_Realloc(p, 32), "m", "_PyMem_DebugRawRealloc"],
    ["r", (py) => py.PyMem_RawMalloc(16), (py, p) => py.PyMem_Free(p), "m", "_PyMem_DebugRawFree"],
  ];
  for (const [a, alloc, misuse, v, func] of rows) {
    const py = world();
    const p = alloc(py);
    assert.equal(
      textOf(() => misuse(py, p)),
      HEAD(a, 16) + LEAD_OK + TAIL_OK + CD16 +
        END(func, `bad ID: Allocated using API '${a}', verified using API '${v}'`),
      `${a} -> ${v}`,
    );
  }
});

test("transcripts: id byte overwritten with 'x'; overflow caught by PyMem_RawRealloc", () => {
  const py = world();
  const p = py.PyMem_Malloc(16);
  py.heap.u8[p - 8] = 0x78;
  assert.equal(
    textOf(() => py.PyMem_Free(p)),
    HEAD("x", 16) + LEAD_OK + TAIL_OK + CD16 +
      END("_PyMem_DebugRawFree", "bad ID: Allocated using API 'x', verified using API 'm'"),
  );
  const r = py.PyMem_RawMalloc(16);
  py.heap.u8[r + 16] = 0x78;
  assert.equal(
    textOf(() => py.PyMem_RawRealloc(r, 64)),
    HEAD("r", 16) + LEAD_OK + tailLines(0, 0x78) + CD16 +
      END("_PyMem_DebugRawRealloc", "bad trailing pad byte"),
  );
});

test("transcripts: D (40-byte block, tail+3 hit) and E (0-byte block overflowed: no Data line)", () => {
  const py = world();
  const p = py.PyObject_Malloc(40);
  for (let i = 0; i < 40; i++) py.heap.u8[p + i] = i;
  py.heap.u8[p + 43] = 0x41;
  assert.equal(
    textOf(() => py.PyObject_Free(p)),
    HEAD("o", 40) + LEAD_OK + tailLines(3, 0x41) +
      "    Data at p: 00 01 02 03 04 05 06 07 ... 20 21 22 23 24 25 26 27\n" +
      END("_PyMem_DebugRawFree", "bad trailing pad byte"),
  );
  const z = py.PyMem_Malloc(0);
  py.heap.u8[z] = 0x78;
  assert.equal(
    textOf(() => py.PyMem_Free(z)),
    HEAD("m", 0) + LEAD_OK + tailLines(0, 0x78) + END("_PyMem_DebugRawFree", "bad trailing pad byte"),
  );
});

test("transcripts: F, PyMem_Malloc / PyObject_Free(NULL) without the GIL; RAW without the GIL works", () => {
  const py = world();
  py.setGilHeld(false);
  const f = (func: string) =>
    lines(
      `Fatal Python error: ${func}: Python memory allocator called without holding the GIL`,
      "Python runtime state: initialized",
      "",
    );
  assert.equal(textOf(() => py.PyMem_Malloc(10)), f("_PyMem_DebugMalloc"));
  assert.equal(textOf(() => py.PyObject_Free(0)), f("_PyMem_DebugFree"));
  py.PyMem_RawFree(py.PyMem_RawMalloc(10));
});

test("transcripts: G, double free: bad ID with the raw byte 0xDD (the rest of the dump is heap junk)", () => {
  const py = world();
  const p = py.PyMem_Malloc(16);
  py.PyMem_Free(p);
  const t = textOf(() => py.PyMem_Free(p));
  assert.ok(t.startsWith("Debug memory block at address p=0xADDR: API '\xdd'\n"), t);
  assert.match(t, /\n {8}at p-7: 0xdd \*\*\* OUCH\n/);
  assert.ok(
    t.endsWith(
      "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API '\xdd', verified using API 'm'\nPython runtime state: initialized\n\n",
    ),
  );
});

test("transcripts: the same rows in the pep445-2013 profile use 0xfb/0xcb, the serial line and bare fatal lines", () => {
  const py = world("pep445-2013");
  const p = py.PyMem_Malloc(16); // call #1
  py.heap.u8[p + 16] = 0x78;
  const tail = "    The 8 pad bytes at tail=0xADDR are not all FORBIDDENBYTE (0xfb):\n" +
    [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `        at tail+${i}: ${i === 0 ? "0x78 *** OUCH" : "0xfb"}\n`).join(
      "",
    );
  assert.equal(
    textOf(() => py.PyMem_Free(p)),
    HEAD("m", 16) + LEAD_OK + tail + "    The block was made by call #1 to debug malloc/realloc.\n" +
      "    Data at p: cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb\n\nFatal Python error: bad trailing pad byte\n\n",
  );
  const q = py.PyObject_Malloc(3); // call #2 (pymalloc's block: the OBJ layer only)
  assert.equal(
    textOf(() => py.PyMem_Free(q)),
    HEAD("o", 3) + LEAD_OK + TAIL_OK + "    The block was made by call #2 to debug malloc/realloc.\n" +
      "    Data at p: cb cb cb\n\nFatal Python error: bad ID: Allocated using API 'o', verified using API 'm'\n\n",
  );
  py.setGilHeld(false);
  py.PyMem_Free(py.PyMem_Malloc(8)); // no GIL check in this profile
});
