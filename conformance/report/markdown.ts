/**
 * `--format markdown`: a feature x target matrix (cells "passed/judged", with FAIL/ERROR counts), then
 * the failures with their spec section.
 *
 * @example
 * ```ts
 * import { markdownReporter } from "./markdown.ts";
 * const rep = markdownReporter((s) => console.log(s));
 * ```
 * @module
 */
import { FEATURES } from "../case.ts";
import type { Reporter } from "./reporter.ts";
import { aloneText, countsLine, isBad, label } from "./summary.ts";

const cellText = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function markdownReporter(write: (s: string) => void): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
      const targets = [...new Set(results.map((r) => r.target))];
      write(`# allocspec conformance`);
      write("");
      write(`| feature | ${targets.join(" | ")} |`);
      write(`| --- | ${targets.map(() => "---").join(" | ")} |`);
      for (const f of FEATURES) {
        const cells = targets.map((t) => {
          const rs = results.filter((r) => r.target === t && r.features.includes(f));
          const judged = rs.filter((r) => r.status === "PASS" || r.status === "FAIL" || r.status === "ERROR");
          if (judged.length === 0) return rs.length ? "n/a" : "";
          const pass = judged.filter((r) => r.status === "PASS").length;
          const bad = judged.filter(isBad).length;
          return `${pass}/${judged.length}${bad ? ` (${bad} failing)` : ""}`;
        });
        if (cells.every((c) => c === "")) continue;
        write(`| ${f} | ${cells.join(" | ")} |`);
      }
      write("");
      for (const t of targets) write(`- **${t}**: ${countsLine(summary.targets[t])}`);
      const bad = results.filter((r) => r.status === "FAIL" || r.status === "ERROR");
      if (bad.length) {
        write("");
        write(`## Failures`);
        write("");
        write(`| run | status | message | spec |`);
        write(`| --- | --- | --- | --- |`);
        for (const r of bad) {
          write(
            `| ${cellText(label(r))} | ${r.status}${r.informational ? " (informational)" : ""} | ${
              cellText(r.message + (r.alone ? ` (${aloneText(r)})` : ""))
            } | ${cellText(r.spec.section)} |`,
          );
        }
      }
    },
  };
}
