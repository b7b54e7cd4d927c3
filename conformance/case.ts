/**
 * What a conformance case is: metadata as a typed literal plus a body that checks one observable.
 *
 * Like test262 and JSON-Schema-Test-Suite, every case lives in its own short file
 * `conformance/cases/<group>/<what_it_checks>.ts` whose default export is `defineCase({...})`; the id is
 * `<group>/<what_it_checks>` and must match the file. The runner fans a case out once per domain in
 * `domains` (an empty list: once, reported as domain "-"), once per entry of `variants`, and once per
 * profile in `profiles` that the run selected.
 *
 * A body fails by throwing (node:assert/strict or `ctx.fail`). A case with `expect` must end in the debug
 * hooks detecting exactly that violation; a case with `death` runs in a child with violation mode "abort"
 * and passes when the child dies by the signal with every stderr pattern matched.
 *
 * @example
 * ```ts
 * import { defineCase } from "./case.ts"; // from a case file: "../../case.ts"
 * import type { CaseContext, DomainName } from "./context.ts";
 * export default defineCase({
 *   id: "zero_size/malloc_zero_non_null",
 *   description: "malloc(0) returns a non-NULL pointer",
 *   spec: { section: "cpython-facts.md §1.3", quote: "returns a distinct non-NULL pointer if possible" },
 *   features: ["zero-size"], profiles: ["cpython", "pep445-2013"], domains: ["RAW", "MEM", "OBJ"], needs: [],
 *   run(ctx: CaseContext) { if (ctx.malloc(0) === 0) ctx.fail("malloc(0) returned NULL"); },
 * });
 * ```
 * @module
 */
import type { Capability } from "./adapter.ts";
import type { Profile, ViolationKind } from "../ref/types.ts";
import type { CaseContext, DomainName } from "./context.ts";

/** The closed list of features a case can be tagged with (the rows of the markdown matrix). */
export type Feature =
  | "zero-size"
  | "free-null"
  | "size-checks"
  | "realloc"
  | "calloc"
  | "alignment"
  | "no-overlap"
  | "get-set"
  | "hook-args"
  | "unknown-domain"
  | "use-case"
  | "pymalloc"
  | "fallback"
  | "arena"
  | "debug-fill"
  | "debug-overflow"
  | "debug-underflow"
  | "debug-api-id"
  | "debug-text"
  | "debug-setup"
  | "gil"
  | "threads"
  | "posix";

/** Every feature, in report order. */
export const FEATURES: readonly Feature[] = [
  "zero-size",
  "free-null",
  "size-checks",
  "realloc",
  "calloc",
  "alignment",
  "no-overlap",
  "get-set",
  "hook-args",
  "unknown-domain",
  "use-case",
  "pymalloc",
  "fallback",
  "arena",
  "debug-fill",
  "debug-overflow",
  "debug-underflow",
  "debug-api-id",
  "debug-text",
  "debug-setup",
  "gil",
  "threads",
  "posix",
];

export type { DomainName };
export const ALL_DOMAINS: readonly DomainName[] = ["RAW", "MEM", "OBJ"];
export const BOTH_PROFILES: readonly Profile[] = ["cpython", "pep445-2013"];

/** Where the rule comes from; `quote` is VERBATIM text of the PEP or cpython-facts.md. */
export interface SpecRef {
  section: string;
  quote: string;
}

/** An expected debug-hook detection. */
export interface ExpectedViolation {
  violation: ViolationKind;
  /** the function named in the fatal line (PyMemDebugError.func), e.g. "_PyMem_DebugRawFree". */
  func: string;
  /** patterns the diagnostic text must match (in-process: PyMemDebugError.text; death: stderr). */
  text?: readonly RegExp[];
}

/** The metadata of a case (all data, no code). */
export interface CaseMeta {
  id: string;
  description: string;
  spec: SpecRef;
  features: readonly Feature[];
  profiles: readonly Profile[];
  domains: readonly DomainName[];
  variants?: readonly string[];
  needs: readonly Capability[];
  /** C/POSIX or quality checks: reported, never fail a run. */
  informational?: true;
  /** Misuse that aborts: run in a child with violation mode "abort". */
  death?: { expect: { signal: "SIGABRT"; stderr: readonly RegExp[] } };
  expect?: ExpectedViolation;
  /** The case makes the allocator below fail (a recording hook's `failNext`): see {@link FailureInjection}. */
  injectsFailure?: FailureInjection;
}

/** The calls a failure-injecting case can make fail. */
export type FailableOp = "malloc" | "calloc" | "realloc";

/**
 * How a case injects allocation failures. A valid implementation may serve a request by any of malloc,
 * calloc or realloc below it (a debug realloc may grow by malloc + copy + free), so `fails` lists every
 * path (cases_test.ts requires all three). `precondition` is the observable that must have happened
 * for the verdict to mean anything (an injected failure was reached); when it did not, the body ends
 * with `ctx.skip(reason)` and the run is SKIP, never FAIL.
 */
export interface FailureInjection {
  fails: readonly FailableOp[];
  precondition: string;
}

/** A case: metadata and its body. */
export interface Case extends CaseMeta {
  run(ctx: CaseContext): void | Promise<void>;
}

/** Identity helper that type-checks a case literal. */
export function defineCase(c: Case): Case {
  return c;
}
