/**
 * Reporters: `table` (default, progress while running), `json`, `tap`, `junit`, `markdown`.
 * A reporter gets each result as it completes and the full, ordered list at the end.
 *
 * @example
 * ```ts
 * import { createReporter } from "./mod.ts";
 * const rep = createReporter("json", (s) => console.log(s));
 * ```
 * @module
 */
import type { Result } from "../execute.ts";
import type { Summary } from "./summary.ts";
import { jsonReporter } from "./json.ts";
import { tapReporter } from "./tap.ts";
import { junitReporter } from "./junit.ts";
import { markdownReporter } from "./markdown.ts";
import { tableReporter } from "./table.ts";

export type Format = "table" | "json" | "tap" | "junit" | "markdown";
export const FORMATS: readonly Format[] = ["table", "json", "tap", "junit", "markdown"];

export interface Reporter {
  /** called as each run completes (any order) */
  onResult(r: Result, done: number, total: number): void;
  /** called once with every result in plan order */
  finish(results: readonly Result[], summary: Summary): void;
}

/**
 * `write` receives text that ends without a newline; the reporter adds structure. `progress` (default
 * `write`; the CLI passes stderr) receives the table reporter's progress and early FAIL/ERROR lines.
 */
export function createReporter(
  format: Format,
  write: (s: string) => void,
  opts: { tty?: boolean; progress?: (s: string) => void } = {},
): Reporter {
  switch (format) {
    case "json":
      return jsonReporter(write);
    case "tap":
      return tapReporter(write);
    case "junit":
      return junitReporter(write);
    case "markdown":
      return markdownReporter(write);
    default:
      return tableReporter(write, opts.tty ?? false, opts.progress ?? write);
  }
}

export { summarize } from "./summary.ts";
export type { Summary } from "./summary.ts";
