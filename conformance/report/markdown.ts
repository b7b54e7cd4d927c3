/**
 * `--format markdown`: the verdict naming each failing target, a feature x target matrix (cells
 * "passed/judged", with FAIL/ERROR counts), then the failures grouped by cause: the cause once, the
 * cases with their spec section, and a table of runs with the command that reruns each alone.
 *
 * @example
 * ```ts
 * import { markdownReporter } from "./markdown.ts";
 * const rep = markdownReporter((s) => console.log(s));
 * ```
 * @module
 */
import { FEATURES } from "../case.ts";
import type { Result } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { aloneText, countsLine, failureCauses, infoCauses, isBad, verdictText } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";
import type { Cause } from "../../report/causes.ts";
import { runKey } from "../plan.ts";

const cellText = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** Inline code that may hold backticks. */
const code = (s: string) => (s.includes("`") ? `\`\` ${s} \`\`` : `\`${s}\``);

function causeBlock(write: (s: string) => void, c: Cause<Result>, rerun: RerunContext, tag: string): void {
  const cases = [...new Set(c.runs.map((r) => r.case))];
  const domains = [...new Set(c.runs.map((r) => r.domain).filter((d) => d !== "-"))];
  const profiles = [...new Set(c.runs.map((r) => r.profile))];
  write("");
  write(`### ${tag}${c.id}: ${cellText(c.column)}: ${c.status} x${c.runs.length}: ${cellText(c.text)}`);
  write("");
  write(
    `Hits ${cases.length} case${cases.length === 1 ? "" : "s"}${
      domains.length ? `, domains ${domains.join(", ")}` : ""
    }, profiles ${profiles.join(", ")}.`,
  );
  write("");
  for (const id of cases) {
    const s = c.runs.find((r) => r.case === id)!.spec;
    write(`- ${code(id)}: spec ${cellText(s.section)}: "${cellText(s.quote)}"`);
  }
  write("");
  write(`| run | message | rerun alone |`);
  write(`| --- | --- | --- |`);
  for (const r of c.runs) {
    const key = runKey({ caseId: r.case, domain: r.domain, variant: r.variant, profile: r.profile });
    write(
      `| ${cellText(key)} | ${cellText(r.message + (r.alone ? ` (${aloneText(r)})` : ""))} | ${
        cellText(code(rerunCommand(r, rerun)))
      } |`,
    );
  }
}

export function markdownReporter(write: (s: string) => void, rerun: RerunContext = rerunContext()): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
      const targets = [...new Set(results.map((r) => r.target))];
      write(`# allocspec conformance`);
      write("");
      write(`**${verdictText(results)}**`);
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
      const causes = failureCauses(results);
      if (causes.length) {
        write("");
        write(`## Failures by cause`);
        write("");
        write(
          `${
            summary.counts.FAIL + summary.counts.ERROR
          } runs (FAIL ${summary.counts.FAIL}, ERROR ${summary.counts.ERROR}) in ${causes.length} causes.`,
        );
        for (const c of causes) causeBlock(write, c, rerun, "");
      }
      const info = infoCauses(results);
      if (info.length) {
        write("");
        write(`## Informational results (never fail a run)`);
        for (const c of info) causeBlock(write, c, rerun, "i");
      }
    },
  };
}
