/** Reading the layer's and the launcher's lines: violations, crash lines and their rule, summaries, printable text. */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  crashRule,
  formatViolation,
  parseCheckViolations,
  parseCrashLine,
  parseSummaries,
  printable,
} from "./report.ts";

test("printable: control bytes, Latin-1, undecodable bytes and astral characters are escaped", () => {
  assert.equal(printable("a\tb\nc"), "a\tb\nc");
  assert.equal(printable("\x1b[31mred\x00"), "\\x1b[31mred\\x00");
  assert.equal(printable("caf\u00e9 \ufffd \u{1f600}"), "caf\\xe9 \\x?? \\u{1f600}");
});

test("violation blocks: first line and fields; a block ends at the first other line", () => {
  const vs = parseCheckViolations(
    "noise\nallocspec check: violation of realloc/realloc_grow_keeps_prefix [MEM] lost\n" +
      "  call: realloc(0x1, 64) -> 0x2\n  Python: /x.py:3 in f\nnot a field\n  call: ignored\n",
  );
  assert.equal(vs.length, 1);
  assert.deepEqual(vs[0], {
    rule: "realloc/realloc_grow_keeps_prefix",
    domain: "MEM",
    message: "lost",
    call: "realloc(0x1, 64) -> 0x2",
    python: "/x.py:3 in f",
  });
  assert.match(
    formatViolation(vs[0]),
    /^allocspec check: violation of realloc\/realloc_grow_keeps_prefix \[MEM\] lost\n {2}call: /,
  );
});

test("crash lines, the rule a crash breaks, count-mode summaries", () => {
  const line =
    "allocspec-python: Python died by SIGSEGV on allocator vtable:./x.so (debug hooks: none); check: inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop; no rule violation seen before (4 calls checked)";
  const c = parseCrashLine(`before\n${line}\n`);
  assert.equal(c?.signal, "SIGSEGV");
  assert.equal(c?.allocator, "vtable:./x.so");
  assert.equal(crashRule(c), "free_null/free_null_is_noop");
  const plain = parseCrashLine(
    "allocspec-python: Python died by SIGABRT on allocator native:cpython310 (debug hooks: cpython)",
  );
  assert.equal(plain?.check, undefined);
  assert.equal(crashRule(plain), undefined);
  // the last violation mentioned in a crash line is not the crash's own rule
  assert.equal(
    crashRule(parseCrashLine(
      "allocspec-python: Python died by SIGSEGV on allocator a (debug hooks: none); check: last violation: no_overlap/live_blocks_never_overlap [OBJ] x (5 calls checked)",
    )),
    undefined,
  );
  assert.deepEqual(
    parseSummaries(
      "allocspec check: summary: 3 violations (a/b x2, c/d x1); 10 calls checked, 0 allocation failures seen\n" +
        "allocspec check: summary: 1 violation (a/b x1); 3 calls checked, 0 allocation failures seen\n",
    ),
    { "a/b": 3, "c/d": 1 },
  );
});
