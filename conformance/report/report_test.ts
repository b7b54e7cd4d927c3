import { test } from "node:test";
import assert from "node:assert/strict";
import type { Result } from "../execute.ts";
import { createReporter, FORMATS, summarize } from "./mod.ts";
import { xml } from "./junit.ts";

const spec = { section: "cpython-facts.md §1.3", quote: "NULL is a no-op." };
const base = {
  target: "t",
  profile: "cpython" as const,
  spec,
  features: ["free-null" as const],
  ms: 1,
  message: "",
};
const RESULTS: Result[] = [
  { ...base, case: "free_null/a", domain: "RAW", status: "PASS" },
  { ...base, case: "free_null/a", domain: "MEM", status: "FAIL", message: 'expected 0, got <1> & "2"' },
  {
    ...base,
    case: "debug_pads/b",
    domain: "OBJ",
    variant: "tail+3",
    status: "ERROR",
    message: "target crashed: signal SIGSEGV",
  },
  { ...base, case: "free_null/c", domain: "-", status: "SKIP", message: "known gap" },
  { ...base, case: "free_null/d", domain: "-", status: "UNSUPPORTED", message: "t lacks capability threads" },
  { ...base, case: "realloc/e", domain: "RAW", status: "FAIL", message: "moved", informational: true },
];

function render(format: (typeof FORMATS)[number], results = RESULTS): string {
  const out: string[] = [];
  const rep = createReporter(format, (s) => out.push(s), { progress: (s) => out.push(s) });
  results.forEach((r, i) => rep.onResult(r, i + 1, results.length));
  rep.finish(results, summarize(results, 1.5));
  return out.join("\n");
}

test("summary: counts per status and target; informational failures never set exit 1", () => {
  const s = summarize(RESULTS, 2);
  assert.deepEqual(s.counts, { PASS: 1, FAIL: 1, ERROR: 1, SKIP: 1, UNSUPPORTED: 1, informational: 1 });
  assert.equal(s.exit, 1);
  assert.equal(summarize([RESULTS[0], RESULTS[3], RESULTS[5]], 1).exit, 0);
  assert.equal(s.targets.t.FAIL, 1);
});

test("report json: one parsable object per result, then the summary", () => {
  const lines = render("json").split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, RESULTS.length + 1);
  assert.deepEqual(lines[1], RESULTS[1]);
  assert.equal(lines.at(-1).summary, true);
  assert.equal(lines.at(-1).exit, 1);
});

test("report tap: ok / not ok / SKIP / TODO and a plan", () => {
  const t = render("tap").split("\n");
  assert.equal(t[0], "TAP version 13");
  assert.equal(t[1], "ok 1 - t free_null/a[RAW]@cpython");
  assert.equal(t[2], "not ok 2 - t free_null/a[MEM]@cpython");
  assert.ok(t.includes("  status: FAIL"));
  assert.ok(t.includes("not ok 3 - t debug_pads/b[OBJ/tail+3]@cpython"));
  assert.ok(t.includes("ok 4 - t free_null/c@cpython # SKIP skip: known gap"));
  assert.ok(t.includes("ok 5 - t free_null/d@cpython # SKIP unsupported: t lacks capability threads"));
  assert.ok(t.includes("not ok 6 - t realloc/e[RAW]@cpython # TODO informational"));
  assert.ok(t.includes("1..6"));
});

test("report junit: failure, error, skipped elements with escaped text", () => {
  const x = render("junit");
  assert.match(
    x,
    /<testsuites name="allocspec conformance" tests="6" failures="1" errors="1" skipped="2" time="1.500">/,
  );
  assert.match(x, /<failure message="expected 0, got &lt;1&gt; &amp; &quot;2&quot;" type="FAIL">/);
  assert.match(x, /<error message="target crashed: signal SIGSEGV" type="ERROR">/);
  assert.equal(x.match(/<skipped /g)?.length, 2);
  assert.match(x, /<system-out>informational FAIL: moved<\/system-out>/);
  assert.equal(xml("a\u0001b<"), "a?b&lt;");
});

test("report markdown: feature x target matrix and a failure list", () => {
  const m = render("markdown");
  assert.match(m, /\| feature \| t \|/);
  assert.match(m, /\| free-null \| 1\/4 \(2 failing\) \|/);
  assert.match(m, /## Failures/);
  assert.match(m, /\| t realloc\/e\[RAW\]@cpython \| FAIL \(informational\) \| moved \|/);
});

test("report table: failures as they happen, counts table, not-run reasons, verdict", () => {
  const t = render("table");
  assert.match(t, /^FAIL t free_null\/a\[MEM\]@cpython: expected 0/m);
  assert.match(t, /^INFO FAIL t realloc\/e\[RAW\]@cpython: moved/m);
  assert.match(t, /^t\s+1\s+1\s+1\s+1\s+1\s+1$/m);
  assert.match(t, /t: UNSUPPORTED t lacks capability threads \(1 runs\)/);
  assert.match(t, /6 runs in 1\.5 s: NOT conformant/);
});

test("reports: the alone label of a re-run FAIL shows in table, markdown and json", () => {
  const r: Result = {
    ...base,
    case: "realloc/shrink",
    domain: "RAW",
    status: "FAIL",
    message: "moved",
    alone: "only after earlier cases (state from the run)",
    aloneStatus: "PASS",
    earlier: ["a/x@cpython", "b/y@cpython", "c/z@cpython", "d/w@cpython"],
  };
  const want =
    /only after earlier cases \(state from the run\): PASS when run alone in a fresh worker; it ran after b\/y@cpython, c\/z@cpython, d\/w@cpython \(and 1 earlier\)/;
  assert.match(render("table", [r]), want);
  assert.match(render("markdown", [r]), want);
  assert.deepEqual(JSON.parse(render("json", [r]).split("\n")[0]).earlier, r.earlier);
  const alone = render("table", [{
    ...r,
    alone: "reproduces alone",
    aloneStatus: undefined,
    earlier: undefined,
  }]);
  assert.match(alone, /\n {6}reproduces alone\n/);
});
