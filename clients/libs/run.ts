/**
 * Runs the external-library harnesses on targets, one driver process per (target, scenario) (driver.ts,
 * driver.c), and judges each run (see README.md in this folder).
 *
 * A row's status:
 * - PASS: the workload's checks all passed, 0 debug-hook violations, 0 foreign frees, 0 blocks left live
 *   after the library's cleanup;
 * - FINDING: the workload was verified (or the debug hooks stopped it) but the allocator contract was
 *   broken: violations (native: collected with CPython's text; cpython: the hooks aborted the child with
 *   "Fatal Python error" / "Debug memory block"), frees of blocks the target never handed out, or leaks;
 * - FAIL: a workload check failed (a wrong result);
 * - ERROR: the child crashed or hung with no debug-hook report.
 * Scenarios marked `demonstrates` (libxml2's late xmlMemSetup) exist to show a finding: for them a
 * FINDING is the expected outcome and does not fail the run.
 *
 * @example
 * ```ts
 * import { runLibs } from "./run.ts";
 * const rows = await runLibs({ targets: ["native"], libraries: ["zlib"], quick: true });
 * console.log(rows[0].status); // "PASS"
 * ```
 * @module
 */
import { UsageError } from "../../core/usage.ts";
import { parseTarget } from "../../targets/kinds.ts";
import { shellQuote } from "../../debug/faults/cli.ts";
import { userCommand } from "../../targets/launcher.ts";
import { buildHarness, LIBRARIES } from "./build.ts";
import { type DriverLaunch, driverLaunch, type LibsCheck, type LibsDebugHooks, runDriver } from "./driver.ts";
import { judge, type LibsRow, type Scenario, type SweepWorkload } from "./judge.ts";
import { classify, freshPoint, sweep } from "./sweep.ts";

export { type HarnessResult, judge, type LibsRow, type Scenario } from "./judge.ts";

/** The default scenarios: each library, then the libxml2 late-setup demonstration. */
export function scenarios(libraries: readonly string[], plant?: string): Scenario[] {
  const out: Scenario[] = [];
  for (const lib of libraries) {
    out.push({ id: lib, lib, options: plant && lib === "zlib" ? `plant=${plant}` : "" });
    if (lib === "libxml2" && !plant) {
      out.push({
        id: "libxml2 (late xmlMemSetup)",
        lib,
        options: "mode=late",
        demonstrates: "xmlMemSetup after xmlInitParser: blocks allocated on libc are freed through the hook",
        demonstratesRules: ["hook_forward/free_below_gets_pointers_from_below"],
      });
    }
  }
  return out;
}

/** Options of {@link runLibs}. */
export interface LibsOptions {
  targets: readonly string[];
  libraries?: readonly string[];
  quick?: boolean;
  /** zlib planted bug: "leak" or "foreign" (proves the checks can fail) */
  plant?: string;
  timeoutMs?: number;
  /** fault sweep: at most this many allocation points per library (evenly spaced; 0/absent: no sweep) */
  faults?: number;
  /** fault sweep: children at once (default 2) */
  jobs?: number;
  /** reproducer: fail only this allocation point (1-based) in every scenario's run */
  failAt?: number;
  /** the checking layer under the debug hooks: stop at the first violation (default), count, or off */
  check?: LibsCheck;
  /**
   * the debug hooks over it (default native, cpython on the cpython target); each library also runs once
   * without them (`bare`), unless this is `none`
   */
  debugHooks?: LibsDebugHooks;
  /** the run without debug hooks besides the one with them (default true) */
  bare?: boolean;
  /** workload of sweep and --fail-at runs: tiny (default: every point can be failed) or quick */
  sweepWorkload?: SweepWorkload;
  /** called after each row */
  progress?: (row: LibsRow) => void;
  /** called as a fault sweep's points finish */
  sweepProgress?: (target: string, lib: string, done: number, total: number) => void;
}

/**
 * Resolves the targets (UsageError, one line, for bad ones) before anything runs: per target the runs to
 * make, with the debug hooks over the checking layer, then `bare` (without them: the hooks add 24 bytes to
 * every request and answer realloc(NULL, n), zero sizes, calloc overflow and free(NULL) themselves, so the
 * rules about those never reach an allocator below them).
 */
export function loadTargets(
  targets: readonly string[],
  check?: LibsCheck,
  debugHooks?: LibsDebugHooks,
  bare = true,
): Map<string, DriverLaunch[]> {
  const m = new Map<string, DriverLaunch[]>();
  for (const t of targets) {
    const first = driverLaunch(t, check, debugHooks);
    m.set(t, first.debugHooks !== "none" && bare ? [first, driverLaunch(t, check, "none")] : [first]);
  }
  return m;
}

/** Runs every scenario on every target; returns the judged rows. */
export async function runLibs(opts: LibsOptions): Promise<LibsRow[]> {
  const libs = opts.libraries?.length ? opts.libraries : LIBRARIES;
  for (const l of libs) {
    if (!LIBRARIES.includes(l)) throw new UsageError(`unknown library '${l}': use ${LIBRARIES.join(", ")}`);
  }
  if (opts.plant && !["leak", "foreign"].includes(opts.plant)) {
    throw new UsageError(`unknown planted bug '${opts.plant}': use leak or foreign`);
  }
  const launches = loadTargets(opts.targets, opts.check, opts.debugHooks, opts.bare ?? true);
  // a library whose harness cannot be built (dev package missing) costs its own rows an ERROR, not the run
  const so = new Map<string, string>(), buildErrors = new Map<string, string>();
  for (const l of libs) {
    try {
      so.set(l, buildHarness(l));
    } catch (e) {
      buildErrors.set(l, (e as Error).message.split("\n").slice(0, 3).join(" "));
    }
  }
  const failing = new Map<string, DriverLaunch>();
  const failureLaunch = (target: string) => {
    if (!failing.has(target)) failing.set(target, driverLaunch(target, false, opts.debugHooks));
    return failing.get(target)!;
  };
  const rows: LibsRow[] = [];
  for (const [target, passes] of launches) {
    for (const sc of scenarios(libs, opts.plant)) {
      const why = buildErrors.get(sc.lib);
      if (why) {
        const row: LibsRow = {
          target,
          scenario: sc.id,
          expected: false,
          status: "ERROR",
          violations: 0,
          message: `harness not built: ${why}`,
          seconds: 0,
        };
        rows.push(row);
        opts.progress?.(row);
        continue;
      }
      // a reproducer or a sweep is about the library under memory failure: the first run's debug hooks,
      // no checking layer (the allocator is not what fails there: the debug hooks catch the library's
      // misuse of its blocks), and neither applies to a demonstration or to glib (its hooks never run)
      if (opts.failAt) {
        if (sc.demonstrates || sc.lib === "glib") continue;
        const row = await runScenario(opts, failureLaunch(target), sc, so.get(sc.lib)!);
        rows.push(row);
        opts.progress?.(row);
        continue;
      }
      for (const launch of passes) {
        const row = await runScenario(opts, launch, sc, so.get(sc.lib)!);
        if (opts.faults && !sc.demonstrates && sc.lib !== "glib" && launch === passes[0]) {
          const fl = failureLaunch(target);
          row.faults = await sweep({
            launch: fl,
            sc,
            so: so.get(sc.lib)!,
            max: opts.faults,
            jobs: opts.jobs,
            workload: opts.sweepWorkload,
            onProgress: (done, total) => opts.sweepProgress?.(target, sc.lib, done, total),
          });
          for (const f of row.faults.findings) {
            f.reproducer = rerunCommand(fl, sc.lib, { failAt: f.point, workload: opts.sweepWorkload });
          }
        }
        rows.push(row);
        opts.progress?.(row);
      }
    }
  }
  return rows;
}

/** One scenario on one target with one setting of the debug hooks. */
async function runScenario(
  opts: LibsOptions,
  launch: DriverLaunch,
  sc: Scenario,
  harness: string,
): Promise<LibsRow> {
  const started = Date.now();
  let row: LibsRow;
  if (opts.failAt) {
    const child = await freshPoint(launch, harness, opts.failAt, opts.sweepWorkload ?? "tiny");
    row = judge(launch.target, sc, child, (Date.now() - started) / 1000);
    row.failAt = { point: opts.failAt, ...classify(launch.target, sc, child) };
  } else {
    const options = [opts.quick ? "quick" : "", sc.options].filter(Boolean).join(" ");
    const timeout = opts.timeoutMs ?? (opts.quick ? 120_000 : 600_000);
    const child = await runDriver(launch, harness, options, {}, timeout);
    row = judge(launch.target, sc, child, (Date.now() - started) / 1000);
  }
  row.debugHooks = launch.debugHooks;
  row.rerun = rerunCommand(launch, sc.lib, {
    quick: opts.quick,
    plant: opts.plant,
    failAt: opts.failAt,
    workload: opts.sweepWorkload,
    check: opts.check,
  });
  return row;
}

/** The command line that reruns one library on one target with the same settings. */
export function rerunCommand(
  launch: DriverLaunch,
  lib: string,
  o: { quick?: boolean; plant?: string; failAt?: number; workload?: SweepWorkload; check?: LibsCheck },
): string {
  const defaultHooks = parseTarget(launch.target).kind === "cpython" ? "cpython" : "native";
  return [
    userCommand("libs"),
    `--target ${shellQuote(launch.target)}`,
    `--lib ${lib}`,
    launch.debugHooks !== defaultHooks ? `--debug-hooks ${launch.debugHooks}` : "",
    o.failAt ? "" : o.check === false ? "--no-check" : o.check === "count" ? "--check count" : "",
    o.quick && !o.failAt ? "--quick" : "",
    o.plant ? `--plant ${o.plant}` : "",
    o.failAt ? `--fail-at ${o.failAt}` : "",
    o.failAt && o.workload && o.workload !== "tiny" ? `--sweep-workload ${o.workload}` : "",
  ].filter(Boolean).join(" ");
}

/** 0 when no row FAILed or ERRORed and every FINDING was expected; else 1. */
export function exitStatus(rows: readonly LibsRow[]): number {
  return rows.some((r) =>
      r.status === "FAIL" || r.status === "ERROR" || (r.status === "FINDING" && !r.expected)
    )
    ? 1
    : 0;
}
