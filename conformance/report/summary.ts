/**
 * Counting results: per status, per target, and the exit code rule (0 when no FAIL or ERROR outside
 * informational cases, else 1).
 *
 * @example
 * ```ts
 * import { summarize } from "./summary.ts";
 * const s = summarize([], 0.5);
 * s.exit; // 0
 * ```
 * @module
 */
import { type Result, type Status, STATUSES } from "../execute.ts";
import { runKey } from "../plan.ts";
import { type Cause, causeCountText, groupByCause } from "../../report/causes.ts";
import type { BudgetReport } from "../budget.ts";

export type Counts = Record<Status, number> & { informational: number };

export interface Summary {
  summary: true;
  total: number;
  counts: Counts;
  targets: Record<string, Counts>;
  seconds: number;
  exit: 0 | 1;
  /** the budgets the run applied (conformance/budget.ts): base, load factor, reruns alone */
  budget?: BudgetReport;
}

const zero = (): Counts => ({ PASS: 0, FAIL: 0, ERROR: 0, SKIP: 0, UNSUPPORTED: 0, informational: 0 });

/** True when a result counts against the run (FAIL or ERROR of a normative case). */
export function isBad(r: Result): boolean {
  return (r.status === "FAIL" || r.status === "ERROR") && !r.informational;
}

/** Adds one result to counts: informational FAIL/ERROR go to `informational`, not FAIL/ERROR. */
function add(c: Counts, r: Result): void {
  if (r.informational && (r.status === "FAIL" || r.status === "ERROR")) c.informational++;
  else c[r.status]++;
}

export function summarize(results: readonly Result[], seconds: number): Summary {
  const counts = zero();
  const targets: Record<string, Counts> = {};
  for (const r of results) {
    add(counts, r);
    add(targets[r.target] ??= zero(), r);
  }
  return {
    summary: true,
    total: results.length,
    counts,
    targets,
    seconds,
    exit: results.some(isBad) ? 1 : 0,
  };
}

/** `target case[domain/variant]@profile` */
export function label(r: Result): string {
  return `${r.target} ${
    runKey({ caseId: r.case, domain: r.domain, variant: r.variant, profile: r.profile })
  }`;
}

/**
 * "reproduces alone", or "only after earlier cases (state from the run): alone PASS; after a, b and 40
 * more" (the last three earlier runs named; the JSON output has them all).
 */
export function aloneText(r: Result): string {
  if (!r.alone) return "";
  if (!r.earlier?.length || !r.aloneStatus) return r.alone;
  const last = r.earlier.slice(-3).join(", ");
  const more = r.earlier.length > 3 ? ` (and ${r.earlier.length - 3} earlier)` : "";
  return `${r.alone}: ${r.aloneStatus} when run alone in a fresh worker; it ran after ${last}${more}`;
}

/** "PASS 10, FAIL 0, ..." */
export function countsLine(c: Counts): string {
  return STATUSES.map((s) => `${s} ${c[s]}`).join(", ") +
    (c.informational ? `, informational ${c.informational}` : "");
}

/** Normative FAIL/ERROR runs grouped by cause (target, status, masked message): report/causes.ts. */
export function failureCauses(results: readonly Result[]): Cause<Result>[] {
  return groupByCause(
    results.filter(isBad),
    (r) => ({ column: r.target, status: r.status, message: r.message }),
  );
}

/** Informational FAIL/ERROR runs grouped the same way (shown apart: they never fail a run). */
export function infoCauses(results: readonly Result[]): Cause<Result>[] {
  return groupByCause(
    results.filter((r) => r.informational && (r.status === "FAIL" || r.status === "ERROR")),
    (r) => ({ column: r.target, status: r.status, message: r.message }),
  );
}

/**
 * The verdict naming each failing target: "conformant: no FAIL, no ERROR", or "NOT conformant:
 * mutant:x: 9 FAIL in 2 causes; native: 1 ERROR in 1 cause".
 */
export function verdictText(results: readonly Result[]): string {
  const causes = failureCauses(results);
  if (!causes.length) return "conformant: no FAIL, no ERROR";
  const targets = [...new Set(causes.map((c) => c.column))];
  return `NOT conformant: ${
    targets.map((t) => `${t}: ${causeCountText(causes.filter((c) => c.column === t))}`).join("; ")
  }`;
}

/**
 * The time budget the run applied (conformance/budget.ts), in one line: "budget: 20 s per case idle;
 * load 3.5 (max 4.1) on 2 cores, x2.8 (max x3.1) -> 56 s per case; 1 run timed out in parallel, rerun
 * alone with x4: 0 timed out again", or undefined when the summary carries none.
 */
export function extrasText(s: Summary): string | undefined {
  const b = s.budget;
  if (!b) return undefined;
  const n = (v: number) => String(Math.round(v * 10) / 10);
  const alone = b.rerunAlone
    ? `; ${b.rerunAlone} run${b.rerunAlone === 1 ? "" : "s"} timed out in parallel, rerun alone with x${
      n(b.aloneFactor)
    }: ${b.confirmedTimeouts} timed out again`
    : "; no run timed out";
  return `budget: ${n(b.baseSeconds)} s per case idle; load ${n(b.load.start)} (max ${
    n(b.load.max)
  }) on ${b.cpus} core${b.cpus === 1 ? "" : "s"}, x${n(b.factor.start)} (max x${n(b.factor.max)}) -> ${
    n(b.caseSeconds)
  } s per case${alone}`;
}
