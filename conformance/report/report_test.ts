import { test } from "node:test";
import assert from "node:assert/strict";
import type { Result } from "../execute.ts";
import { createReporter, FORMATS, summarize } from "./mod.ts";
import { xml } from "./junit.ts";
import type { RerunContext } from "./rerun.ts";
import { rerunCommand } from "./rerun.ts";
import { verdictText } from "./summary.ts";

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

const RERUN: RerunContext = { prog: "npx deno task conformance", abi: "shipped", timeoutS: 20 };

function render(format: (typeof FORMATS)[number], results = RESULTS): string {
  const out: string[] = [];
  const rep = createReporter(format, (s) => out.push(s), { rerun: RERUN });
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
  const { rerun: _, ...rest } = lines[1];
  assert.deepEqual(rest, RESULTS[1]);
  assert.equal(lines.at(-1).summary, true);
  assert.equal(lines.at(-1).exit, 1);
  assert.equal(lines[0].rerun, undefined, "a PASS has no rerun");
  assert.equal(
    lines[1].rerun,
    "npx deno task conformance --target t --filter '^free_null/a$' --domain MEM --profile cpython",
  );
  assert.equal(lines.at(-1).verdict, "NOT conformant: t: 1 FAIL, 1 ERROR in 2 causes");
  assert.deepEqual(lines.at(-1).causes.map((c: any) => [c.id, c.status, c.runs]), [["c1", "FAIL", 1], [
    "c2",
    "ERROR",
    1,
  ]]);
  assert.deepEqual(lines.at(-1).informational_causes.map((c: any) => c.text), ["moved"]);
});

test("report tap: ok / not ok / SKIP / TODO and a plan", () => {
  const t = render("tap").split("\n");
  assert.equal(t[0], "TAP version 13");
  assert.equal(t[1], "ok 1 - t free_null/a[RAW]@cpython");
  assert.equal(t[2], "not ok 2 - t free_null/a[MEM]@cpython");
  assert.ok(t.includes("  status: FAIL"));
  assert.ok(
    t.includes(
      `  rerun: "npx deno task conformance --target t --filter '^debug_pads/b$' --domain OBJ --variant tail+3 --profile cpython"`,
    ),
    t.join("\n"),
  );
  assert.ok(t.includes(`  cause: "c1: expected 0, got <1> & \\"2\\""`), t.join("\n"));
  assert.ok(t.includes("# NOT conformant: t: 1 FAIL, 1 ERROR in 2 causes"));
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
  assert.match(
    x,
    /<system-out>informational FAIL: moved\nrerun alone: npx deno task conformance --target t --filter '\^realloc\/e\$' --domain RAW --profile cpython<\/system-out>/,
  );
  assert.match(
    x,
    /<\/failure><system-out>rerun alone: npx deno task conformance --target t --filter '\^free_null\/a\$' --domain MEM --profile cpython<\/system-out>/,
  );
  assert.match(x, /<failure [^>]*>cause c1 \(1 runs on t\): expected 0/);
  assert.equal(xml("a\u0001b<"), "a?b&lt;");
});

test("report markdown: verdict, feature x target matrix, failures by cause with reruns, informational apart", () => {
  const m = render("markdown");
  assert.match(m, /\*\*NOT conformant: t: 1 FAIL, 1 ERROR in 2 causes\*\*/);
  assert.match(m, /\| feature \| t \|/);
  assert.match(m, /\| free-null \| 1\/4 \(2 failing\) \|/);
  assert.match(m, /## Failures by cause\n\n2 runs \(FAIL 1, ERROR 1\) in 2 causes\./);
  assert.match(m, /### c1: t: FAIL x1: expected 0, got <1> & "2"/);
  assert.match(m, /- `free_null\/a`: spec cpython-facts.md §1.3: "NULL is a no-op."/);
  assert.match(
    m,
    /\| free_null\/a\[MEM\]@cpython \| expected 0, got <1> & "2" \| `npx deno task conformance --target t --filter '\^free_null\/a\$' --domain MEM --profile cpython` \|/,
  );
  assert.match(m, /## Informational results \(never fail a run\)\n\n### ic1: t: FAIL x1: moved/);
});

test("report table: counts table, not-run reasons, causes with reruns, a verdict naming the target", () => {
  const t = render("table");
  assert.match(t, /^t\s+1\s+1\s+1\s+1\s+1\s+1$/m);
  assert.match(t, /t: UNSUPPORTED t lacks capability threads \(1 runs\)/);
  assert.match(t, /^failures by cause: 2 runs \(FAIL 1, ERROR 1\) in 2 causes on t$/m);
  assert.match(t, /^ {2}\[c2\] t: ERROR x1: target crashed: signal SIGSEGV$/m);
  assert.match(
    t,
    /^ {8}\[OBJ\/tail\+3\]@cpython {2}rerun: npx deno task conformance --target t --filter '\^debug_pads\/b\$' --domain OBJ --variant tail\+3 --profile cpython$/m,
  );
  assert.match(
    t,
    /^informational \(never fails a run\): 1 FAIL\/ERROR runs in 1 causes\n {2}\[ic1\] t: FAIL x1: moved$/m,
  );
  assert.match(t, /6 runs in 1\.5 s: NOT conformant: t: 1 FAIL, 1 ERROR in 2 causes$/);
});

test("causes: one bug across cases, domains and profiles is one cause; numbers masked; the verdict counts causes", () => {
  const mk = (
    c: string,
    domain: "RAW" | "MEM",
    profile: "cpython" | "pep445-2013",
    message: string,
    target = "jemalloc",
  ) => ({ ...base, target, case: c, domain, profile, status: "FAIL" as const, message });
  const rs: Result[] = [
    mk("zero_size/a", "RAW", "cpython", "malloc(0) returned NULL"),
    mk("zero_size/a", "MEM", "pep445-2013", "malloc(0) returned NULL"),
    mk("zero_size/b", "RAW", "cpython", "malloc(0) returned NULL"),
    mk("realloc/c", "RAW", "cpython", "realloc(0x55aa01, 24) moved to 0x7f0001"),
    mk("realloc/d", "MEM", "cpython", "realloc(0x55bb02, 48) moved to 0x7f0002"),
    mk("zero_size/a", "RAW", "cpython", "malloc(0) returned NULL", "native"),
  ];
  const lines = render("json", rs).split("\n").map((l) => JSON.parse(l));
  const causes = lines.at(-1).causes;
  assert.deepEqual(causes.map((c: any) => [c.target, c.runs, c.text]), [
    ["jemalloc", 3, "malloc(0) returned NULL"],
    ["jemalloc", 2, "realloc(0x…, N) moved to 0x…"],
    ["native", 1, "malloc(0) returned NULL"],
  ]);
  assert.deepEqual(causes[0].cases, ["zero_size/a", "zero_size/b"]);
  assert.deepEqual(causes[0].profiles, ["cpython", "pep445-2013"]);
  assert.equal(verdictText(rs), "NOT conformant: jemalloc: 5 FAIL in 2 causes; native: 1 FAIL in 1 cause");
  assert.equal(verdictText([RESULTS[0], RESULTS[5]]), "conformant: no FAIL, no ERROR");
});

test("reports: the run's time budget is shown in one line (table)", () => {
  const out: string[] = [];
  const rep = createReporter("table", (s) => out.push(s), { rerun: RERUN });
  const budget = {
    baseSeconds: 20,
    cpus: 2,
    load: { start: 3.5, max: 4.12 },
    factor: { start: 2.75, max: 3.1 },
    caseSeconds: 55,
    aloneFactor: 4,
    rerunAlone: 1,
    confirmedTimeouts: 0,
  };
  rep.finish(RESULTS.slice(0, 1), { ...summarize(RESULTS.slice(0, 1), 1), budget });
  assert.ok(
    out.includes(
      "budget: 20 s per case idle; load 3.5 (max 4.1) on 2 cores, x2.8 (max x3.1) -> 55 s per case; 1 run timed out in parallel, rerun alone with x4: 0 timed out again",
    ),
    out.join("\n"),
  );
});

test("rerun: the exact selection, shell-quoted, non-default options kept", () => {
  const r = {
    target: "vtable:./my lib.so",
    case: "a/b",
    domain: "-" as const,
    profile: "pep445-2013" as const,
  };
  assert.equal(
    rerunCommand(r, { prog: "npx allocspec conformance", abi: "2013", timeoutS: 5 }),
    "npx allocspec conformance --target 'vtable:./my lib.so' --filter '^a/b$' --profile pep445-2013 --abi 2013 --timeout 5",
  );
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
  assert.match(alone, /\n {6}hits 1 case · domains RAW · profiles cpython · every run reproduces alone\n/);
  assert.doesNotMatch(alone, /\n {10}reproduces alone\n/, "said once for the cause");
});
