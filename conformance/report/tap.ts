/**
 * `--format tap`: TAP version 13 with the plan at the end. SKIP and UNSUPPORTED are `# SKIP`,
 * informational failures `# TODO`, FAIL and ERROR carry a YAML block (status, message, cause, spec,
 * rerun: the command that reruns the run alone); the last comments give the counts and the verdict.
 *
 * @example
 * ```ts
 * import { tapReporter } from "./tap.ts";
 * const rep = tapReporter((s) => console.log(s));
 * ```
 * @module
 */
import type { Result } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { countsLine, failureCauses, infoCauses, label, verdictText } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";

const clean = (s: string) => s.replace(/[\r\n#]+/g, " ");

export function tapReporter(write: (s: string) => void, rerun: RerunContext = rerunContext()): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
      const causeOf = new Map<Result, string>();
      for (const c of failureCauses(results)) for (const r of c.runs) causeOf.set(r, `${c.id}: ${c.text}`);
      for (const c of infoCauses(results)) for (const r of c.runs) causeOf.set(r, `i${c.id}: ${c.text}`);
      write("TAP version 13");
      results.forEach((r, i) => {
        const n = i + 1;
        const name = clean(label(r));
        if (r.status === "PASS") write(`ok ${n} - ${name}`);
        else if (r.status === "SKIP" || r.status === "UNSUPPORTED") {
          write(`ok ${n} - ${name} # SKIP ${r.status.toLowerCase()}: ${clean(r.message)}`);
        } else {
          write(`not ok ${n} - ${name}${r.informational ? " # TODO informational" : ""}`);
          write("  ---");
          write(`  status: ${r.status}`);
          write(`  message: ${JSON.stringify(r.message)}`);
          write(`  cause: ${JSON.stringify(causeOf.get(r) ?? "")}`);
          write(`  spec: ${JSON.stringify(`${r.spec.section}: ${r.spec.quote}`)}`);
          write(`  rerun: ${JSON.stringify(rerunCommand(r, rerun))}`);
          write("  ...");
        }
      });
      write(`1..${results.length}`);
      write(`# ${countsLine(summary.counts)}`);
      write(`# ${verdictText(results)}`);
    },
  };
}
