/**
 * The default reporter (stdout; progress and each FAIL/ERROR as it happens are the CLI's, on stderr): a
 * per-target table of counts, SKIP/UNSUPPORTED reasons grouped, informational results apart, the
 * failures grouped by cause (the cause once, then per case its spec quote and each run's rerun command),
 * and the verdict naming each failing target.
 *
 * @example
 * ```ts
 * import { tableReporter } from "./table.ts";
 * const rep = tableReporter((s) => console.log(s));
 * ```
 * @module
 */
import { STATUSES } from "../execute.ts";
import type { Result } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { aloneText, extrasText, failureCauses, infoCauses, verdictText } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext } from "./rerun.ts";
import { type Cause, listText } from "../../report/causes.ts";
import { runKey } from "../plan.ts";
import { ALONE } from "../pool.ts";

/**
 * Causes as text lines: the cause once (target, status, runs, masked message, the cases, domains and
 * profiles it hits), then per case its spec citation and each run with the message (when it differs from
 * the cause's) and the command that reruns it alone.
 */
export function causeLines(causes: readonly Cause<Result>[], rerun: RerunContext, tag = ""): string[] {
  const out: string[] = [];
  causes.forEach((c) => {
    const cases = [...new Set(c.runs.map((r) => r.case))];
    const domains = [...new Set(c.runs.map((r) => r.domain).filter((d) => d !== "-"))];
    const profiles = [...new Set(c.runs.map((r) => r.profile))];
    out.push(`  [${tag}${c.id}] ${c.column}: ${c.status} x${c.runs.length}: ${c.text}`);
    const hits = [`${cases.length} case${cases.length === 1 ? "" : "s"}`];
    if (domains.length) hits.push(`domains ${domains.join(", ")}`);
    hits.push(`profiles ${profiles.join(", ")}`);
    // "reproduces alone" once for the cause when every run does; per run otherwise
    const allAlone = c.runs.every((r) => r.alone === ALONE && !r.aloneStatus);
    if (allAlone) hits.push(`every run ${ALONE}`);
    out.push(`      hits ${hits.join(" · ")}`);
    for (const id of cases) {
      const rs = c.runs.filter((r) => r.case === id);
      out.push(`      ${id}`);
      out.push(`        spec ${rs[0].spec.section}: "${rs[0].spec.quote}"`);
      for (const r of rs) {
        const where = runKey({ caseId: "", domain: r.domain, variant: r.variant, profile: r.profile });
        out.push(`        ${where}  rerun: ${rerunCommand(r, rerun)}`);
        if (r.message.trim() !== c.text) out.push(`          ${r.message}`);
        if (r.alone && !allAlone) out.push(`          ${aloneText(r)}`);
      }
    }
  });
  return out;
}

/** The default reporter: counts per target, not-run reasons, failures by cause with reruns, the verdict. */
export function tableReporter(write: (s: string) => void, rerun: RerunContext = rerunContext()): Reporter {
  return {
    onResult() {},
    finish(results, summary) {
      const head = ["target", ...STATUSES, "informational"];
      const rows = Object.entries(summary.targets).map((
        [t, c],
      ) => [t, ...STATUSES.map((s) => String(c[s])), String(c.informational)]);
      const all = [
        "total",
        ...STATUSES.map((s) => String(summary.counts[s])),
        String(summary.counts.informational),
      ];
      const table = [head, ...rows, all];
      const w = head.map((_, i) => Math.max(...table.map((r) => r[i].length)));
      const fmt = (r: string[]) => r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join("  ");
      write("");
      write(fmt(head));
      write(w.map((n) => "-".repeat(n)).join("  "));
      for (const r of rows) write(fmt(r));
      write(fmt(all));
      const skips = new Map<string, number>();
      for (const r of results) {
        if (r.status === "SKIP" || r.status === "UNSUPPORTED") {
          const k = `${r.target}: ${r.status} ${r.message}`;
          skips.set(k, (skips.get(k) ?? 0) + 1);
        }
      }
      if (skips.size) {
        write("");
        write("not run:");
        for (const [k, n] of skips) write(`  ${k} (${n} runs)`);
      }
      const info = infoCauses(results);
      if (info.length) {
        const n = info.reduce((a, c) => a + c.runs.length, 0);
        write("");
        write(`informational (never fails a run): ${n} FAIL/ERROR runs in ${info.length} causes`);
        for (const l of causeLines(info, rerun, "i")) write(l);
      }
      const causes = failureCauses(results);
      if (causes.length) {
        const n = causes.reduce((a, c) => a + c.runs.length, 0);
        write("");
        write(
          `failures by cause: ${n} runs (FAIL ${summary.counts.FAIL}, ERROR ${summary.counts.ERROR}) in ${causes.length} cause${
            causes.length === 1 ? "" : "s"
          } on ${listText([...new Set(causes.map((c) => c.column))])}`,
        );
        for (const l of causeLines(causes, rerun)) write(l);
      }
      const extras = extrasText(summary);
      if (extras) {
        write("");
        write(extras);
      }
      write("");
      write(`${summary.total} runs in ${summary.seconds.toFixed(1)} s: ${verdictText(results)}`);
    },
  };
}
