import { test } from "node:test";
import assert from "node:assert/strict";
import { GOALS, judge, STABLE_FIGURES } from "./goals.ts";
import { buildReport, reportJson } from "./results.ts";
import type { ScenarioResult } from "./scenario.ts";
import { fmt, markdownSummary } from "./summary.ts";
import { chartBars, ratioChart } from "./svg.ts";
import { median, quantile, summarize } from "./stats.ts";
import { hasSettled, measurePaired, pairedDiffs, pairedRatios, pairedRounds, warmupNote } from "./harness.ts";

const base = { description: "d", params: {}, seconds: 1, notes: [] as string[], mitata: [] };
const SCENARIOS: ScenarioResult[] = [
  {
    ...base,
    name: "indirection",
    runtime: "deno",
    rows: [{ name: "pybench: 1 hook", unit: "ns/op", median: 21.5, q1: 21, q3: 22, min: 20, max: 30, n: 12 }],
    figures: { hook_added_ns_per_op: 1.25, indirection_workload_ratio_1hook: 1.06 },
    spreads: {
      hook_added_ns_per_op: summarize([1.1, 1.2, 1.25, 1.3, 1.4]),
      indirection_workload_ratio_1hook: summarize([1.05, 1.06, 1.07]),
    },
    loadavg: { start: [0.5, 0.4, 0.3], end: [1.5, 0.6, 0.4] },
  },
  { ...base, name: "pymalloc", runtime: "deno", rows: [], figures: { pymalloc_vs_cpython: 1.2 } },
  { ...base, name: "ref_vs_native", runtime: "deno", rows: [], figures: { ref_vs_native_deno: 2.5 } },
  { ...base, name: "ref_vs_native", runtime: "bun", rows: [], figures: {}, error: "ref/mod.ts is missing" },
];

function report() {
  return buildReport({
    date: "2026-01-02T03:04:05.000Z",
    command: "npx deno task bench",
    quick: false,
    filter: null,
    context: { cpu: "TestCPU", cores: 2, runtimes: { deno: "2.9.6", bun: "1.4.5" } },
    scenarios: SCENARIOS,
  });
}

test("stats: median and quantiles", () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.deepEqual(summarize([2, 9, 4]), { median: 4, q1: 3, q3: 6.5, min: 2, max: 9, n: 3 });
});

test("goals: judge met, missed and not measured", () => {
  assert.equal(judge("pymalloc_vs_cpython", 1.0).status, "met");
  assert.equal(judge("pymalloc_vs_cpython", 1.01).status, "missed");
  const nm = judge("ref_vs_native_bun", null, "why");
  assert.equal(nm.status, "not measured");
  assert.equal(nm.value, null);
  assert.equal(nm.reason, "why");
  assert.equal(judge("hook_overhead_cpython_pct", NaN).status, "not measured");
});

test("results: every stable figure is present, judged, with reasons for missing ones", () => {
  const r = report();
  assert.deepEqual(Object.keys(r.figures), [...STABLE_FIGURES]);
  assert.equal(r.figures.hook_added_ns_per_op.status, "met");
  assert.equal(r.figures.hook_added_ns_per_op.value, 1.25);
  assert.deepEqual(r.figures.hook_added_ns_per_op.spread, { q1: 1.2, q3: 1.3, min: 1.1, max: 1.4, n: 5 });
  assert.deepEqual(r.figures.hook_added_ns_per_op.loadavg?.start, [0.5, 0.4, 0.3]);
  assert.equal(r.figures.pymalloc_vs_cpython.spread, undefined);
  assert.deepEqual(r.other_figures_spread.indirection_workload_ratio_1hook.n, 3);
  assert.equal(r.figures.pymalloc_vs_cpython.status, "missed");
  assert.equal(r.figures.ref_vs_native_deno.status, "met");
  assert.equal(r.figures.ref_vs_native_bun.status, "not measured");
  assert.match(r.figures.ref_vs_native_bun.reason!, /ref_vs_native failed: ref\/mod.ts is missing/);
  assert.match(r.figures.debug_vs_cpython_debug.reason!, /debug_hooks did not run/);
  assert.deepEqual(r.other_figures, { indirection_workload_ratio_1hook: 1.06 });
  const parsed = JSON.parse(reportJson(r));
  assert.equal(parsed.schema, "allocspec-bench/1");
  assert.equal(parsed.figures.pymalloc_vs_cpython.goal, "<= 1 x");
});

test("results: a filtered-out scenario says so", () => {
  const r = buildReport({
    date: "d",
    command: "c",
    quick: true,
    filter: "^indirection$",
    context: {},
    scenarios: SCENARIOS.slice(0, 1),
  });
  assert.match(r.figures.debug_vs_cpython_debug.reason!, /not selected by --filter \^indirection\$/);
});

test("summary: markdown table with goal status and scenario rows", () => {
  const md = markdownSummary(report());
  assert.match(md, /- command: `npx deno task bench`/);
  assert.match(md, /\| `pymalloc_vs_cpython` \| 1\.200 x \| - \| - \| <= 1 x \| \*\*MISSED\*\* \|/);
  // the spread over rounds (IQR, min - max, rounds) and the load while the scenario ran
  assert.match(
    md,
    /\| `hook_added_ns_per_op` \| 1\.250 ns\/op \| 1\.200 - 1\.300 \(1\.100 - 1\.400\), 5 \| 0\.5 -> 1\.5 \| <= 2 ns\/op \| met \|/,
  );
  assert.match(
    md,
    /\| indirection \| deno \| pybench: 1 hook \| 21\.50 ns\/op \| 21\.00 \| 22\.00 \| 20\.00 \| 30\.00 \| 12 \|/,
  );
  assert.match(md, /- indirection@deno: 0\.5 -> 1\.5/);
  assert.match(md, /\| ref_vs_native \| bun \| ERROR: ref\/mod.ts is missing/);
  for (const name of STABLE_FIGURES) assert.ok(md.includes(`\`${name}\``), name);
  assert.equal(fmt(1234.5), "1235");
  assert.equal(fmt(null), "n/a");
});

test("svg: bars colored by goal, missing values marked, well-formed", () => {
  const bars = chartBars(report());
  assert.equal(bars.length, 5);
  assert.equal(bars[0].value, null); // hook overhead not measured
  assert.equal(bars[2].label, "pymalloc_vs_cpython");
  assert.equal(bars[2].goal, GOALS.pymalloc_vs_cpython.max);
  const svg = ratioChart(bars, "t <&>");
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trim().endsWith("</svg>"));
  assert.match(svg, /t &lt;&amp;&gt;/);
  assert.match(svg, /1\.200x \(missed\)/);
  assert.match(svg, /fill="#d0463c"/); // red bar for the miss
  assert.match(svg, /fill="#3a9d4a"/); // green bar for ref_vs_native_deno
  assert.equal((svg.match(/not measured/g) ?? []).length, 3);
  assert.equal((svg.match(/stroke-dasharray/g) ?? []).length, 5); // one goal tick per bar
});

test("harness: paired rounds rotate the order and pair samples by round", () => {
  const order: string[] = [];
  let t = 0;
  const s = pairedRounds([
    { name: "a", run: () => (order.push("a"), ++t) },
    { name: "b", run: () => (order.push("b"), 2 * ++t) },
  ], 3);
  assert.deepEqual(order, ["a", "b", "b", "a", "a", "b"]);
  assert.deepEqual(s.a, [1, 4, 5]);
  assert.deepEqual(s.b, [4, 6, 12]);
  assert.deepEqual(pairedRatios(s.b, s.a), [4, 1.5, 2.4]);
  assert.deepEqual(pairedDiffs(s.b, s.a), [3, 2, 7]);
  assert.deepEqual(pairedRatios([1, NaN, 3], [1, 2]), [1]);
});

test("summary: warns when the machine was busier than its cores", () => {
  const r = buildReport({
    date: "d",
    command: "c",
    quick: false,
    filter: null,
    context: { cores: 2, loadavg_start: [5.5, 1, 1], loadavg_end: [1, 1, 1] },
    scenarios: [],
  });
  assert.match(markdownSummary(r), /\*\*warning\*\*: load average 5\.5 on 2 cores/);
  const calm = buildReport({
    date: "d",
    command: "c",
    quick: false,
    filter: null,
    context: { cores: 2, loadavg_start: [0.5, 1, 1] },
    scenarios: [],
  });
  assert.doesNotMatch(markdownSummary(calm), /warning/);
});

test("harness: warm-up runs until every variant's median settles, then measures the asked rounds", () => {
  // a variant that speeds up over its first calls (a JIT going through its tiers), then steady
  const cold = [16, 12, 8, 5, 3, 2];
  let calls = 0;
  const jit = { name: "jit", run: () => cold[calls++] ?? 1 };
  const flat = { name: "flat", run: () => 2 };
  const m = measurePaired([jit, flat], 5, { window: 3, tolerance: 0.03, maxRounds: 40 });
  assert.equal(m.warmup.settled, true);
  assert.ok(
    m.warmup.rounds >= cold.length,
    `settled after ${m.warmup.rounds} rounds, before the cold calls ended`,
  );
  assert.deepEqual(m.samples.jit, [1, 1, 1, 1, 1]); // no cold sample in the measured rounds
  assert.deepEqual(pairedRatios(m.samples.flat, m.samples.jit), [2, 2, 2, 2, 2]);
  // a variant that never settles: the limit is reported, the rounds are measured anyway
  let k = 0;
  const noisy = { name: "noisy", run: () => (k++ % 2 ? 1 : 3) * (1 + k) };
  const n = measurePaired([noisy], 4, { maxRounds: 10 });
  assert.deepEqual(n.warmup, { rounds: 10, settled: false });
  assert.equal(n.samples.noisy.length, 4);
  assert.match(warmupNote("t", n.warmup), /did NOT settle within 10 rounds/);
  assert.equal(hasSettled([5, 5, 5, 5, 5], 3, 0.03), false); // needs 2 windows
  assert.equal(hasSettled([9, 5, 5, 5, 5, 5], 3, 0.03), true);
});
