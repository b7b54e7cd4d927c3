/**
 * The benchmark report as one self-contained HTML page (report/page.ts): the goal figures as bars against
 * their goals (chartBars from svg.ts), the allocator comparison (time per operation, ratio to CPython's
 * obmalloc, peak RSS growth / peak live bytes), the hook overheads (ns added per operation by 1 and 3
 * pass-through hooks), then every figure in a table. Numbers are written beside every bar.
 *
 * `bench/main.ts` writes it as `latest.html` beside latest.json; this file also renders a saved report:
 * `bun bench/html.ts bench/results/latest.json > bench.html` (or `deno run -A bench/html.ts ...`).
 *
 * @example
 * ```ts
 * import { benchHtml } from "./html.ts";
 * // writeFileSync("latest.html", benchHtml(report));
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { GOALS } from "./goals.ts";
import type { BenchReport } from "./results.ts";
import { chartBars } from "./svg.ts";
import { renderPage } from "../report/page.ts";
import type { Bar, Page, Section } from "../report/types.ts";

type Figures = Record<string, number | null | undefined>;

function allFigures(r: BenchReport): Figures {
  const f: Figures = { ...r.other_figures };
  for (const [k, v] of Object.entries(r.figures)) f[k] = v.value;
  return f;
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

/** The sections of a bench report. */
export function benchSections(r: BenchReport): Section[] {
  const f = allFigures(r);
  // chartBars' order: the hook overhead (as a ratio), then these figures
  const names = ["hook_overhead_cpython_pct", "debug_vs_cpython_debug", "pymalloc_vs_cpython"] as const;
  const goalBars: Bar[] = chartBars(r).map((b, i) => {
    const fig = r.figures[names[i] ?? (b.label as keyof typeof r.figures)];
    return { label: b.label, value: b.value, goal: b.goal, ...(fig?.reason ? { missing: fig.reason } : {}) };
  });
  const hookNs = r.figures.hook_added_ns_per_op;
  const sections: Section[] = [{
    kind: "bars",
    id: "goals",
    title: "Goals",
    note:
      "Each bar is a median of paired, interleaved comparisons in this run; the dashed tick is the goal " +
      "(lower is better); the thin line is 1.0.",
    charts: [
      { title: "Ratios against their goals", unit: "x", reference: 1, bars: goalBars },
      {
        title: "One pass-through hook: ns added per operation",
        unit: "ns/op",
        note: GOALS.hook_added_ns_per_op.text,
        bars: [{
          label: "hook_added_ns_per_op",
          value: hookNs.value,
          goal: GOALS.hook_added_ns_per_op.max,
          ...(hookNs.reason ? { missing: hookNs.reason } : {}),
        }],
      },
    ],
  }];
  const allocs = allocators(f);
  if (allocs.length) {
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
          bars: allocs.map((n) => ({
            label: n,
            value: val(f, `pymalloc_ns_per_op_${n}`),
            spread: spread(r, `${n}: time (thread CPU)`),
          })),
        },
        {
          title: "Time / CPython's obmalloc (paired)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ({
            label: n,
            value: val(f, `pymalloc_ratio_${n}`),
            spread: spread(r, `${n} / cpython_obmalloc (paired)`),
          })),
        },
        {
          title: "Peak RSS growth / peak live bytes (synthetic trace)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ({ label: n, value: val(f, `pymalloc_fragmentation_${n}`) })),
        },
        {
          title: "Peak RSS growth / peak live bytes (workload trace, under 1 MiB live)",
          unit: "x",
          reference: 1,
          bars: allocs.map((n) => ({ label: n, value: val(f, `pymalloc_fragmentation_workload_${n}`) })),
        },
      ],
    });
  }
  const hookBars: Bar[] = [];
  for (const tag of ["workload", "synthetic"]) {
    for (const [k, l] of [["1hook", "1 hook"], ["3hooks", "3 hooks"]]) {
      const v = val(f, `indirection_${tag}_added_ns_per_op_${k}`);
      if (v !== null) {
        hookBars.push({ label: `${tag} trace, ${l}`, value: v });
      }
    }
  }
  const pct = r.figures.hook_overhead_cpython_pct;
  if (hookBars.length || pct.value !== null) {
    sections.push({
      kind: "bars",
      id: "hooks",
      title: "Hook overheads",
      charts: [
        ...(hookBars.length
          ? [{
            title: "ns added per replayed operation by pass-through hooks",
            unit: "ns/op",
            bars: hookBars,
          }]
          : []),
        {
          title: "Real CPython workloads: overhead of a pass-through hook on all domains",
          unit: "%",
          note: GOALS.hook_overhead_cpython_pct.text,
          bars: [{
            label: "hook_overhead_cpython_pct",
            value: pct.value,
            goal: GOALS.hook_overhead_cpython_pct.max,
            ...(pct.reason ? { missing: pct.reason } : {}),
          }],
        },
      ],
    });
  }
  sections.push({
    kind: "table",
    id: "figures",
    title: "Goal figures",
    head: ["figure", "value", "goal", "status", "scenario"],
    rows: Object.entries(r.figures).map(([k, e]) => [
      k,
      e.value === null ? `not measured: ${e.reason ?? ""}` : `${e.value} ${e.unit}`,
      e.goal,
      e.status,
      e.scenario,
    ]),
  });
  sections.push({
    kind: "table",
    id: "other-figures",
    title: "Other figures",
    head: ["figure", "value"],
    rows: Object.entries(r.other_figures).map(([k, v]) => [k, v]),
  });
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

/** The bench page. */
export function benchPage(r: BenchReport): Page {
  const failed = r.scenarios.filter((s) => s.error).length;
  const st = Object.values(r.figures).map((e) => e.status);
  const ctx = r.context as Record<string, any>;
  const versions: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx)) {
    if (typeof v === "string" || typeof v === "number") versions[k] = String(v);
  }
  return {
    title: `allocspec bench${r.quick ? " (quick: not a measurement)" : ""}`,
    header: {
      verdict: {
        ok: failed ? false : null,
        text: `${st.filter((s) => s === "met").length} goals met, ${
          st.filter((s) => s === "missed").length
        } missed, ${st.filter((s) => s === "not measured").length} not measured${
          failed ? `; ${failed} scenario(s) failed` : ""
        }`,
      },
      command: r.command,
      date: r.date,
      facts: versions,
    },
    sections: benchSections(r),
  };
}

/** The HTML document of a bench report. */
export function benchHtml(r: BenchReport): string {
  return renderPage(benchPage(r));
}

if (import.meta.main) {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    process.stderr.write("usage: bench/html.ts RESULTS.json > report.html\n");
    process.exit(2);
  }
  try {
    process.stdout.write(benchHtml(JSON.parse(readFileSync(file, "utf8")) as BenchReport));
  } catch (e) {
    process.stderr.write(`bench/html.ts: cannot read ${file}: ${(e as Error).message.split("\n")[0]}\n`);
    process.exit(2);
  }
}
