/** regrtest's output as CPython 3.11.7 prints it (captured from a run with crashing and failing modules). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRegrtestOutput } from "./regrtest_output.ts";

const RUN = `Using random seed: 1410784096
0:00:00 load avg: 14.51 Run 4 tests in parallel using 2 worker processes
0:00:00 load avg: 14.51 [1/4/1] test_abortme worker non-zero exit code (Exit code -6 (SIGABRT))
Fatal Python error: Aborted

Current thread 0x00007fcf16dd7740 (most recent call first):
  File "/tmp/crt/test_abortme.py", line 4 in test_abort

Extension modules: _testcapi (total: 1)
0:00:00 load avg: 14.51 [2/4/2] test_badfree worker non-zero exit code (Exit code -6 (SIGABRT))
Debug memory block at address p=0x7f40760ee590: API 'o'
    16 bytes originally requested
    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.
    The 8 pad bytes at tail=0x7f40760ee5a0 are FORBIDDENBYTE, as expected.
    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd

Enable tracemalloc to get the memory block allocation traceback

Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'o', verified using API 'm'
Python runtime state: initialized

Current thread 0x00007f407689a740 (most recent call first):
  File "/tmp/crt/test_badfree.py", line 6 in test_bad_id
0:00:01 load avg: 14.51 [3/4/3] test_okay failed (1 failure)
test test_okay failed -- Traceback (most recent call last):
AssertionError: 1 != 2
0:00:01 load avg: 14.51 [4/4/3] test_json passed
0:00:02 [5/5/3] test_sys failed (env changed)
0:00:03 [6/6/3] test_x skipped -- No module named 'x'

== Tests result: FAILURE ==

3 tests failed:
    test_abortme test_badfree test_okay
`;

test("statuses per module, crashes with their detail, violations with CPython's text and their module", () => {
  const r = parseRegrtestOutput(RUN, ["test_abortme", "test_never"]);
  assert.equal(r.result, "FAILURE");
  const st = Object.fromEntries([...r.modules].map(([k, v]) => [k, v.status]));
  assert.deepEqual(st, {
    test_abortme: "crashed",
    test_badfree: "crashed",
    test_okay: "failed",
    test_json: "passed",
    test_sys: "env_changed",
    test_x: "skipped",
    test_never: "not_run",
  });
  assert.match(
    r.modules.get("test_abortme")!.detail,
    /Exit code -6 \(SIGABRT\).*Fatal Python error: Aborted/,
  );
  assert.equal(r.violations.length, 1);
  assert.equal(r.violations[0].module, "test_badfree");
  assert.match(r.violations[0].text, /^Debug memory block at address p=0x7f40760ee590: API 'o'\n/);
  assert.match(
    r.violations[0].text,
    /Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'o', verified using API 'm'$/,
  );
});

test("a dump cut short by a crash still counts; no summary means regrtest died", () => {
  const r = parseRegrtestOutput(
    "Debug memory block at address p=0x1: API 'm'\n    8 bytes originally requested\n    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):\n",
  );
  assert.equal(r.result, undefined);
  assert.equal(r.violations.length, 1);
  assert.equal(r.violations[0].module, "(startup)");
  assert.match(r.violations[0].text, /not all FORBIDDENBYTE/);
  assert.equal(parseRegrtestOutput("Fatal Python error: Segmentation fault\n").violations.length, 0);
});

test("checking-layer reports: attributed to the module they follow, fields kept, crash lines, printable", () => {
  const text = [
    "allocspec check: violation of calloc/calloc_zeroes_recycled_memory [MEM] byte 0 of the 8 bytes is 0x58, not zero",
    "  allocator: vtable:./x.so",
    "  call: calloc(1, 8) -> 0x10",
    "  C site: PyList_New+0xcd (libpython3.11.so.1.0+0x1833cd)",
    "  Python: none (this thread does not hold the GIL)",
    "  reproduce: npx deno task python --allocator vtable:./x.so --check -- -c pass",
    "  conformance: npx deno task conformance --target vtable:./x.so --filter '^calloc/calloc_zeroes_recycled_memory$'",
    "allocspec check: stopped at the first violation (exit 86; ALLOCSPEC_CHECK_MODE=count goes on)",
    "0:00:01 load avg: 1.0 [1/2/1] test_json crashed (Exit code 86)",
    "allocspec check: violation of no_overlap/live_blocks_never_overlap [OBJ] 0x20 (64 bytes) overlaps \x1b[31m\xff",
    "  call: malloc(64) -> 0x20",
    "0:00:02 load avg: 1.0 [2/2/2] test_sys crashed (Exit code -11)",
    "allocspec-python: Python died by SIGSEGV on allocator vtable:./x.so (debug hooks: none); check: inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop; no rule violation seen before (4 calls checked)",
  ].join("\n");
  const r = parseRegrtestOutput(text, ["test_json", "test_sys"]);
  assert.deepEqual(r.checkViolations.map((v) => [v.module, v.rule, v.domain]), [
    ["(startup)", "calloc/calloc_zeroes_recycled_memory", "MEM"],
    ["test_json", "no_overlap/live_blocks_never_overlap", "OBJ"],
  ]);
  assert.equal(r.checkViolations[0].cSite, "PyList_New+0xcd (libpython3.11.so.1.0+0x1833cd)");
  assert.match(r.checkViolations[0].conformance!, /--filter '\^calloc\/calloc_zeroes_recycled_memory\$'$/);
  assert.equal(r.checkViolations[1].message, "0x20 (64 bytes) overlaps \\x1b[31m\\xff");
  assert.equal(r.checkViolations[1].call, "malloc(64) -> 0x20");
  assert.deepEqual(r.crashLines.map((c) => c.module), ["test_sys"]);
  assert.match(r.crashLine!, /free_null\/free_null_is_noop/);
});
