/** compareRuns: what is NEW (the allocator's fault), shared with the baseline, expected, a crash. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { compareRuns } from "./compare.ts";
import { formatReport } from "./report.ts";
import type { CaseResult, RegrtestRun } from "./regrtest.ts";
import type { ModuleResult } from "./regrtest_output.ts";

function fakeRun(
  allocator: string,
  cases: [string, CaseResult["status"]][],
  modules: Record<string, ModuleResult["status"]>,
  extra: Partial<RegrtestRun> = {},
): RegrtestRun {
  const cs = cases.map(([id, status]) => ({ id, status, message: `${id} ${status}` }));
  const failed = cs.filter((c) => c.status === "failed" || c.status === "error").length;
  const skipped = cs.filter((c) => c.status === "skipped").length;
  return {
    allocator,
    exitStatus: 0,
    signal: null,
    result: "SUCCESS",
    modules: Object.fromEntries(Object.entries(modules).map(([k, status]) => [k, { status, detail: "" }])),
    cases: cs,
    violations: [],
    checkViolations: [],
    crashLine: undefined,
    crashLines: [],
    repro: undefined,
    counts: { run: cs.length, passed: cs.length - failed - skipped, failed, skipped },
    wallMs: 1000,
    cpuS: 2,
    peakRssKb: 100_000,
    tail: "",
    ...extra,
  };
}

const BASE = fakeRun("cpython", [
  ["test.test_a.T.test_1", "passed"],
  ["test.test_a.T.test_flaky_everywhere", "failed"],
  ["test.test_sys.SysModuleTest.test_getallocatedblocks", "passed"],
], { test_a: "failed", test_sys: "passed", test_b: "passed", test_c: "crashed" });

test("new vs shared vs expected failures, module crashes, ratios", () => {
  const run = fakeRun(
    "x",
    [
      ["test.test_a.T.test_1", "error"],
      ["test.test_a.T.test_flaky_everywhere", "failed"],
      ["test.test_sys.SysModuleTest.test_getallocatedblocks", "failed"],
    ],
    { test_a: "failed", test_sys: "failed", test_b: "crashed", test_c: "crashed" },
    {
      wallMs: 1500,
      cpuS: 3,
      peakRssKb: 110_000,
    },
  );
  const v = compareRuns(BASE, run);
  assert.deepEqual(v.newFailures.map((f) => f.id), ["test.test_a.T.test_1", "test_b"]);
  assert.deepEqual(v.sharedFailures.map((f) => f.id), ["test.test_a.T.test_flaky_everywhere", "test_c"]);
  assert.deepEqual(v.expected.map((f) => f.id), ["test.test_sys.SysModuleTest.test_getallocatedblocks"]);
  assert.match(v.expected[0].reason!, /pymalloc/);
  assert.deepEqual(v.crashes.map((f) => f.id), ["test_b", "test_c"]);
  assert.equal(v.clean, false);
  assert.equal(v.wallRatio, 1.5);
  assert.equal(v.cpuRatio, 1.5);
  assert.ok(Math.abs(v.rssRatio! - 1.1) < 1e-9);
});

test("a clean run, a violation, an interpreter that died before regrtest's summary", () => {
  const clean = compareRuns(BASE, fakeRun("y", [["test.test_a.T.test_1", "passed"]], { test_a: "passed" }));
  assert.equal(clean.clean, true);
  const viol = compareRuns(
    BASE,
    fakeRun("z", [], {}, { violations: [{ module: "test_a", text: "Debug memory block" }] }),
  );
  assert.equal(viol.clean, false);
  const died = compareRuns(
    BASE,
    fakeRun("w", [], { test_a: "not_run" }, {
      result: undefined,
      signal: "SIGSEGV",
      tail: "Fatal Python error: Segmentation fault",
    }),
  );
  // no module ever started: ONE finding (not one per module), counted once as new and listed once as a crash
  assert.deepEqual(died.newFailures.map((f) => f.id), ["(start-up)"]);
  assert.deepEqual(died.crashes.map((f) => f.id), ["(start-up)"]);
  assert.match(died.crashes[0].detail, /died at start-up \(SIGSEGV\): .*Segmentation fault/);
  assert.equal(died.startupCrash, true);
  const self = compareRuns(BASE, BASE);
  assert.equal(self.baseline, true);
  assert.deepEqual(self.newFailures, []);
  assert.deepEqual(self.sharedFailures.map((f) => f.id), ["test.test_a.T.test_flaky_everywhere", "test_c"]);
});

test("a crash mid-run is one finding naming the modules that never ran; rules are grouped per id", () => {
  const v = (module: string, rule: string, message: string) => ({ module, rule, domain: "OBJ", message });
  const run = fakeRun("m", [["test.test_a.T.test_1", "passed"]], {
    test_a: "passed",
    test_b: "crashed",
    test_c: "not_run",
    test_sys: "not_run",
  }, {
    result: undefined,
    signal: "SIGSEGV",
    crashLine:
      "allocspec-python: Python died by SIGSEGV on allocator m (debug hooks: none); check: inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop; no rule violation seen before (9 calls checked)",
    crashLines: [{
      module: "test_b",
      line:
        "allocspec-python: Python died by SIGSEGV on allocator m (debug hooks: none); check: inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop; no rule violation seen before (9 calls checked)",
    }],
    checkViolations: [
      v("test_a", "no_overlap/live_blocks_never_overlap", "first"),
      v("test_b", "no_overlap/live_blocks_never_overlap", "second"),
    ],
  });
  const verdict = compareRuns(BASE, run);
  assert.deepEqual(verdict.crashes.map((c) => c.id), ["test_b", "(regrtest)"]);
  assert.match(verdict.crashes[1].detail, /2 modules never ran: test_c test_sys/);
  assert.match(verdict.crashes[1].detail, /free_null\/free_null_is_noop/);
  assert.deepEqual(verdict.rules.map((r) => [r.rule, r.count, r.modules]), [
    ["no_overlap/live_blocks_never_overlap", 2, ["test_a", "test_b"]],
    ["free_null/free_null_is_noop", 1, ["test_b"]],
  ]);
  assert.equal(verdict.rules[0].first.message, "first");
  assert.equal(verdict.rules[1].first.domain, "RAW");
  assert.equal(verdict.clean, false);
});

test("a death inside free(NULL) named by the crash line is a rule and counts in the violations column", () => {
  const line =
    "allocspec-python: Python died by SIGSEGV on allocator vtable:x.so (debug hooks: none); check: inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop; no rule violation seen before (25 calls checked)";
  const run = fakeRun("vtable:x.so", [], {}, {
    signal: "SIGSEGV",
    result: undefined,
    crashLines: [{ module: "(startup)", line }],
  });
  const v = compareRuns(BASE, run);
  assert.deepEqual(v.rules.map((r) => r.rule), ["free_null/free_null_is_noop"]);
  const table = formatReport("table", [compareRuns(BASE, BASE), v], { tests: ["test_a"], debugHooks: "" });
  const cells = table.split("\n").find((l) => l.startsWith("vtable:x.so "))!.trim().split(/\s+/);
  assert.equal(cells[9], "1", table); // allocator run passed failed skipped NEW shared expected crashes violations
});
