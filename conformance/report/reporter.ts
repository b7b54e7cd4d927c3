/**
 * What every output format implements (the formats are in this folder; mod.ts picks one by name).
 *
 * @example
 * ```ts
 * import type { Reporter } from "./reporter.ts";
 * const quiet: Reporter = { onResult() {}, finish() {} };
 * console.log(typeof quiet.finish);
 * ```
 * @module
 */
import type { Result } from "../execute.ts";
import type { Summary } from "./summary.ts";

/** One output format. */
export interface Reporter {
  /** called as each run completes (any order) */
  onResult(r: Result, done: number, total: number): void;
  /** called once with every result in plan order */
  finish(results: readonly Result[], summary: Summary): void;
}
