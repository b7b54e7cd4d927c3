/**
 * The default reporter: progress while the suite runs (FAIL and ERROR printed as they happen; to stderr
 * from the CLI), then a per-target table of counts, the failures with expected vs actual, and SKIP
 * reasons grouped (to stdout).
 *
 * @example
 * ```ts
 * import { tableReporter } from "./table.ts";
 * const rep = tableReporter((s) => console.log(s), false);
 * ```
 * @module
 */
import { STATUSES } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { aloneText, label } from "./summary.ts";

/** `progress` gets the lines written while the suite runs (the CLI sends them to stderr); `write` the rest. */
export function tableReporter(
  write: (s: string) => void,
  tty: boolean,
  progress: (s: string) => void = write,
): Reporter {
  let lastPct = -1;
  const step = tty ? 20 : 10; // progress lines per run: every 5% on a terminal, every 10% in a log
  return {
    onResult(r, done, total) {
      if (r.status === "FAIL" || r.status === "ERROR") {
        progress(`${r.informational ? "INFO " : ""}${r.status} ${label(r)}: ${r.message}`);
      }
      const pct = Math.floor((done * step) / total);
      if (pct !== lastPct) {
        lastPct = pct;
        progress(`progress: ${done}/${total} runs`);
      }
    },
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
      const bad = results.filter((r) => r.status === "FAIL" || r.status === "ERROR");
      if (bad.length) {
        write("");
        write("failures:");
        for (const r of bad) {
          write(`  ${r.informational ? "(informational) " : ""}${r.status} ${label(r)}`);
          write(`      ${r.message}`);
          if (r.alone) write(`      ${aloneText(r)}`);
          write(`      spec ${r.spec.section}: "${r.spec.quote}"`);
        }
      }
      write("");
      write(
        `${summary.total} runs in ${summary.seconds.toFixed(1)} s: ${
          summary.exit === 0 ? "conformant (no FAIL, no ERROR)" : "NOT conformant"
        }`,
      );
    },
  };
}
