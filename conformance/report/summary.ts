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
