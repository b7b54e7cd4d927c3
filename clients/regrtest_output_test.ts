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
