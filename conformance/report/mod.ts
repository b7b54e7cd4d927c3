/**
 * Reporters: `table` (default, progress while running), `json`, `tap`, `junit`, `markdown`, `html`
 * (one self-contained page, progress on stderr).
 * A reporter gets each result as it completes and the full, ordered list at the end.
 *
 * @example
 * ```ts
 * import { createReporter } from "./mod.ts";
 * const rep = createReporter("json", (s) => console.log(s));
 * ```
 * @module
 */
import process from "node:process";
import type { Reporter } from "./reporter.ts";
import { jsonReporter } from "./json.ts";
import { tapReporter } from "./tap.ts";
import { junitReporter } from "./junit.ts";
import { markdownReporter } from "./markdown.ts";
import { tableReporter } from "./table.ts";
import { htmlReporter } from "./html.ts";

export type Format = "table" | "json" | "tap" | "junit" | "markdown" | "html";
export const FORMATS: readonly Format[] = ["table", "json", "tap", "junit", "markdown", "html"];

export type { Reporter };

/**
 * `write` receives text that ends without a newline; the reporter adds structure. Progress lines of the
 * table and html reporters go to `opts.progress` (default: stderr), so stdout carries only results.
 */
export function createReporter(
  format: Format,
  write: (s: string) => void,
  opts: { tty?: boolean; progress?: (s: string) => void } = {},
): Reporter {
  const progress = opts.progress ?? ((s: string) => process.stderr.write(s + "\n"));
  switch (format) {
    case "json":
      return jsonReporter(write);
    case "tap":
      return tapReporter(write);
    case "junit":
      return junitReporter(write);
    case "markdown":
      return markdownReporter(write);
    case "html":
      return htmlReporter(write, { progress });
    default:
      return tableReporter(write, opts.tty ?? false, progress);
  }
}

export { summarize } from "./summary.ts";
export type { Summary } from "./summary.ts";
