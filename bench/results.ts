/**
 * The JSON report (bench/results/latest.json and a dated copy): run context, every scenario's rows
 * and figures, and the stable goal figures judged against their goals.
 *
 * @module
 */
import { type FigureEntry, type FigureName, type FigureSpread, judge, STABLE_FIGURES } from "./goals.ts";
import { round } from "./stats.ts";
import type { ScenarioResult } from "./scenario.ts";

export const REPORT_SCHEMA = "allocspec-bench/1";

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  /** ISO date-time of the run start (UTC) */
  date: string;
  command: string;
  quick: boolean;
  filter: string | null;
  context: Record<string, unknown>;
  scenarios: ScenarioResult[];
  /** every stable figure, always present (status "not measured" with a reason when absent) */
  figures: Record<FigureName, FigureEntry>;
  /** all other figures by name (scenario-specific), name -> value */
  other_figures: Record<string, number>;
  /** the spread behind each other figure that is a median of rounds */
  other_figures_spread: Record<string, FigureSpread>;
}

/**
 * Assemble the report; stable figures are taken from the scenarios' `figures` by name.
 *
 * @example
 * ```ts
 * import { buildReport } from "./results.ts";
 * const date = new Date().toISOString();
 * const report = buildReport({ date, command: "bun bench", quick: false, filter: null, context: {}, scenarios: [] });
 * console.log(report.figures.pymalloc_vs_cpython.status);
 * ```
 */
export function buildReport(o: {
  date: string;
  command: string;
  quick: boolean;
  filter: string | null;
  context: Record<string, unknown>;
  scenarios: ScenarioResult[];
}): BenchReport {
  const values: Record<string, number> = {};
  const spreads: Record<string, FigureSpread> = {};
  const origin: Record<string, ScenarioResult> = {};
  for (const s of o.scenarios) {
    for (const [k, v] of Object.entries(s.figures)) {
      values[k] = v;
      origin[k] = s;
      const sp = s.spreads?.[k];
      if (sp) {
        spreads[k] = { q1: round(sp.q1), q3: round(sp.q3), min: round(sp.min), max: round(sp.max), n: sp.n };
      }
    }
  }
  const figures = {} as Record<FigureName, FigureEntry>;
  for (const name of STABLE_FIGURES) {
    const e = judge(name, values[name], reasonFor(name, o.scenarios, o.filter));
    if (e.value !== null && spreads[name]) e.spread = spreads[name];
    if (e.value !== null && origin[name]?.loadavg) e.loadavg = origin[name].loadavg;
    figures[name] = e;
  }
  const other: Record<string, number> = {};
  const otherSpread: Record<string, FigureSpread> = {};
  for (const [k, v] of Object.entries(values)) {
    if ((STABLE_FIGURES as readonly string[]).includes(k)) continue;
    other[k] = v;
    if (spreads[k]) otherSpread[k] = spreads[k];
  }
  return {
    schema: REPORT_SCHEMA,
    date: o.date,
    command: o.command,
    quick: o.quick,
    filter: o.filter,
    context: o.context,
    scenarios: o.scenarios,
    figures,
    other_figures: other,
    other_figures_spread: otherSpread,
  };
}

function reasonFor(name: FigureName, scenarios: ScenarioResult[], filter: string | null): string {
  const want = name.startsWith("ref_vs_native_") ? "ref_vs_native" : judge(name, null).scenario;
  const runtime = name.endsWith("_bun") ? "bun" : name.endsWith("_deno") ? "deno" : null;
  const hits = scenarios.filter((s) => s.name.split("@")[0] === want && (!runtime || s.runtime === runtime));
  if (hits.length === 0) {
    return filter
      ? `scenario ${want} not selected by --filter ${filter}`
      : `scenario ${want} did not run${runtime ? ` under ${runtime}` : ""}`;
  }
  const err = hits.find((s) => s.error);
  return err ? `scenario ${err.name} failed: ${err.error}` : `scenario ${want} produced no value`;
}

/** Serialise (stable key order as built; 2-space indent). */
export function reportJson(r: BenchReport): string {
  return JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n";
}
