/**
 * The benchmark report as one self-contained HTML page (report/page.ts): the goal figures as bars against
 * their goals (chartBars from svg.ts), what a hook costs in real CPython (the pass-through hook and the
 * bare forwarder, its floor, on the pybench-style mix that judges the goal and on the allocation-heavy
 * workloads), the allocator comparison, every figure in a table, and, with earlier reports, each goal
 * figure's history. Every figure carries the load average (1 min) while its scenario ran; a `--quick`
 * run's figures are "not measured" (its numbers only prove the output parses). Each chart has a phone
 * layout (report/bars.ts), readable at 390 px.
 *
 * `bench/main.ts` writes it as `latest.html` beside latest.json (`--compare OLD.json` adds history); this
 * file also renders a saved report: `npx bun bench/html.ts bench/results/latest.json [--compare
 * OLD.json]... > bench.html` (or `npx deno run -A bench/html.ts ...`).
 *
 * @example
 * ```ts
 * import { benchHtml } from "./html.ts";
 * // writeFileSync("latest.html", benchHtml(report, [older]));
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { type FigureName, GOALS, STABLE_FIGURES } from "./goals.ts";
import type { BenchReport } from "./results.ts";
import { chartBars } from "./svg.ts";
import { renderPage } from "../report/page.ts";
import { formatNumber } from "../report/bars.ts";
import type { Bar, BarChart, Page, Section } from "../report/types.ts";

type Figures = Record<string, number | null | undefined>;

/** Why a `--quick` figure is not a measurement. */
export const QUICK_REASON = "--quick run: checks the output, measures nothing";

function allFigures(r: BenchReport): Figures {
  const f: Figures = { ...r.other_figures };
  for (const [k, v] of Object.entries(r.figures)) f[k] = v.value;
  return f;
}

/** "load 3.1→5.2": the 1-minute load average when the measuring scenario started and ended. */
export function loadNote(l: { start: number[]; end: number[] } | undefined): string | undefined {
  if (!l?.start?.length) return undefined;
  return `load ${formatNumber(l.start[0])}→${formatNumber(l.end?.[0] ?? l.start[0])}`;
}

/** The load while the scenario that produced figure `name` ran. */
function figureLoad(r: BenchReport, name: string): string | undefined {
  const stable = (r.figures as Record<string, { loadavg?: { start: number[]; end: number[] } }>)[name];
  if (stable?.loadavg) return loadNote(stable.loadavg);
  return loadNote(r.scenarios.find((s) => name in s.figures)?.loadavg);
}

/** min/max of the scenario row named `row` (any runtime), for a whisker. */
function spread(r: BenchReport, row: string): [number, number] | undefined {
  for (const s of r.scenarios) {
    const x = s.rows.find((w) => w.name === row);
    if (x && x.min !== undefined && x.max !== undefined && Number.isFinite(x.min) && Number.isFinite(x.max)) {
      return [x.min, x.max];
    }
  }
  return undefined;
}

/** Allocator names present in the figures, in the scenario's order of first appearance. */
function allocators(f: Figures): string[] {
  return Object.keys(f).filter((k) => k.startsWith("pymalloc_ns_per_op_")).map((k) =>
    k.slice("pymalloc_ns_per_op_".length)
  );
}

const val = (
  f: Figures,
  k: string,
) => (typeof f[k] === "number" && Number.isFinite(f[k]) ? f[k] as number : null);

/**
 * A bar for figure `name` with its load; in a `--quick` run the value is not shown as a measurement
 * (no goal colour, no "MISSED": the reason says why).
 */
function figureBar(
  r: BenchReport,
  name: string,
  label: string,
  value: number | null,
  extra: Partial<Bar> = {},
): Bar {
  const load = figureLoad(r, name);
  // the spread over rounds: the interquartile range of the per-round values the median is taken of
  const sp = (r.figures as Record<string, { spread?: { q1: number; q3: number } }>)[name]?.spread ??
    r.other_figures_spread?.[name];
  const iqr: Partial<Bar> = sp && value !== null ? { spread: [sp.q1, sp.q3] } : {};
  const bar: Bar = { label, value, ...iqr, ...extra, ...(load ? { note: load } : {}) };
  if (r.quick && value !== null) {
    return { label, value: null, missing: `${QUICK_REASON} (it gave ${formatNumber(value)})` };
  }
  return bar;
}

/** The sections of a bench report; `history` (earlier reports, any order) adds each goal figure's history. */
export function benchSections(r: BenchReport, history: readonly BenchReport[] = []): Section[] {
  const f = allFigures(r);
  // chartBars' order: the hook overhead (as a ratio), then these figures
  const names = [
    "hook_overhead_cpython_pct",
    "debug_vs_cpython_debug",
    "pymalloc_vs_cpython",
    "ref_vs_native_deno",
    "ref_vs_native_bun",
  ] as const;
  const goalBars: Bar[] = chartBars(r).map((b, i) => {
    const name = names[i] ?? (b.label as FigureName);
    const fig = r.figures[name];
    return figureBar(r, name, b.label, b.value, {
      goal: b.goal,
      ...(fig?.reason ? { missing: fig.reason } : {}),
    });
  });
  const hookNs = r.figures.hook_added_ns_per_op;
  const quickNote = r.quick ? ` This is a ${QUICK_REASON}: no figure below is a measurement.` : "";
  const sections: Section[] = [{
    kind: "bars",
    id: "goals",
    title: "Goals",
    note:
      "Each bar is a median of paired, interleaved comparisons in this run, its whisker and the range in " +
      "brackets the interquartile range over the rounds; the dashed tick is the goal " +
      "(lower is better); the thin line is 1.0; the load is the 1-minute load average when the figure's " +
      `scenario started → ended (a load above the core count makes figures noisy).${quickNote}`,
    charts: [
      { title: "Ratios against their goals", unit: "x", reference: 1, bars: goalBars },
      {
        title: "One pass-through hook: ns added per operation",
        unit: "ns/op",
        note: GOALS.hook_added_ns_per_op.text,
        bars: [
          figureBar(r, "hook_added_ns_per_op", "hook_added_ns_per_op", hookNs.value, {
            goal: GOALS.hook_added_ns_per_op.max,
            ...(hookNs.reason ? { missing: hookNs.reason } : {}),
          }),
        ],
      },
    ],
  }];
  sections.push(hookSection(r, f));
  const allocs = allocators(f);
  if (allocs.length) {
    const ab = (fig: string, n: string, sp?: string) =>
      figureBar(r, fig, n, val(f, fig), sp ? { spread: spread(r, sp) } : {});
    sections.push({
      kind: "bars",
      id: "allocators",
      title: "Allocator comparison",
      note:
        "Children replay the same trace through every allocator in turn (thread CPU time); fragmentation is " +
        "peak RSS growth / peak live requested bytes in a fresh child per allocator.",
      charts: [
        {
          title: "Time per operation",
          unit: "ns/op",
          bars: allocs.map((n) => ab(`pymalloc_ns_per_op_${n}`, n, `${n}: time (thread CPU)`)),
        },
        {
          title: "Time / CPython's obmalloc (paired)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ab(`pymalloc_ratio_${n}`, n, `${n} / cpython_obmalloc (paired)`)),
        },
        {
          title: "Peak RSS growth / peak live bytes (synthetic trace)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ab(`pymalloc_fragmentation_${n}`, n)),
        },
        {
          title: "Peak RSS growth / peak live bytes (workload trace, under 1 MiB live)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ab(`pymalloc_fragmentation_workload_${n}`, n)),
        },
      ],
    });
  }
  sections.push({
    kind: "table",
    id: "figures",
    title: "Goal figures",
    head: ["figure", "value", "goal", "status", "load (1 min) start → end", "scenario"],
    rows: Object.entries(r.figures).map(([k, e]) => [
      k,
      e.value === null ? `not measured: ${e.reason ?? ""}` : `${e.value} ${e.unit}`,
      e.goal,
      r.quick && e.value !== null ? `not measured (${QUICK_REASON})` : e.status,
      loadNote(e.loadavg)?.replace(/^load /, "") ?? "",
      e.scenario,
    ]),
  });
  sections.push({
    kind: "table",
    id: "other-figures",
    title: "Other figures",
    head: ["figure", "value", "load (1 min) start → end"],
    rows: Object.entries(r.other_figures).map((
      [k, v],
    ) => [k, v, figureLoad(r, k)?.replace(/^load /, "") ?? ""]),
  });
  if (history.length) sections.push(...historySections(r, history));
  const problems = r.scenarios.filter((s) => s.error).map((s) => `${s.name} [${s.runtime}]: ${s.error}`);
  const notes = r.scenarios.flatMap((s) => s.notes.map((n) => `${s.name} [${s.runtime}]: ${n}`));
  if (problems.length || notes.length) {
    sections.push({
      kind: "text",
      id: "notes",
      title: "Scenario errors and notes",
      paragraphs: [...problems.map((p) => `ERROR ${p}`), ...notes],
    });
  }
  return sections;
}

/**
 * What a hook costs in real CPython: the pass-through hook against the bare forwarder (its floor: one
 * indirect call per allocation, nothing else), on the pybench-style mix (the goal's workload, the PEP's
 * kind) and on the allocation-heavy workloads; then the ns per replayed operation.
 */
function hookSection(r: BenchReport, f: Figures): Section {
  const pct = r.figures.hook_overhead_cpython_pct;
  const g = GOALS.hook_overhead_cpython_pct.max;
  const charts: BarChart[] = [{
    title: "Real CPython: overhead of a hook on all domains, with its floor",
    unit: "%",
    note:
      `${GOALS.hook_overhead_cpython_pct.text}. The bare forwarder only forwards each call (one indirect ` +
      "call): what any forwarding hook costs, the floor of the pass-through hook beside it.",
    bars: [
      figureBar(r, "hook_overhead_cpython_pct", "pybench mix: pass-through", pct.value, {
        goal: g,
        ...(pct.reason ? { missing: pct.reason } : {}),
      }),
      figureBar(
        r,
        "hook_floor_cpython_pct",
        "pybench mix: bare (floor)",
        val(f, "hook_floor_cpython_pct"),
      ),
      figureBar(
        r,
        "hook_overhead_alloc_heavy_pct",
        "alloc-heavy: pass-through",
        val(f, "hook_overhead_alloc_heavy_pct"),
      ),
      figureBar(
        r,
        "hook_floor_alloc_heavy_pct",
        "alloc-heavy: bare (floor)",
        val(f, "hook_floor_alloc_heavy_pct"),
      ),
    ],
  }];
  const hookBars: Bar[] = [];
  for (const tag of ["workload", "synthetic"]) {
    for (const [k, l] of [["1hook", "1 hook"], ["3hooks", "3 hooks"]]) {
      const name = `indirection_${tag}_added_ns_per_op_${k}`;
      const v = val(f, name);
      if (v !== null) hookBars.push(figureBar(r, name, `${tag} trace, ${l}`, v));
    }
  }
  if (hookBars.length) {
    charts.push({
      title: "ns added per replayed operation by pass-through hooks",
      unit: "ns/op",
      bars: hookBars,
    });
  }
  return { kind: "bars", id: "hooks", title: "Hook overheads", charts };
}

/** Each goal figure across the given reports and this one, oldest first (quick runs: not measured). */
function historySections(r: BenchReport, history: readonly BenchReport[]): Section[] {
  const runs = [...history, r].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const label = (x: BenchReport) => `${x.date.slice(0, 16).replace("T", " ")}${x === r ? " (this run)" : ""}`;
  const charts: BarChart[] = STABLE_FIGURES.filter((n) => runs.some((x) => x.figures?.[n]?.value != null))
    .map(
      (n) => ({
        title: n,
        unit: GOALS[n].unit,
        note: GOALS[n].text,
        bars: runs.map((x) => {
          const e = x.figures?.[n];
          const load = loadNote(e?.loadavg);
          if (!e || e.value === null) {
            return { label: label(x), value: null, missing: e?.reason ?? "not in that report" };
          }
          if (x.quick) {
            return {
              label: label(x),
              value: null,
              missing: `${QUICK_REASON} (it gave ${formatNumber(e.value)})`,
            };
          }
          return { label: label(x), value: e.value, goal: GOALS[n].max, ...(load ? { note: load } : {}) };
        }),
      }),
    );
  return [{
    kind: "bars",
    id: "history",
    title: "History",
    note:
      `The goal figures of ${runs.length} runs, oldest first (given with --compare). Each run measured on ` +
      "its own machine state: compare with their loads in mind; a --quick run measures nothing.",
    charts,
  }, {
    kind: "table",
    id: "history-table",
    title: "History: every run",
    head: ["date", "command", "quick", "git", "load (1 min) start → end", "met", "missed", "not measured"],
    rows: runs.map((x) => {
      const st = Object.values(x.figures ?? {}).map((e) => e.status);
      const ctx = (x.context ?? {}) as Record<string, any>;
      return [
        label(x),
        x.command,
        x.quick ? "yes" : "no",
        String(ctx.git ?? ""),
        ctx.loadavg_start ? `${ctx.loadavg_start[0]} → ${ctx.loadavg_end?.[0] ?? "?"}` : "",
        x.quick ? 0 : st.filter((s) => s === "met").length,
        x.quick ? 0 : st.filter((s) => s === "missed").length,
        x.quick ? st.length : st.filter((s) => s === "not measured").length,
      ];
    }),
  }];
}

/** The bench page. */
export function benchPage(r: BenchReport, history: readonly BenchReport[] = []): Page {
  const failed = r.scenarios.filter((s) => s.error).length;
  const st = Object.values(r.figures).map((e) => e.status);
  const ctx = r.context as Record<string, any>;
  const facts: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx)) {
    if (typeof v === "string" || typeof v === "number") facts[k] = String(v);
  }
  if (ctx.loadavg_start) {
    facts["load average (1, 5, 15 min)"] = `${ctx.loadavg_start.join(", ")} at the start, ${
      (ctx.loadavg_end ?? []).join(", ")
    } at the end${ctx.cores ? ` (${ctx.cores} cores)` : ""}`;
  }
  const failedText = failed ? `; ${failed} scenario(s) failed` : "";
  const text = r.quick
    ? `quick run: nothing measured (${st.length} figures produced, not judged)${failedText}`
    : `${st.filter((s) => s === "met").length} goals met, ${
      st.filter((s) => s === "missed").length
    } missed, ${st.filter((s) => s === "not measured").length} not measured${failedText}`;
  return {
    title: `allocspec bench${r.quick ? " (quick: not a measurement)" : ""}`,
    header: {
      verdict: { ok: failed ? false : null, text },
      command: r.command,
      date: r.date,
      facts,
    },
    sections: benchSections(r, history),
  };
}

/** The HTML document of a bench report (with earlier reports: their history). */
export function benchHtml(r: BenchReport, history: readonly BenchReport[] = []): string {
  return renderPage(benchPage(r, history));
}

/** Reads a saved report; one clear line when it is not one. */
export function readReport(file: string): BenchReport {
  let r: BenchReport;
  try {
    r = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message.split("\n")[0]}`);
  }
  if (r?.schema !== "allocspec-bench/1" || typeof r.figures !== "object") {
    throw new Error(`${file} is not an allocspec bench report (schema allocspec-bench/1)`);
  }
  return r;
}

if (import.meta.main) {
  let v;
  try {
    v = parseArgs({ allowPositionals: true, options: { compare: { type: "string", multiple: true } } });
  } catch (e) {
    process.stderr.write(`bench/html.ts: ${(e as Error).message.split("\n")[0]}\n`);
    process.exit(2);
  }
  if (v.positionals.length !== 1) {
    process.stderr.write("usage: bench/html.ts RESULTS.json [--compare OLDER.json]... > report.html\n");
    process.exit(2);
  }
  try {
    const older = (v.values.compare ?? []).map(readReport);
    process.stdout.write(benchHtml(readReport(v.positionals[0]), older));
  } catch (e) {
    process.stderr.write(`bench/html.ts: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
