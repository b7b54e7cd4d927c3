/**
 * Runs the external-library harnesses on targets, one fresh child process per (target, scenario), and
 * judges each run (see README.md in this folder).
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
import { fileURLToPath } from "node:url";
import { type Adapter } from "../../conformance/adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { loadAdapter } from "../../conformance/adapters/mod.ts";
import { runScript } from "../../core/child.ts";
import { buildHarness, LIBRARIES } from "./build.ts";
import { judge, type LibsRow, type Scenario, type SweepWorkload } from "./judge.ts";
import { faultRun, sweep } from "./sweep.ts";

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
  /** workload of sweep and --fail-at runs: quick (default) or tiny (every point can be failed) */
  sweepWorkload?: SweepWorkload;
  /** called after each row */
  progress?: (row: LibsRow) => void;
}

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/** Loads and validates the targets (UsageError for bad ones) before anything runs. */
export async function loadTargets(targets: readonly string[]): Promise<Map<string, Adapter>> {
  const m = new Map<string, Adapter>();
  for (const t of targets) {
    const a = await loadAdapter(t, { abi: "shipped" });
    if (!a.cEntryPoints) {
      throw new UsageError(
        `target ${t} has no C entry points (it runs in TypeScript): use native, vtable:LIB, libc:LIB or cpython`,
      );
    }
    m.set(t, a);
  }
  return m;
}

/** Runs every scenario on every target; returns the judged rows. */
export async function runLibs(opts: LibsOptions): Promise<LibsRow[]> {
  const adapters = await loadTargets(opts.targets);
  const libs = opts.libraries?.length ? opts.libraries : LIBRARIES;
  for (const l of libs) {
    if (!LIBRARIES.includes(l)) throw new UsageError(`unknown library '${l}': use ${LIBRARIES.join(", ")}`);
  }
  if (opts.plant && !["leak", "foreign"].includes(opts.plant)) {
    throw new UsageError(`unknown planted bug '${opts.plant}': use leak or foreign`);
  }
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
  for (const [target, adapter] of adapters) {
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
      const env = adapter.childEnv?.(`libs/${sc.lib}`) ?? {};
      let child;
      if (opts.failAt) {
        child = await faultRun(target, sc, so.get(sc.lib)!, env, {
          ALLOCSPEC_FAULTS_MODE: "fail",
          ALLOCSPEC_FAULTS_FAIL_AT: String(opts.failAt),
        }, opts.sweepWorkload);
      } else {
        child = runScript(CHILD, [target, sc.lib, so.get(sc.lib)!, options, "hooks"], {
          env,
          timeoutMs: opts.timeoutMs ?? (opts.quick ? 120_000 : 600_000),
        });
      }
      const row = judge(target, sc, child, (Date.now() - started) / 1000);
      if (opts.faults && !sc.demonstrates && sc.lib !== "glib") {
        row.faults = await sweep(
          target,
          sc,
          so.get(sc.lib)!,
          env,
          opts.faults,
          opts.jobs,
          opts.sweepWorkload,
        );
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
