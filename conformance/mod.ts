/**
 * The PEP 445 conformance suite: public surface.
 *
 * ```
 * cases/<group>/<what>.ts --(plan.ts: case x domain x variant x profile)--> pool.ts (worker processes)
 *     --> worker.ts --> execute.ts (in-process, violation mode "throw") | death child (mode "abort")
 *     --> adapter (adapters/mod.ts: ref, native, cpython, vtable, libc, mutant) --> target
 *     --> report/ (table, json, tap, junit, markdown)
 * ```
 *
 * @example
 * ```ts
 * import { prepareSuite, runSuite } from "./mod.ts";
 * const prep = await prepareSuite({ targets: ["ref"], abi: "shipped", profiles: ["cpython"] });
 * const { summary } = await runSuite(prep, { jobs: 2 });
 * console.log(summary.counts);
 * ```
 * @module
 */
export { type Adapter, type AdapterFactory, CAPABILITIES, type Capability } from "./adapter.ts";
export { UsageError } from "../core/usage.ts";
export { loadAdapter, parseTarget, TARGET_KINDS } from "./adapters/mod.ts";
export {
  type Case,
  type CaseMeta,
  defineCase,
  type DomainName,
  type ExpectedViolation,
  type Feature,
  FEATURES,
} from "./case.ts";
export { type CaseContext, CaseFailure, fail, makeContext, pattern, Prng } from "./context.ts";
export { caseIds, loadCase, loadCases } from "./cases/mod.ts";
export { dispose, expand, runKey, type RunSpec } from "./plan.ts";
export { executeInProcess, judgeDeath, type Result, type Status, STATUSES } from "./execute.ts";
export { runPool, type WorkItem } from "./pool.ts";
export { DEFAULT_TARGETS, prepareSuite, runSuite, type SuiteOptions } from "./suite.ts";
export { createReporter, type Format, FORMATS, summarize, type Summary } from "./report/mod.ts";
export { failingCases, resultsOn } from "./teeth.ts";
export { TEETH, type TeethRow } from "./teeth_table.ts";
