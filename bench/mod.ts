/**
 * allocspec bench: the reusable parts of the benchmark suite.
 *
 * ```
 * workloads/*.py ──(CPython + native tracing hook)──► A445TRC1 trace ◄── synthetic.ts
 *                                                          │
 *            trace.ts (read/write) · trace_check.ts (validate, stats)
 *                                                          │
 *     native allocspec_replay (C) · ref_replay.ts (TypeScript, any Pep445) · alloc_child.ts
 *                                                          │
 *  scenarios/ ─► harness.ts (mitata, paired rounds, cpu_clock.ts) ─► results.ts ─► summary.ts, svg.ts
 * ```
 * The command line is main.ts (`npx bun bench`, `npx deno task bench`); see README.md.
 *
 * @module
 */
export * from "./trace.ts";
export { type TraceStats, traceStats, validateTrace } from "./trace_check.ts";
export { mulberry32, synthesizeTrace, type SyntheticOptions } from "./synthetic.ts";
export { replayOnPep445, type TsReplayResult } from "./ref_replay.ts";
export { threadCpuNs } from "./cpu_clock.ts";
export {
  type BenchDef,
  type BenchStats,
  pairedDiffs,
  pairedRatios,
  pairedRounds,
  runGroup,
  type Variant,
} from "./harness.ts";
export { type FigureEntry, type FigureName, type Goal, GOALS, judge, STABLE_FIGURES } from "./goals.ts";
export { type BenchReport, buildReport, REPORT_SCHEMA, reportJson } from "./results.ts";
export { markdownSummary } from "./summary.ts";
export { chartBars, ratioChart } from "./svg.ts";
export type { Row, Scenario, ScenarioContext, ScenarioOutput, ScenarioResult } from "./scenario.ts";
export { SCENARIOS } from "./scenarios/mod.ts";
