/**
 * Budgets that measure the target, not the machine (issue 17). A case's budget is `--timeout` (the
 * seconds a case may take on an idle machine) times a LOAD FACTOR sampled when each run starts: the load
 * ({@link currentLoad}) divided by the cores, at least 1, at most {@link MAX_LOAD_FACTOR}. Seen on the 2-core
 * machine this was written on: the default run at load 14-27 ended NOT conformant with a fixed 20 s budget
 * that also paid for worker start-up and lazy builds.
 *
 * What a budget covers: the case only. Starting a worker or a death child (runtime start, target load,
 * `Py_InitializeEx`) has {@link startupMs}; builds happen before the first case (suite.ts). A run that
 * times out is not reported yet: it is run again ALONE (nothing else of the run in flight), in a fresh
 * process, with {@link ALONE_FACTOR} times its budget; only a rerun alone that times out too is a timeout,
 * and only such confirmed timeouts can stop a target (pool.ts).
 *
 * @example
 * ```ts
 * import { BudgetMeter } from "./budget.ts";
 * const b = new BudgetMeter(20_000);
 * console.log(b.caseMs(), b.aloneMs(), b.report());
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/** The largest load factor applied (a budget never grows beyond 16 x --timeout in the parallel phase). */
export const MAX_LOAD_FACTOR = 16;
/** A rerun alone gets this many times the run's budget. */
export const ALONE_FACTOR = 4;
/** The least time a worker or death child gets to start, before the load factor (ms). */
export const STARTUP_MS = 60_000;

/** What the report shows about the budgets of a run (plain data, in the summary as `budget`). */
export interface BudgetReport {
  /** --timeout: seconds per case on an idle machine */
  baseSeconds: number;
  /** cores the load is divided by */
  cpus: number;
  /** the load ({@link currentLoad}) when the run started and the highest seen at a run's start */
  load: { start: number; max: number };
  /** the factor applied to baseSeconds in the parallel phase (at the start, and the highest applied) */
  factor: { start: number; max: number };
  /** a case's budget in the parallel phase at the start, seconds */
  caseSeconds: number;
  /** a rerun alone gets ALONE_FACTOR times the budget */
  aloneFactor: number;
  /** runs that timed out in the parallel phase and were run again alone */
  rerunAlone: number;
  /** of those, how many timed out alone too (reported as timeouts) */
  confirmedTimeouts: number;
}

/** The cores of this machine. */
export function cpuCount(): number {
  return (os as { availableParallelism?: () => number }).availableParallelism?.() ?? os.cpus().length ?? 1;
}

/**
 * The load now: the larger of the 1-minute load average and the number of runnable tasks this instant
 * (/proc/loadavg's 4th field, minus the reader), so busy loops started a second ago count at once although
 * the average lags a minute behind. Elsewhere: os.loadavg()[0].
 */
export function currentLoad(): number {
  try {
    const f = readFileSync("/proc/loadavg", "latin1").trim().split(/\s+/);
    const running = Number(f[3]?.split("/")[0] ?? "0");
    return Math.max(Number(f[0]), Number.isFinite(running) ? running - 1 : 0);
  } catch {
    return os.loadavg()[0];
  }
}

/** The load factor now: load / cpus, within [1, MAX_LOAD_FACTOR]. */
export function loadFactor(load1 = currentLoad(), cpus = cpuCount()): number {
  const f = load1 / Math.max(1, cpus);
  return Math.round(Math.min(MAX_LOAD_FACTOR, Math.max(1, f)) * 100) / 100;
}

/** The budgets of one run, and what it applied (for the report). */
export class BudgetMeter {
  readonly cpus = cpuCount();
  readonly #start: { load: number; factor: number };
  #maxLoad: number;
  #maxFactor: number;
  rerunAlone = 0;
  confirmedTimeouts = 0;
  constructor(readonly baseMs: number, private readonly sample: () => number = currentLoad) {
    const load = this.sample();
    this.#start = { load, factor: loadFactor(load, this.cpus) };
    this.#maxLoad = load;
    this.#maxFactor = this.#start.factor;
  }
  /** The factor to apply now (sampled at each run start; the highest one is reported). */
  factor(): number {
    const load = this.sample();
    const f = loadFactor(load, this.cpus);
    this.#maxLoad = Math.max(this.#maxLoad, load);
    this.#maxFactor = Math.max(this.#maxFactor, f);
    return f;
  }
  /** A case's budget in the parallel phase, ms. */
  caseMs(): number {
    return Math.min(Math.round(this.baseMs * this.factor()), 2 ** 31 - 1);
  }
  /** A rerun alone's budget, ms. */
  aloneMs(): number {
    return Math.min(Math.round(this.baseMs * this.factor() * ALONE_FACTOR), 2 ** 31 - 1);
  }
  /** How long a worker or death child may take to start, ms. */
  startupMs(): number {
    return Math.min(Math.round(Math.max(STARTUP_MS, this.baseMs) * this.factor()), 2 ** 31 - 1);
  }
  report(): BudgetReport {
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      baseSeconds: this.baseMs / 1000,
      cpus: this.cpus,
      load: { start: r2(this.#start.load), max: r2(this.#maxLoad) },
      factor: { start: this.#start.factor, max: this.#maxFactor },
      caseSeconds: r2(this.baseMs * this.#start.factor / 1000),
      aloneFactor: ALONE_FACTOR,
      rerunAlone: this.rerunAlone,
      confirmedTimeouts: this.confirmedTimeouts,
    };
  }
}
