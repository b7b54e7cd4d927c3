/**
 * What a benchmark scenario is (one per file in bench/scenarios/) and what it hands back.
 *
 * ```
 * main.ts ── selects scenarios (--filter), builds a ScenarioContext ──► scenario.run(ctx)
 *    │                                                                    │ rows, figures, notes
 *    └── crossRuntime scenarios: the other runtime runs them in a child ──┘ (merged, name@runtime)
 *         then results.ts (JSON) ► summary.ts (markdown) ► svg.ts (chart)
 * ```
 *
 * @module
 */
import type { BenchStats } from "./harness.ts";
import type { Summary } from "./stats.ts";
import type { Trace } from "./trace.ts";
import type { RuntimeName } from "../core/runtime.ts";

export type { RuntimeName };

/** One measured line: a median of samples with its unit. */
export interface Row {
  name: string;
  median: number;
  unit: string;
  /** interquartile range of the samples (25th and 75th percentiles) */
  q1?: number;
  q3?: number;
  min?: number;
  max?: number;
  /** number of samples behind the median */
  n?: number;
  /** free-form extra numbers (fragmentation, peak bytes, ...) */
  extra?: Record<string, number | string>;
}

/** What a scenario returns. `figures` may include stable goal figures (goals.ts) and others. */
export interface ScenarioOutput {
  rows: Row[];
  figures: Record<string, number>;
  /** figure name -> the spread of the per-round samples its value is the median of */
  spreads?: Record<string, Summary>;
  notes: string[];
}

export interface ScenarioResult extends ScenarioOutput {
  /** mitata's stats (ns per call) of every benchmark the scenario ran through harness.runGroup */
  mitata: BenchStats[];
  name: string;
  description: string;
  runtime: RuntimeName;
  params: Record<string, unknown>;
  seconds: number;
  /** os.loadavg() (1, 5, 15 minutes) when the scenario started and when it ended */
  loadavg?: { start: number[]; end: number[] };
  /** one line when the scenario could not run (figures then empty) */
  error?: string;
}

/** A trace with where it came from. */
export interface TraceInput {
  label: string;
  path: string;
  trace: Trace;
  /** "captured from ..." or "synthetic seed ..." */
  source: string;
}

export interface ScenarioContext {
  quick: boolean;
  runtime: RuntimeName;
  /** repository root (absolute) */
  root: string;
  /** print a line of progress or a table (stdout) */
  print(line: string): void;
  /** called by harness.runGroup with each benchmark's mitata stats (kept in the JSON report) */
  recordBench?(stats: BenchStats): void;
  /** the trace of the Python workloads (captured on demand), or the synthetic one if capture is impossible */
  workloadTrace(): Promise<TraceInput>;
  /** a seeded synthetic trace of `ops` records (cached in bench/traces/) */
  syntheticTrace(ops: number): TraceInput;
  /** the shared native instance (openNative), opened lazily; throws one line if native/ is unavailable */
  native(): Promise<any>;
  /** the python3 executable to run workloads with */
  python(): string;
  /** the targets of `--target` (targets/kinds.ts specs): what the allocator scenarios compare (empty: their defaults) */
  targets: readonly string[];
}

export interface Scenario {
  name: string;
  description: string;
  /** declared parameters for a full or quick run (recorded in the JSON) */
  params(quick: boolean): Record<string, unknown>;
  /** run also in the other runtime (child process) so both appear in one report */
  crossRuntime?: boolean;
  run(ctx: ScenarioContext, params: Record<string, any>): Promise<ScenarioOutput>;
}
