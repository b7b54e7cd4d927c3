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
import { UsageError } from "../../conformance/adapter.ts";
import { normalizeFatal, programStderr } from "../../conformance/death.ts";
import { buildHarness, LIBRARIES } from "./build.ts";
import { type DriverLaunch, driverLaunch, RESULT_PREFIX, runDriver } from "./driver.ts";
import {
  classify,
  type FaultSweep,
  freshPoint,
  type PointClass,
  sweep,
  type SweepWorkload,
} from "./sweep.ts";

/** One (library, options) run. */
export interface Scenario {
  /** row name: the library, or library + variant */
  id: string;
  lib: string;
  options: string;
  /** the scenario exists to show a finding (a FINDING is expected, not a failure) */
  demonstrates?: string;
}

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
      });
    }
  }
  return out;
}

/** What the harness reports (libs_common.c lr_end), plus library-specific members. */
export interface HarnessResult {
  library: string;
  calls: { malloc: number; calloc: number; realloc: number; free: number };
  routed: number;
  bytes: number;
  peak_bytes: number;
  zero_size: number;
  free_null: number;
  foreign_frees: number;
  failed_allocs: number;
  leaks: { blocks: number; bytes: number; groups: { size: number; count: number; site: string }[] };
  violations: { count: number; texts: string[] };
  checks_passed: number;
  checks_failed: { count: number; texts: string[] };
  notes: { count: number; texts: string[] };
  [extra: string]: unknown;
}

/** One judged row. */
export interface LibsRow {
  target: string;
  scenario: string;
  status: "PASS" | "FINDING" | "FAIL" | "ERROR";
  /** expected finding (see Scenario.demonstrates) */
  expected: boolean;
  result?: HarnessResult;
  /** violations: count, and CPython's text (first one, addresses scrubbed) */
  violations: number;
  violationText?: string;
  /** how the child ended when it did not report (signal or exit status) */
  ended?: string;
  message: string;
  seconds: number;
  /** the fault sweep (with `faults`) */
  faults?: FaultSweep;
  /** `failAt`: what failing that one point did */
  failAt?: { point: number; cls: PointClass; site: string; detail: string };
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
  /** workload of sweep and --fail-at runs: tiny (default: every point can be failed) or quick */
  sweepWorkload?: SweepWorkload;
  /** called after each row */
  progress?: (row: LibsRow) => void;
}

/** Resolves the targets (UsageError, one line, for bad ones) before anything runs. */
export function loadTargets(targets: readonly string[]): Map<string, DriverLaunch> {
  const m = new Map<string, DriverLaunch>();
  for (const t of targets) m.set(t, driverLaunch(t));
  return m;
}

/** Judges one child (exported for tests). */
export function judge(
  target: string,
  sc: Scenario,
  child: { status: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean },
  seconds: number,
): LibsRow {
  const base = { target, scenario: sc.id, expected: !!sc.demonstrates, seconds };
  const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  const err = programStderr(child.stderr);
  const debugText = /Debug memory block at address|Fatal Python error: _PyMem_Debug/.test(err);
  if (!line) {
    const ended = child.timedOut ? "hung" : child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
    if (debugText) {
      const text = normalizeFatal(err.slice(err.search(/Debug memory block|Fatal Python error/)));
      const fatal = text.match(/Fatal Python error: [^\n]*/)?.[0];
      return {
        ...base,
        status: "FINDING",
        violations: 1,
        violationText: text.trim(),
        ended,
        message: `the debug hooks stopped the run (${ended}): ${
          fatal ?? "crashed while dumping the block (before Py_FatalError)"
        }`,
      };
    }
    const foreign = err.match(/^libs: foreign free of .*$/m)?.[0];
    if (foreign) {
      return {
        ...base,
        status: "FINDING",
        violations: 0,
        ended,
        message: `the target's free crashed (${ended}) on a block it never handed out (${
          foreign.replace(/^libs: /, "")
        })`,
      };
    }
    const tail = err.trim().split("\n").slice(-3).join(" | ");
    return {
      ...base,
      status: "ERROR",
      violations: 0,
      ended,
      message: `libs-driver ${ended} on target ${target || "?"}, library ${sc.lib}: ${tail || "no output"}`,
    };
  }
  const { result } = JSON.parse(line.slice(RESULT_PREFIX.length)) as { rc: number; result: HarnessResult };
  const v = result.violations.count;
  const problems: string[] = [];
  if (v) problems.push(`${v} debug-hook violation(s)`);
  if (result.foreign_frees) {
    problems.push(`${result.foreign_frees} free(s) of blocks the target never handed out`);
  }
  if (result.leaks.blocks) {
    const g = result.leaks.groups.map((x) => `${x.count} x ${x.size} B at ${x.site}`).join(", ");
    problems.push(`${result.leaks.blocks} block(s), ${result.leaks.bytes} B left live after cleanup (${g})`);
  }
  const failed = result.checks_failed.count;
  const row: LibsRow = {
    ...base,
    result,
    violations: v,
    violationText: result.violations.texts[0] ? normalizeFatal(result.violations.texts[0]).trim() : undefined,
    status: failed ? "FAIL" : problems.length ? "FINDING" : "PASS",
    message: failed
      ? `${failed} check(s) failed: ${result.checks_failed.texts.join("; ")}`
      : problems.join("; "),
  };
  return row;
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
  const launches = loadTargets(opts.targets);
  // a library whose harness cannot be built (dev package missing) costs its own rows an ERROR, not the run
  const so = new Map<string, string>(), buildErrors = new Map<string, string>();
  for (const l of libs) {
    try {
      so.set(l, buildHarness(l));
    } catch (e) {
      buildErrors.set(l, (e as Error).message.split("\n").slice(0, 3).join(" "));
    }
  }
  const rows: LibsRow[] = [];
  for (const [target, launch] of launches) {
    for (const sc of scenarios(libs, opts.plant)) {
      const options = [opts.quick ? "quick" : "", sc.options].filter(Boolean).join(" ");
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
      const started = Date.now();
      const harness = so.get(sc.lib)!;
      let row: LibsRow;
      if (opts.failAt) {
        const child = await freshPoint(launch, harness, opts.failAt, opts.sweepWorkload ?? "tiny");
        row = judge(target, sc, child, (Date.now() - started) / 1000);
        row.failAt = { point: opts.failAt, ...classify(target, sc, child) };
      } else {
        const child = await runDriver(
          launch,
          harness,
          options,
          {},
          opts.timeoutMs ?? (opts.quick ? 120_000 : 600_000),
        );
        row = judge(target, sc, child, (Date.now() - started) / 1000);
      }
      if (opts.faults && !sc.demonstrates && sc.lib !== "glib") {
        row.faults = await sweep({
          launch,
          sc,
          so: harness,
          max: opts.faults,
          jobs: opts.jobs,
          workload: opts.sweepWorkload,
        });
      }
      rows.push(row);
      opts.progress?.(row);
    }
  }
  return rows;
}

/** 0 when no row FAILed or ERRORed and every FINDING was expected; else 1. */
export function exitStatus(rows: readonly LibsRow[]): number {
  return rows.some((r) =>
      r.status === "FAIL" || r.status === "ERROR" || (r.status === "FINDING" && !r.expected)
    )
    ? 1
    : 0;
}
