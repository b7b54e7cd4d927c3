/**
 * `--format tap`: TAP version 13 with the plan at the end. SKIP and UNSUPPORTED are `# SKIP`,
 * informational failures `# TODO`, FAIL and ERROR carry a YAML block (status, message, spec).
 *
 * @example
 * ```ts
 * import { tapReporter } from "./tap.ts";
 * const rep = tapReporter((s) => console.log(s));
 * ```
 * @module
 */
import type { Reporter } from "./reporter.ts";
import { countsLine, label } from "./summary.ts";

const clean = (s: string) => s.replace(/[\r\n#]+/g, " ");

export function tapReporter(write: (s: string) => void): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
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
          write(`  spec: ${JSON.stringify(`${r.spec.section}: ${r.spec.quote}`)}`);
          write("  ...");
        }
      });
      write(`1..${results.length}`);
      write(`# ${countsLine(summary.counts)}`);
    },
  };
}
