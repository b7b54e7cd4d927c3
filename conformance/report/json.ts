/**
 * `--format json`: one JSON object per result line as runs complete (target, case, domain, variant,
 * profile, status, message, spec, features, informational, ms), then one summary object line.
 *
 * @example
 * ```ts
 * import { jsonReporter } from "./json.ts";
 * const rep = jsonReporter((s) => console.log(s));
 * ```
 * @module
 */
import type { Reporter } from "./reporter.ts";

export function jsonReporter(write: (s: string) => void): Reporter {
  return {
    onResult(r) {
      write(JSON.stringify(r));
    },
    finish(_results, summary) {
      write(JSON.stringify(summary));
    },
  };
}
