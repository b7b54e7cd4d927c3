/**
 * `--format json`: one JSON object per result line as runs complete (target, case, domain, variant,
 * profile, status, message, spec, features, informational, ms; a FAIL or ERROR also `rerun`, the command
 * that reruns it alone), then one summary object line with the counts, `verdict` (naming each failing
 * target), and `causes` / `informational_causes`: the FAIL/ERROR runs grouped by cause (id, target,
 * status, text, runs, cases, domains, profiles; report/causes.ts).
 *
 * @example
 * ```ts
 * import { jsonReporter } from "./json.ts";
 * const rep = jsonReporter((s) => console.log(s));
 * ```
 * @module
 */
import type { Result } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { failureCauses, infoCauses, verdictText } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";
import type { Cause } from "../../report/causes.ts";

function causeJson(c: Cause<Result>) {
  return {
    id: c.id,
    target: c.column,
    status: c.status,
    text: c.text,
    runs: c.runs.length,
    cases: [...new Set(c.runs.map((r) => r.case))],
    domains: [...new Set(c.runs.map((r) => r.domain))],
    profiles: [...new Set(c.runs.map((r) => r.profile))],
  };
}

export function jsonReporter(write: (s: string) => void, rerun: RerunContext = rerunContext()): Reporter {
  return {
    onResult(r) {
      const bad = r.status === "FAIL" || r.status === "ERROR";
      write(JSON.stringify(bad ? { ...r, rerun: rerunCommand(r, rerun) } : r));
    },
    finish(results, summary) {
      write(JSON.stringify({
        ...summary,
        verdict: verdictText(results),
        causes: failureCauses(results).map(causeJson),
        informational_causes: infoCauses(results).map((c) => ({ ...causeJson(c), id: `i${c.id}` })),
      }));
    },
  };
}
