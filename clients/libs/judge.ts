/**
 * The judgement of one libs child (a harness run, run.ts; a fault-sweep point, sweep.ts) and the shapes
 * both share: the scenario, the harness's result, a judged row and a sweep's tally. In a file of its own
 * so run.ts and sweep.ts both use it without importing each other.
 *
 * @example
 * ```ts
 * import { judge } from "./judge.ts";
 * const row = judge("native", { id: "zlib", lib: "zlib", options: "" }, {
 *   status: null, signal: "SIGSEGV", stdout: "", stderr: "", timedOut: false,
 * }, 0.1);
 * console.log(row.status); // "ERROR"
 * ```
 * @module
 */
import { normalizeFatal } from "../../conformance/death.ts";
import { programStderr } from "../../core/child.ts";
import { DEBUG_HOOK_DIAGNOSTIC } from "../../core/outcome.ts";
import { RESULT_PREFIX } from "./child.ts";

/** One (library, options) run. */
export interface Scenario {
  /** row name: the library, or library + variant */
  id: string;
  lib: string;
  options: string;
  /** the scenario exists to show a finding (a FINDING is expected, not a failure) */
  demonstrates?: string;
}

/** The workload size of sweep runs: quick (the CI size) or tiny (small enough to fail every point). */
export type SweepWorkload = "quick" | "tiny";

/** Outcomes of a point; the first four are findings. */
export type PointClass = "crash" | "violation" | "leak" | "unreported" | "reported" | "absorbed";

/** A per-library fault sweep. */
export interface FaultSweep {
  /** allocation points of the workload (dry run) */
  points: number;
  tried: number;
  /** reported + absorbed */
  handled: number;
  reported: number;
  absorbed: number;
  crashes: number;
  leaks: number;
  violations: number;
  unreported: number;
  /** deduplicated by (class, site of the failed call); `count` = points with that class and site */
  findings: { cls: PointClass; site: string; point: number; count: number; detail: string }[];
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
  const debugText = DEBUG_HOOK_DIAGNOSTIC.test(err);
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
    return { ...base, status: "ERROR", violations: 0, ended, message: `child ${ended}: ${tail}` };
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
