/**
 * Judges one allocator's regrtest run against the baseline (CPython's own allocators, same tests, same
 * debug hooks, same command): failures NEW on the allocator (its fault) apart from failures the baseline
 * shares, expected divergences with their reasons, crashes with the module that crashed, debug-hook
 * violations, and the wall-time and peak-RSS ratios.
 *
 * @example
 * ```ts
 * import { compareRuns } from "./compare.ts";
 * import type { RegrtestRun } from "./regrtest.ts";
 * declare const base: RegrtestRun, run: RegrtestRun;
 * const v = compareRuns(base, run);
 * console.log(v.newFailures.length === 0 ? "clean" : "allocator broke CPython");
 * ```
 * @module
 */
import { BAD_MODULE_STATUSES } from "./regrtest_output.ts";
import type { RegrtestRun } from "./regrtest.ts";
import { EXPECTED_FAILURES, NOT_ON_ALLOCATOR } from "./selection.ts";

/** A failing test case or module, with why it failed. */
export interface Finding {
  /** test id (`test.test_sys.SysModuleTest.test_x`) or module (`test_sys`) */
  id: string;
  detail: string;
  /** for expected divergences: the reason */
  reason?: string;
}

/** The verdict for one allocator. */
export interface Verdict {
  allocator: string;
  baseline: boolean;
  run: RegrtestRun;
  newFailures: Finding[];
  sharedFailures: Finding[];
  expected: Finding[];
  crashes: Finding[];
  notOnAllocator: Finding[];
  wallRatio: number | undefined;
  /** process CPU time (main + workers) over the baseline's: steadier than wall time on a loaded machine */
  cpuRatio: number | undefined;
  rssRatio: number | undefined;
  /** no new failure, no crash the baseline does not share, no debug-hook violation */
  clean: boolean;
}

const isFail = (s: string) => s === "failed" || s === "error";

/** Compares `run` with `base` (pass the baseline as both to get the baseline's own verdict). */
export function compareRuns(base: RegrtestRun, run: RegrtestRun): Verdict {
  const isBaseline = base === run;
  const baseFailed = new Set(base.cases.filter((c) => isFail(c.status)).map((c) => c.id));
  const newFailures: Finding[] = [];
  const sharedFailures: Finding[] = [];
  const expected: Finding[] = [];
  for (const c of run.cases.filter((c) => isFail(c.status))) {
    const f = { id: c.id, detail: c.message };
    const exp = EXPECTED_FAILURES.find((d) => d.pattern.test(c.id));
    if (isBaseline || baseFailed.has(c.id)) sharedFailures.push(f);
    else if (exp) expected.push({ ...f, reason: exp.reason });
    else newFailures.push(f);
  }
  // module-level problems: crashes, timeouts, never-run modules, failures without a failing test case
  const crashes: Finding[] = [];
  const failingModules = new Set(run.cases.filter((c) => isFail(c.status)).map((c) => c.id.split(".")[1]));
  for (const [name, m] of Object.entries(run.modules)) {
    if (!BAD_MODULE_STATUSES.has(m.status)) continue;
    const b = base.modules[name];
    const shared = isBaseline || (b && b.status === m.status);
    const f = { id: name, detail: `${m.status}${m.detail ? ` ${m.detail}` : ""}` };
    if (m.status === "crashed" || m.status === "timeout" || m.status === "not_run") {
      crashes.push(f);
      if (!shared) newFailures.push(f);
      else sharedFailures.push(f);
    } else if (!failingModules.has(name)) {
      (shared ? sharedFailures : newFailures).push(f);
    }
  }
  if (run.result === undefined) {
    const f = {
      id: "(regrtest)",
      detail: `the interpreter died before regrtest's summary (${run.signal ?? `exit ${run.exitStatus}`}): ${
        run.tail.split("\n").slice(-3).join(" | ")
      }`,
    };
    crashes.push(f);
    if (!isBaseline && base.result !== undefined) newFailures.push(f);
  }
  const notOnAllocator = isBaseline ? [] : run.cases.flatMap((c) => {
    const d = NOT_ON_ALLOCATOR.find((x) => x.pattern.test(c.id));
    return d ? [{ id: c.id, detail: c.status, reason: d.reason }] : [];
  });
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? a / b : undefined);
  return {
    allocator: run.allocator,
    baseline: isBaseline,
    run,
    newFailures,
    sharedFailures,
    expected,
    crashes,
    notOnAllocator,
    wallRatio: isBaseline ? 1 : ratio(run.wallMs, base.wallMs),
    cpuRatio: isBaseline ? 1 : ratio(run.cpuS, base.cpuS),
    rssRatio: isBaseline ? 1 : ratio(run.peakRssKb, base.peakRssKb),
    clean: newFailures.length === 0 && run.violations.length === 0,
  };
}
