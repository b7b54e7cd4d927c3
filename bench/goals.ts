/**
 * The goal figures: stable names (bench/results/latest.json `figures`), their goals and how a
 * measured value is judged. A figure that misses its goal is reported as missed, with the number.
 *
 * @module
 */

export const STABLE_FIGURES = [
  "hook_overhead_cpython_pct",
  "hook_added_ns_per_op",
  "debug_vs_cpython_debug",
  "pymalloc_vs_cpython",
  "ref_vs_native_bun",
  "ref_vs_native_deno",
  "fault_sweep_fork_vs_fresh",
  "libs_sweep_ms_per_point_per_job",
  "leak_tracer_vs_tracemalloc",
  "check_layer_cpu_ratio",
] as const;
export type FigureName = (typeof STABLE_FIGURES)[number];

/** A goal: the value must be <= `max`. */
export interface Goal {
  max: number;
  unit: string;
  /** what the figure is and the goal, in one sentence */
  text: string;
  /** the scenario that measures it */
  scenario: string;
}

export const GOALS: Record<FigureName, Goal> = {
  hook_overhead_cpython_pct: {
    max: 1,
    unit: "%",
    text:
      "pass-through hook on all domains in real CPython, on a pybench-style mix (the PEP's kind of workload; the PEP measured +0.1%): overhead <= 1%",
    scenario: "cpython_hook",
  },
  hook_added_ns_per_op: {
    max: 2,
    unit: "ns/op",
    text: "one pass-through hook adds <= 2 ns per replayed operation",
    scenario: "indirection",
  },
  debug_vs_cpython_debug: {
    max: 1,
    unit: "x",
    text: "native debug hooks / CPython's debug hooks on the same trace: ratio <= 1.0",
    scenario: "debug_hooks",
  },
  pymalloc_vs_cpython: {
    max: 1,
    unit: "x",
    text: "native pymalloc / CPython's obmalloc on the same trace: ratio <= 1.0",
    scenario: "pymalloc",
  },
  ref_vs_native_bun: {
    max: 3,
    unit: "x",
    text: "ref (TypeScript) replay / native (C) replay under Bun: within 3x",
    scenario: "ref_vs_native",
  },
  ref_vs_native_deno: {
    max: 3,
    unit: "x",
    text: "ref (TypeScript) replay / native (C) replay under Deno: within 3x",
    scenario: "ref_vs_native",
  },
  fault_sweep_fork_vs_fresh: {
    max: 0.1,
    unit: "x",
    text:
      "fault sweep forking at the point: CPU per point / a fresh python3 + set_nomemory per point <= 0.1 (>= 10x)",
    scenario: "fault_sweep",
  },
  libs_sweep_ms_per_point_per_job: {
    max: 50,
    unit: "ms",
    text:
      "libs fault sweep forking in one C driver: wall ms per point and job, slowest library <= 50 (>= 20 points/s per job)",
    scenario: "libs_sweep",
  },
  leak_tracer_vs_tracemalloc: {
    max: 0.5,
    unit: "x",
    text: "leak tracker overhead / tracemalloc.start(1) overhead on the CPython workloads <= 0.5",
    scenario: "leak_tracer",
  },
  check_layer_cpu_ratio: {
    max: 1.5,
    unit: "x",
    text:
      "checking layer (debug/check) on real programs: CPU time with it / without it, paired, geomean <= 1.5x",
    scenario: "check_layer",
  },
};

export type FigureStatus = "met" | "missed" | "not measured";

/** A stable figure as written to the JSON report. */
export interface FigureEntry {
  value: number | null;
  unit: string;
  goal: string;
  status: FigureStatus;
  scenario: string;
  /** why there is no value (scenario error, filtered out) */
  reason?: string;
  /** the spread of the per-round samples the value is the median of (quartiles, extremes, rounds) */
  spread?: FigureSpread;
  /** os.loadavg() when the measuring scenario started and ended */
  loadavg?: { start: number[]; end: number[] };
}

/** Quartiles, extremes and count of the samples behind a figure. */
export interface FigureSpread {
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}

/**
 * Judge a value against its goal.
 *
 * @example
 * ```ts
 * judge("pymalloc_vs_cpython", 1.08).status; // "missed"
 * ```
 */
export function judge(name: FigureName, value: number | null | undefined, reason?: string): FigureEntry {
  const g = GOALS[name];
  const ok = typeof value === "number" && Number.isFinite(value);
  return {
    value: ok ? value : null,
    unit: g.unit,
    goal: `<= ${g.max} ${g.unit}`,
    status: !ok ? "not measured" : value <= g.max ? "met" : "missed",
    scenario: g.scenario,
    ...(!ok ? { reason: reason ?? "not measured in this run" } : {}),
  };
}
