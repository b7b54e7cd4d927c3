/**
 * The markdown summary printed at the end of a run (and pasted into bench/README.md): the goal
 * figures with their status, then every scenario's rows.
 *
 * @module
 */
import { type FigureSpread, GOALS, STABLE_FIGURES } from "./goals.ts";
import type { BenchReport } from "./results.ts";

/** Format a number for a table: 3 significant decimals, thousands kept readable. */
export function fmt(x: number | null | undefined, unit = ""): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "n/a";
  const a = Math.abs(x);
  const s = a >= 1000 ? x.toFixed(0) : a >= 100 ? x.toFixed(1) : a >= 10 ? x.toFixed(2) : x.toFixed(3);
  return unit ? `${s} ${unit}` : s;
}

/** "q1 - q3 (min - max), n rounds" for a figure's spread; "-" when it has none. */
export function spreadText(sp: FigureSpread | undefined): string {
  if (!sp) return "-";
  return `${fmt(sp.q1)} - ${fmt(sp.q3)} (${fmt(sp.min)} - ${fmt(sp.max)}), ${sp.n}`;
}

function loadText(l: { start: number[]; end: number[] } | undefined): string {
  return l ? `${l.start[0]} -> ${l.end[0]}` : "-";
}

/**
 * Markdown for a report.
 *
 * @example
 * ```ts
 * import { buildReport } from "./results.ts";
 * import { markdownSummary } from "./summary.ts";
 * const report = buildReport({ date: "2026-01-01", command: "bun bench", quick: true, filter: null, context: {}, scenarios: [] });
 * console.log(markdownSummary(report));
 * ```
 */
export function markdownSummary(r: BenchReport): string {
  const out: string[] = [];
  const ctx = r.context as Record<string, any>;
  out.push(`## allocspec bench ${r.quick ? "(--quick: output check only, not a measurement)" : ""}`.trim());
  out.push("");
  out.push(`- date: ${r.date}`);
  out.push(`- command: \`${r.command}\``);
  if (ctx.cpu) out.push(`- cpu: ${ctx.cpu}${ctx.cores ? ` (${ctx.cores} cores)` : ""}`);
  if (ctx.loadavg_start) {
    out.push(
      `- load average (1, 5, 15 min): ${ctx.loadavg_start.join(", ")} at the start, ${
        (ctx.loadavg_end ?? []).join(", ")
      } at the end`,
    );
  }
  const load = Math.max(ctx.loadavg_start?.[0] ?? 0, ctx.loadavg_end?.[0] ?? 0);
  if (ctx.cores && load > ctx.cores) {
    out.push(
      `- **warning**: load average ${load} on ${ctx.cores} cores: other jobs shared the machine; expect noisy figures`,
    );
  }
  if (ctx.runtimes) {
    out.push(`- runtimes: ${Object.entries(ctx.runtimes).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  }
  out.push("");
  out.push(
    "| figure | median | spread over rounds: IQR (min - max), rounds | load avg start -> end | goal | status | what |",
  );
  out.push("| --- | ---: | --- | --- | --- | --- | --- |");
  for (const name of STABLE_FIGURES) {
    const f = r.figures[name];
    const status = f.status === "met"
      ? "met"
      : f.status === "missed"
      ? "**MISSED**"
      : `not measured (${f.reason})`;
    out.push(
      `| \`${name}\` | ${fmt(f.value, f.unit)} | ${spreadText(f.spread)} | ${
        loadText(f.loadavg)
      } | ${f.goal} | ${status} | ${GOALS[name].text} |`,
    );
  }
  out.push("");
  out.push("| scenario | runtime | measurement | median | q1 | q3 | min | max | n |");
  out.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const s of r.scenarios) {
    if (s.error) {
      out.push(`| ${s.name} | ${s.runtime} | ERROR: ${s.error.replaceAll("|", "\\|")} | | | | | | |`);
      continue;
    }
    for (const row of s.rows) {
      out.push(
        `| ${s.name} | ${s.runtime} | ${row.name} | ${fmt(row.median, row.unit)} | ${fmt(row.q1)} | ${
          fmt(row.q3)
        } | ${fmt(row.min)} | ${fmt(row.max)} | ${row.n ?? ""} |`,
      );
    }
  }
  out.push("");
  out.push("Load average (1 min) while each scenario ran:");
  for (const s of r.scenarios) out.push(`- ${s.name}@${s.runtime}: ${loadText(s.loadavg)}`);
  const notes = r.scenarios.flatMap((s) => s.notes.map((n) => `- ${s.name}@${s.runtime}: ${n}`));
  if (notes.length) {
    out.push("");
    out.push("Notes:");
    out.push(...notes);
  }
  return out.join("\n") + "\n";
}
