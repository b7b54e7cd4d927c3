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
import { CHECK_EXIT_STATUS, crashRule, parseCrashLine } from "../debug/check/report.ts";
 * declare const base: RegrtestRun, run: RegrtestRun;
 * const v = compareRuns(base, run);
 * console.log(v.newFailures.length === 0 ? "clean" : "allocator broke CPython");
 * ```
 * @module
 */
import { BAD_MODULE_STATUSES, type ModuleCheckViolation } from "./regrtest_output.ts";
import type { RegrtestRun } from "./regrtest.ts";
import { CHECK_EXIT_STATUS, crashRule, parseCrashLine } from "../debug/check/report.ts";
import { EXPECTED_FAILURES, NOT_ON_ALLOCATOR } from "./selection.ts";

/** A failing test case or module, with why it failed. */
export interface Finding {
  /** test id (`test.test_sys.SysModuleTest.test_x`) or module (`test_sys`) */
  id: string;
  detail: string;
  /** for expected divergences: the reason */
  reason?: string;
}

/** The checking layer's violations of one rule in one run, grouped (the first occurrence in full). */
export interface RuleFinding {
  /** the conformance case id */
  rule: string;
  count: number;
  /** test modules where it was seen */
  modules: string[];
  first: ModuleCheckViolation;
}

/** The verdict for one allocator. */
export interface Verdict {
  allocator: string;
  baseline: boolean;
  run: RegrtestRun;
  newFailures: Finding[];
  sharedFailures: Finding[];
  expected: Finding[];
  /** crashes (each also counted in newFailures when the baseline does not share it; listed once) */
  crashes: Finding[];
  /** the checking layer's violations, one entry per rule broken */
  rules: RuleFinding[];
  /** regrtest never ran a module: the interpreter died at start-up (one finding, not one per module) */
  startupCrash: boolean;
  notOnAllocator: Finding[];
  wallRatio: number | undefined;
  /** process CPU time (main + workers) over the baseline's: steadier than wall time on a loaded machine */
  cpuRatio: number | undefined;
  rssRatio: number | undefined;
  /** no new failure, no crash the baseline does not share, no debug-hook or checking-layer violation */
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
  // no module ever started: the interpreter died at start-up; that is ONE finding, not one per module
  const startupCrash = run.result === undefined &&
    Object.values(run.modules).every((m) => m.status === "not_run");
  // when the top interpreter died, the modules it never started are that one crash, not one finding each
  const neverRan = Object.entries(run.modules).filter(([, m]) => m.status === "not_run").map(([n]) => n);
  for (const [name, m] of Object.entries(startupCrash ? {} : run.modules)) {
    if (!BAD_MODULE_STATUSES.has(m.status)) continue;
    if (m.status === "not_run" && run.result === undefined) continue;
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
    const how = run.signal ??
      (run.exitStatus === CHECK_EXIT_STATUS ? "stopped by the checking layer" : `exit ${run.exitStatus}`);
    const lastRule = run.checkViolations.at(-1);
    const why = run.crashLine ??
      (lastRule
        ? `violation of ${lastRule.rule} [${lastRule.domain}] ${lastRule.message}`
        : run.tail.split("\n").slice(-3).join(" | "));
    const f = {
      id: startupCrash ? "(start-up)" : "(regrtest)",
      detail: `${
        startupCrash ? "the interpreter died at start-up" : "the interpreter died before regrtest's summary"
      } (${how}${
        !startupCrash && neverRan.length
          ? `; ${neverRan.length} modules never ran: ${neverRan.join(" ")}`
          : ""
      }): ${why}`,
    };
    crashes.push(f);
    if (!isBaseline && base.result !== undefined) newFailures.push(f);
  }
  const byRule = new Map<string, RuleFinding>();
  // a crash that is itself a rule's violation (inside free(NULL), reading a failed realloc's old block)
  const fromCrashes = run.crashLines.flatMap(({ module, line }) => {
    const c = parseCrashLine(line);
    const rule = crashRule(c);
    return rule && c
      ? [{ module, rule, domain: /\[(RAW|MEM|OBJ)\]/.exec(c.check ?? "")?.[1] ?? "?", message: c.line }]
      : [];
  });
  const all: ModuleCheckViolation[] = [...run.checkViolations, ...fromCrashes];
  for (const v of all) {
    const r: RuleFinding = byRule.get(v.rule) ?? { rule: v.rule, count: 0, modules: [], first: v };
    r.count++;
    if (!r.modules.includes(v.module)) r.modules.push(v.module);
    byRule.set(v.rule, r);
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
    rules: [...byRule.values()],
    startupCrash,
    notOnAllocator,
    wallRatio: isBaseline ? 1 : ratio(run.wallMs, base.wallMs),
    cpuRatio: isBaseline ? 1 : ratio(run.cpuS, base.cpuS),
    rssRatio: isBaseline ? 1 : ratio(run.peakRssKb, base.peakRssKb),
    clean: newFailures.length === 0 && run.violations.length === 0 && byRule.size === 0,
  };
}
