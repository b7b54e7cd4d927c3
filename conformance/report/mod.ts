/**
 * Reporters: `table` (default), `json`, `tap`, `junit`, `markdown`, `html` (one self-contained page).
 * A reporter gets each result as it completes and the full, ordered list at the end. Every format
 * prints each FAIL and ERROR with the command that reruns it alone (rerun.ts) and groups failures by
 * cause where it lists them (report/causes.ts); progress is the CLI's (core/progress.ts, stderr).
 *
 * @example
 * ```ts
 * import { createReporter } from "./mod.ts";
 * const rep = createReporter("json", (s) => console.log(s));
 * ```
 * @module
 */
import type { Reporter } from "./reporter.ts";
import { jsonReporter } from "./json.ts";
import { tapReporter } from "./tap.ts";
import { junitReporter } from "./junit.ts";
import { markdownReporter } from "./markdown.ts";
import { tableReporter } from "./table.ts";
import { htmlReporter } from "./html.ts";
import { type RerunContext, rerunContext } from "./rerun.ts";

export type Format = "table" | "json" | "tap" | "junit" | "markdown" | "html";
export const FORMATS: readonly Format[] = ["table", "json", "tap", "junit", "markdown", "html"];

export type { Reporter };

/**
 * `write` receives text that ends without a newline; the reporter adds structure. `opts.rerun` says how
 * rerun commands are written (default: this runtime's entry point with the default options).
 */
export function createReporter(
  format: Format,
  write: (s: string) => void,
  opts: { rerun?: RerunContext } = {},
): Reporter {
  const rerun = opts.rerun ?? rerunContext();
  switch (format) {
    case "json":
      return jsonReporter(write, rerun);
    case "tap":
      return tapReporter(write, rerun);
    case "junit":
      return junitReporter(write, rerun);
    case "markdown":
      return markdownReporter(write, rerun);
    case "html":
      return htmlReporter(write, { rerun });
    default:
      return tableReporter(write, rerun);
  }
}

export { summarize } from "./summary.ts";
export type { Summary } from "./summary.ts";
export { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";
