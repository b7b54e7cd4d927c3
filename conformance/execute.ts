/**
 * Running one case run: in-process (violation mode "throw"), inside a death child (mode "abort"), and
 * judging a death child's exit. Results are plain JSON-able objects.
 *
 * @example
 * ```ts
 * import { executeInProcess } from "./execute.ts";
 * // const r = await executeInProcess(adapter, c, { caseId: c.id, domain: "RAW", profile: "cpython" });
 * ```
 * @module
 */
import type { Adapter } from "./adapter.ts";
import type { Case, DomainName, ExpectedViolation, Feature, SpecRef } from "./case.ts";
import { CaseFailure, CaseSkip, makeContext } from "./context.ts";
import type { RunSpec } from "./plan.ts";
import type { Pep445, ViolationKind } from "../ref/types.ts";

export type Status = "PASS" | "FAIL" | "ERROR" | "SKIP" | "UNSUPPORTED";
export const STATUSES: readonly Status[] = ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED"];

/** One line of output: the result of one run on one target. */
export interface Result {
  target: string;
  case: string;
  domain: DomainName | "-";
  variant?: string;
  profile: RunSpec["profile"];
  status: Status;
  message: string;
  spec: SpecRef;
  features: readonly Feature[];
  informational?: true;
  ms: number;
  /**
   * For a FAIL/ERROR on a target that keeps state across cases (pool.ts): "reproduces alone" or "only
   * after earlier cases (state from the run)".
   */
  alone?: string;
  /** with "only after earlier cases": the status of the run alone in a fresh worker */
  aloneStatus?: Status;
  /** the runs (runKey) the worker executed before this one, in order */
  earlier?: string[];
  /**
   * A run that timed out in the parallel phase and was run again alone with a larger budget (pool.ts):
   * what happened, e.g. "timed out after 20 s (target hung) with 2 jobs in parallel; run alone with 80 s:
   * PASS". Its status is the rerun's. Also a death child that ended before it was ready (it never ran
   * the case) and was run again once in a fresh child: "death child ended before it was ready (signal
   * SIGABRT); ...; run again in a fresh child: PASS".
   */
  rerunAlone?: string;
}

/** Builds a result for a run. */
export function result(target: string, c: Case, r: RunSpec, status: Status, message: string, ms = 0): Result {
  const out: Result = {
    target,
    case: c.id,
    domain: r.domain,
    profile: r.profile,
    status,
    message,
    spec: c.spec,
    features: c.features,
    ms,
  };
  if (r.variant !== undefined) out.variant = r.variant;
  if (c.informational) out.informational = true;
  return out;
}

/** The reason text CPython prints for each violation kind (cpython-facts.md §2.4, §2.6). */
export const REASON: Record<ViolationKind, string> = {
  bad_id: "bad ID",
  bad_leading_pad: "bad leading pad byte",
  bad_trailing_pad: "bad trailing pad byte",
  no_gil: "Python memory allocator called without holding the GIL",
};

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim().slice(0, 400);

interface DebugErrorLike {
  name: string;
  kind: ViolationKind;
  func: string;
  text: string;
  address: number;
}
function isDebugError(e: unknown): e is DebugErrorLike {
  return e instanceof Error && e.name === "PyMemDebugError" && typeof (e as any).kind === "string";
}

/** Judges what a body did against an expected violation (undefined = PASS). */
function judgeViolation(exp: ExpectedViolation, e: unknown): string | undefined {
  if (e === undefined) {
    return `expected the debug hooks to detect ${exp.violation} in ${exp.func}, but no violation was reported`;
  }
  if (!isDebugError(e)) return `expected violation ${exp.violation} in ${exp.func}, got ${describe(e)}`;
  if (e.kind !== exp.violation || e.func !== exp.func) {
    return `expected violation ${exp.violation} in ${exp.func}, got ${e.kind} in ${e.func}`;
  }
  for (const re of exp.text ?? []) {
    if (!re.test(e.text)) {
      return `diagnostic text does not match ${re}: got ${JSON.stringify(e.text.slice(0, 600))}`;
    }
  }
  return undefined;
}

function describe(e: unknown): string {
  if (e instanceof CaseFailure) return e.message;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/** Runs the body against a fresh instance in this process (violations thrown). */
export async function executeInProcess(a: Adapter, c: Case, r: RunSpec, seed = 0x445): Promise<Result> {
  const t0 = performance.now();
  let py: Pep445;
  try {
    py = a.open(r.profile);
  } catch (e) {
    try {
      a.close?.();
    } catch { /* ignore */ }
    return result(a.label, c, r, "ERROR", `adapter.open(${r.profile}) failed: ${oneLine(describe(e))}`);
  }
  let status: Status = "PASS";
  let message = "";
  const gap = defaultsGap(a, c);
  try {
    if (c.expect || c.needs.includes("debug-hooks")) {
      if (a.violationModes === undefined || a.violationModes.includes("throw")) py.setViolationMode("throw");
    }
    const ctx = makeContext({
      py,
      target: targetInfo(a),
      domain: r.domain === "-" ? "RAW" : r.domain,
      profile: r.profile,
      variant: r.variant,
      seed,
    });
    let thrown: unknown = gap === undefined ? undefined : new CaseSkip(gap);
    if (gap === undefined) {
      try {
        await c.run(ctx);
      } catch (e) {
        thrown = e;
      }
    }
    if (thrown instanceof CaseSkip) {
      // a precondition of the case did not happen (issue #8): SKIP with the case's reason
      [status, message] = ["SKIP", oneLine(thrown.message)];
    } else if (c.expect) {
      const why = judgeViolation(c.expect, thrown);
      if (why) [status, message] = ["FAIL", why];
    } else if (thrown !== undefined) {
      [status, message] = ["FAIL", oneLine(describe(thrown))];
    }
  } finally {
    try {
      py.close();
    } catch { /* ignore */ }
    try {
      a.close?.();
    } catch { /* ignore */ }
  }
  return result(a.label, c, r, status, message, Math.round(performance.now() - t0));
}

function targetInfo(a: Adapter) {
  return {
    label: a.label,
    capabilities: a.capabilities,
    stressRaw: a.stressRaw ? (t: number, n: number, s: number) => a.stressRaw!(t, n, s) : undefined,
    errno: a.errno,
    defaults: a.defaults,
  };
}

/**
 * Why a case does not apply to the build's own default allocators (undefined: it does): a case needing
 * pymalloc or its arenas on a build whose default OBJ allocator is not pymalloc (known once open()).
 */
export function defaultsGap(a: Adapter, c: Case): string | undefined {
  const d = a.defaults;
  if (!d || d.pymalloc || !c.needs.some((n) => n === "pymalloc" || n === "arena")) return undefined;
  return `the default allocators of this build are ${d.allocator ?? "not pymalloc"}: no pymalloc to observe`;
}

/**
 * The body of a death child: runs the case with violation mode "abort". Returns normally (the child then
 * exits 0) when nothing aborted; a body failure is rethrown (exit 1).
 */
export async function executeAbortMode(a: Adapter, c: Case, r: RunSpec, seed = 0x445): Promise<void> {
  const py = a.open(r.profile);
  py.setViolationMode("abort");
  const ctx = makeContext({
    py,
    target: targetInfo(a),
    domain: r.domain === "-" ? "RAW" : r.domain,
    profile: r.profile,
    variant: r.variant,
    seed,
  });
  await c.run(ctx);
}

/** The stderr patterns a death run must show. */
export function deathPatterns(c: Case): RegExp[] {
  if (c.death) return [...c.death.expect.stderr];
  const e = c.expect!;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return [
    new RegExp(`Fatal Python error: (?:${esc(e.func)}: )?${esc(REASON[e.violation])}`),
    ...(e.text ?? []),
  ];
}

/** Judges a death child. */
export function judgeDeath(
  c: Case,
  child: { status: number | null; signal: string | null; stderr: string; stdout: string },
): { status: Status; message: string } {
  const want = c.death?.expect.signal ?? "SIGABRT";
  const tail = (s: string) => JSON.stringify(s.slice(-300));
  if (child.signal !== want) {
    const how = child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
    const pats = deathPatterns(c);
    if (child.signal && pats.every((re) => re.test(child.stderr))) {
      // the violation was detected and reported; the process then died of something else
      const line = child.stderr.split("\n").find((l) => pats[0].test(l)) ?? "";
      const after = child.stderr.slice(child.stderr.indexOf(line) + line.length);
      return {
        status: "FAIL",
        message: `stderr shows the expected ${JSON.stringify(line.trim().slice(0, 160))}, then the process ` +
          `crashed a second time on the fatal-error path: it ended with ${how}, not ${want} ` +
          `(stderr after that line ${tail(after)})`,
      };
    }
    const why = child.status === 1 && !child.signal
      ? ` (${oneLine(child.stdout + " " + child.stderr).slice(0, 300)})`
      : ` (stderr ${tail(child.stderr)})`;
    return { status: "FAIL", message: `expected the process to die by ${want}, it ended with ${how}${why}` };
  }
  for (const re of deathPatterns(c)) {
    if (!re.test(child.stderr)) {
      return {
        status: "FAIL",
        message: `died by ${want} but stderr does not match ${re}: ${tail(child.stderr)}`,
      };
    }
  }
  return { status: "PASS", message: "" };
}
