/**
 * The judgement of one libs run (a harness run, run.ts; a fault-sweep point, sweep.ts) and the shapes both
 * share: the scenario, the harness's result, a judged row and a sweep's tally. In a file of its own so
 * run.ts and sweep.ts both use it without importing each other.
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
import {
  type CheckViolation,
  formatViolation,
  parseCheckViolations,
  parseCrashLine,
  parseSummaries,
  printable,
} from "../../debug/check/report.ts";
import { type LibsDebugHooks, RESULT_PREFIX } from "./driver.ts";

/** One (library, options) run. */
export interface Scenario {
  /** row name: the library, or library + variant */
  id: string;
  lib: string;
  options: string;
  /** the scenario exists to show a finding (a FINDING is expected, not a failure) */
  demonstrates?: string;
  /**
   * With `demonstrates`: the checking layer's rules the demonstration shows. A FINDING naming any other
   * rule is a real one (the allocator broke something else too) and is not expected.
   */
  demonstratesRules?: readonly string[];
}

/** The workload size of sweep runs: quick (the CI size) or tiny (small enough to fail every point). */
export type SweepWorkload = "quick" | "tiny";

/** Outcomes of a point; all but the last two are findings. */
export type PointClass = "crash" | "hang" | "violation" | "leak" | "unreported" | "reported" | "absorbed";

/** One deduplicated finding. */
export interface SweepFinding {
  cls: PointClass;
  site: string;
  /** the smallest point with this class and site */
  point: number;
  /** points with this class and site */
  count: number;
  detail: string;
  /** the fresh `FAIL_AT` rerun of `point` gave the same class and site */
  confirmed: boolean;
  /** what the rerun gave when it differed */
  rerun?: string;
  /** the command that reruns `point` (the confirmation's run), filled in by run.ts */
  reproducer?: string;
}

/** A per-library fault sweep. */
export interface FaultSweep {
  /** allocation points of the workload (dry run) */
  points: number;
  /** points the sweep's parent counted (equals `points` when the run is exact) */
  swept: number;
  tried: number;
  /** reported + absorbed */
  handled: number;
  reported: number;
  absorbed: number;
  crashes: number;
  hangs: number;
  leaks: number;
  violations: number;
  unreported: number;
  /** points rerun in a fresh process (another thread was alive at the point) */
  fresh: number;
  /** chosen points that gave no outcome */
  missing: number;
  /** wall time of the sweep run (dry run and confirmations excluded) and points per second */
  seconds: number;
  pointsPerSecond: number;
  /** mean CPU time of one forked child */
  childCpuMs: number;
  warnings: string[];
  findings: SweepFinding[];
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
  /** the debug hooks over the checking layer in this run (`none`: the allocator sees the library's sizes) */
  debugHooks?: LibsDebugHooks;
  status: "PASS" | "FINDING" | "FAIL" | "ERROR";
  /** expected finding (see Scenario.demonstrates) */
  expected: boolean;
  result?: HarnessResult;
  /** violations: count, and CPython's text (first one, addresses scrubbed) */
  violations: number;
  violationText?: string;
  /** how the child ended when it did not report (signal or exit status) */
  ended?: string;
  /** the rules the checking layer saw broken (conformance case ids), first seen first */
  rules?: string[];
  /** the checking layer's first violation, as it reported it */
  check?: CheckViolation;
  message: string;
  seconds: number;
  /** the fault sweep (with `faults`) */
  faults?: FaultSweep;
  /** the command that reruns this row alone */
  rerun?: string;
  /** `failAt`: what failing that one point did */
  failAt?: { point: number; cls: PointClass; site: string; detail: string };
}

/**
 * Judges one child (exported for tests). A demonstration's FINDING is expected only when every rule the
 * checking layer named is one it demonstrates; the layer's `reproduce` line (the driver's own argv, not a
 * command a user can run) is dropped: the row's `rerun` is the command.
 */
export function judge(
  target: string,
  sc: Scenario,
  child: { status: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean },
  seconds: number,
): LibsRow {
  const row = judgeChild(target, sc, child, seconds);
  if (row.check) row.check = { ...row.check, reproduce: undefined };
  if (row.expected && sc.demonstratesRules && row.rules?.some((r) => !sc.demonstratesRules!.includes(r))) {
    row.expected = false;
    row.message = `${row.message} (not what "${sc.id}" demonstrates: ${
      row.rules.filter((r) => !sc.demonstratesRules!.includes(r)).join(", ")
    })`;
  }
  return row;
}

function judgeChild(
  target: string,
  sc: Scenario,
  child: { status: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean },
  seconds: number,
): LibsRow {
  const base = { target, scenario: sc.id, expected: !!sc.demonstrates, seconds };
  const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  const err = printable(programStderr(child.stderr));
  const debugText = DEBUG_HOOK_DIAGNOSTIC.test(err);
  const ended = child.timedOut ? "hung" : child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
  // the checking layer (directly above the allocator): the rule it saw broken comes first
  const found = parseCheckViolations(err);
  const counted = parseSummaries(err);
  const rules = [...new Set([...found.map((v) => v.rule), ...Object.keys(counted)])];
  if (found.length && !line) {
    const v = found[0];
    const total = Object.values(counted).reduce((a, b) => a + b, 0) || found.length;
    return {
      ...base,
      status: "FINDING",
      violations: total,
      rules,
      check: v,
      violationText: formatViolation({ ...v, reproduce: undefined }),
      ended,
      message: `rule ${v.rule} broken [${v.domain}]: ${v.message}${v.call ? ` (${v.call})` : ""}${
        v.cSite ? ` at ${v.cSite}` : ""
      }`,
    };
  }
  if (!line) {
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
    // one printable line: the launcher's signal line (signal, allocator, what the checking layer knew)
    const crash = parseCrashLine(err);
    const tail = err.trim().split("\n").filter((l) => !l.startsWith("allocspec-python: ")).slice(-2).join(
      " | ",
    );
    const why = crash
      ? `died by ${crash.signal} on allocator ${crash.allocator} (debug hooks: ${crash.debugHooks})${
        crash.check ? `; check: ${crash.check}` : ""
      }`
      : `${ended} on target ${target || "?"}`;
    // the layer's describe text names the rule being broken when the allocator died inside it
    const named = crash?.check?.match(/violation of (\S+)/)?.[1];
    const all = [...new Set([...rules, ...(named ? [named] : [])])];
    return {
      ...base,
      status: "ERROR",
      violations: 0,
      rules: all.length ? all : undefined,
      ended,
      message: `libs-driver ${why}, library ${sc.lib}${tail ? `: ${tail}` : ""}`,
    };
  }
  const { result } = JSON.parse(line.slice(RESULT_PREFIX.length)) as { rc: number; result: HarnessResult };
  const checked = Object.values(counted).reduce((a, b) => a + b, 0) || found.length;
  const v = result.violations.count + checked;
  const problems: string[] = [];
  if (checked) {
    problems.push(
      `${checked} check-layer violation(s): ${rules.map((r) => `${r} x${counted[r] ?? 1}`).join(", ")}`,
    );
  }
  if (result.violations.count) problems.push(`${result.violations.count} debug-hook violation(s)`);
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
    rules: rules.length ? rules : undefined,
    check: found[0],
    violationText: found[0]
      ? formatViolation({ ...found[0], reproduce: undefined })
      : result.violations.texts[0]
      ? normalizeFatal(result.violations.texts[0]).trim()
      : undefined,
    status: failed ? "FAIL" : problems.length ? "FINDING" : "PASS",
    message: failed
      ? `${failed} check(s) failed: ${result.checks_failed.texts.join("; ")}`
      : problems.join("; "),
  };
  return row;
}
