import { test } from "node:test";
import assert from "node:assert/strict";
import {
  badIdMessage,
  dumpDebugBlock,
  fatalErrorText,
  formatChar,
  formatPointer,
  tracemallocHint,
} from "./diagnostics.ts";
import { violationError } from "./diagnostics_report.ts";
import { debugLayout, writeSizeT } from "./debug_hooks_layout.ts";
import type { Profile } from "./types.ts";

/** A hand-made debug block of `n` bytes at p = 0x1010 in a 64 KiB space, data bytes from `data(i)`. */
function block(profile: Profile, n: number, id: number, data: (i: number) => number, serial = 7) {
  const lay = debugLayout(profile);
  const u8 = new Uint8Array(65536);
  const dv = new DataView(u8.buffer);
  const p = 0x1010;
  writeSizeT(dv, p - 16, n);
  u8[p - 8] = id;
  u8.fill(lay.forbidden, p - 7, p);
  for (let i = 0; i < n; i++) u8[p + i] = data(i);
  u8.fill(lay.forbidden, p + n, p + n + 8);
  if (lay.serial) writeSizeT(dv, p + n + 8, serial);
  return { u8, p, tail: p + n };
}

test("diagnostics: %p and %c as glibc prints them", () => {
  assert.equal(formatPointer(0x7f00dead0010), "0x7f00dead0010");
  assert.equal(formatPointer(0), "(nil)");
  assert.equal(formatPointer(-16n), "0xfffffffffffffff0"); // C pointer arithmetic wraps
  assert.equal(formatChar(0x6d), "m");
  assert.equal(formatChar(0xdd), "\xdd"); // the raw byte, as transcript G's API 'Ý'
});

test("diagnostics: fatal lines per profile (3.11 with func prefix and runtime state; <=3.7 bare)", () => {
  assert.equal(
    fatalErrorText("cpython", "_PyMem_DebugRawFree", "bad trailing pad byte"),
    "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n\n",
  );
  assert.equal(
    fatalErrorText("pep445-2013", "_PyMem_DebugRawFree", "bad leading pad byte"),
    "Fatal Python error: bad leading pad byte\n\n",
  );
  assert.equal(badIdMessage(0x6d, 0x6f), "bad ID: Allocated using API 'm', verified using API 'o'");
  assert.equal(
    tracemallocHint("cpython"),
    "Enable tracemalloc to get the memory block allocation traceback\n\n",
  );
  assert.equal(tracemallocHint("pep445-2013"), "");
});

test("diagnostics: transcript A (overflow at tail+0), cpython profile, exact text", () => {
  const { u8, p, tail } = block("cpython", 16, 0x6d, () => 0xcd);
  u8[tail] = 0x78;
  const e = violationError("cpython", "bad_trailing_pad", p, "_PyMem_DebugRawFree", 0x6d, 0x6d, u8);
  const tails = [1, 2, 3, 4, 5, 6, 7].map((i) => `        at tail+${i}: 0xfd\n`).join("");
  assert.equal(
    e.text,
    `Debug memory block at address p=0x1010: API 'm'\n` +
      `    16 bytes originally requested\n` +
      `    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n` +
      `    The 8 pad bytes at tail=0x1020 are not all FORBIDDENBYTE (0xfd):\n` +
      `        at tail+0: 0x78 *** OUCH\n` + tails +
      `    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n` +
      `\n` +
      `Enable tracemalloc to get the memory block allocation traceback\n` +
      `\n` +
      `Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n` +
      `Python runtime state: initialized\n` +
      `\n`,
  );
  assert.equal(e.message, "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte");
});

test("diagnostics: transcript B (underflow at p-1), cpython profile", () => {
  const { u8, p } = block("cpython", 16, 0x6d, () => 0xcd);
  u8[p - 1] = 0x78;
  const text = dumpDebugBlock(u8, p, "cpython");
  const leading = [7, 6, 5, 4, 3, 2].map((i) => `        at p-${i}: 0xfd\n`).join("");
  assert.equal(
    text,
    `Debug memory block at address p=0x1010: API 'm'\n` +
      `    16 bytes originally requested\n` +
      `    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):\n` + leading +
      `        at p-1: 0x78 *** OUCH\n` +
      `    Because memory is corrupted at the start, the count of bytes requested\n` +
      `       may be bogus, and checking the trailing pad bytes may segfault.\n` +
      `    The 8 pad bytes at tail=0x1020 are FORBIDDENBYTE, as expected.\n` +
      `    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n\n` +
      `Enable tracemalloc to get the memory block allocation traceback\n\n`,
  );
});

test("diagnostics: Data at p rules (transcripts D and E): <=8, 9..16 all, >16 first 8 ... last 8", () => {
  const line = (n: number) => {
    const { u8, p } = block("cpython", n, 0x6f, (i) => i);
    return dumpDebugBlock(u8, p, "cpython").split("\n").find((l) => l.startsWith("    Data at p:"));
  };
  assert.equal(line(40), "    Data at p: 00 01 02 03 04 05 06 07 ... 20 21 22 23 24 25 26 27"); // transcript D
  assert.equal(line(3), "    Data at p: 00 01 02");
  assert.equal(line(8), "    Data at p: 00 01 02 03 04 05 06 07");
  assert.equal(line(9), "    Data at p: 00 01 02 03 04 05 06 07 08");
  assert.equal(line(16), "    Data at p: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
  assert.equal(line(17), "    Data at p: 00 01 02 03 04 05 06 07 ... 09 0a 0b 0c 0d 0e 0f 10");
  assert.equal(line(0), undefined);
  // transcript E: a 0-byte block: no Data line, then the blank line
  const { u8, p } = block("cpython", 0, 0x6d, () => 0);
  u8[p] = 0x78;
  const text = dumpDebugBlock(u8, p, "cpython");
  assert.match(text, / {4}0 bytes originally requested\n/);
  assert.match(text, / {8}at tail\+7: 0xfd\n\nEnable tracemalloc/);
});

test("diagnostics: pep445-2013 dump: 0xfb pads, the serial line, no tracemalloc hint", () => {
  const { u8, p, tail } = block("pep445-2013", 16, 0x6d, () => 0xcb, 42);
  u8[tail] = 0x78;
  const e = violationError("pep445-2013", "bad_trailing_pad", p, "_PyMem_DebugRawFree", 0x6d, 0x6d, u8);
  // the 3.6 test_capi regex (fill bytes 0xfb/cb, the serial line always, bare fatal line)
  const ptr = "(?:0x)?[0-9a-fA-F]+";
  const re = new RegExp(
    `Debug memory block at address p=${ptr}: API 'm'\n` +
      "    16 bytes originally requested\n" +
      "    The [0-9] pad bytes at p-[0-9] are FORBIDDENBYTE, as expected.\n" +
      `    The [0-9] pad bytes at tail=${ptr} are not all FORBIDDENBYTE \\(0x[0-9a-f]{2}\\):\n` +
      "        at tail\\+0: 0x78 \\*\\*\\* OUCH\n" +
      "        at tail\\+1: 0xfb\n" +
      "        at tail\\+2: 0xfb\n" +
      "        .*\n" +
      "    The block was made by call #[0-9]+ to debug malloc/realloc.\n" +
      "    Data at p: cb cb cb .*\n" +
      "\n" +
      "Fatal Python error: bad trailing pad byte",
    "s",
  );
  assert.match(e.text, re);
  assert.match(e.text, / {4}The block was made by call #42 to debug malloc\/realloc\.\n {4}Data at p/);
  assert.ok(
    e.text.endsWith(
      "    Data at p: cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb\n\nFatal Python error: bad trailing pad byte\n\n",
    ),
  );
  assert.equal(e.func, "_PyMem_DebugRawFree");
});

test("diagnostics: a raw non-ASCII id byte and a nonsense size (transcript G) stop where C would crash", () => {
  const u8 = new Uint8Array(8192).fill(0xdd);
  const p = 0x1010;
  const e = violationError("cpython", "bad_id", p, "_PyMem_DebugRawFree", 0xdd, 0x6d, u8);
  const lines = e.text.split("\n");
  assert.equal(lines[0], "Debug memory block at address p=0x1010: API '\xdd'");
  assert.equal(lines[1], "    15987178197214944733 bytes originally requested");
  assert.equal(lines[3], "        at p-7: 0xdd *** OUCH");
  assert.match(
    e.text,
    /The 8 pad bytes at tail=0xddddddddddddeded are \[unreadable: tail is outside the heap/,
  );
  assert.ok(
    e.text.endsWith(
      "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API '\xdd', verified using API 'm'\nPython runtime state: initialized\n\n",
    ),
  );
  assert.equal(e.apiId, 0xdd);
  assert.equal(e.verifiedId, 0x6d);
});

test("diagnostics: no_gil carries only the fatal lines (transcript F)", () => {
  const e = violationError("cpython", "no_gil", 0, "_PyMem_DebugMalloc", 0x6d, 0x6d);
  assert.equal(
    e.text,
    "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\n" +
      "Python runtime state: initialized\n\n",
  );
});
