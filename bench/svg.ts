/**
 * A small SVG bar chart of the main ratios, each against its goal (written by hand: no dependency).
 * One bar per ratio; the goal is a dashed tick on the bar's row; green = goal met, red = missed.
 *
 * @module
 */
import { type FigureName, GOALS } from "./goals.ts";
import type { BenchReport } from "./results.ts";

/** A bar of the chart. */
export interface ChartBar {
  label: string;
  value: number | null;
  goal: number;
}

/** The ratios charted: the four ratio goals plus the hook overhead as a ratio (1 + pct/100). */
export function chartBars(r: BenchReport): ChartBar[] {
  const ratio = (n: FigureName): ChartBar => ({ label: n, value: r.figures[n].value, goal: GOALS[n].max });
  const pct = r.figures.hook_overhead_cpython_pct.value;
  return [
    {
      label: "CPython + hook / CPython",
      value: pct === null ? null : 1 + pct / 100,
      goal: 1 + GOALS.hook_overhead_cpython_pct.max / 100,
    },
    ratio("debug_vs_cpython_debug"),
    ratio("pymalloc_vs_cpython"),
    ratio("ref_vs_native_deno"),
    ratio("ref_vs_native_bun"),
  ];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Render bars as an SVG document (linear x axis from 0 to the largest value or goal, +10%).
 *
 * @example
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { buildReport } from "./results.ts";
 * import { chartBars, ratioChart } from "./svg.ts";
 * const report = buildReport({ date: "2026-01-01", command: "bun bench", quick: true, filter: null, context: {}, scenarios: [] });
 * writeFileSync("bench/results/latest.svg", ratioChart(chartBars(report), report.date));
 * ```
 */
export function ratioChart(bars: readonly ChartBar[], title: string): string {
  const W = 720, labelW = 230, rowH = 34, top = 40, right = 90;
  const H = top + bars.length * rowH + 30;
  const max = Math.max(1, ...bars.map((b) => Math.max(b.value ?? 0, b.goal))) * 1.1;
  const x = (v: number) => labelW + ((W - labelW - right) * v) / max;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="13">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="10" y="${y + 20}">${esc(b.label)}</text>`);
    if (b.value === null) {
      parts.push(`<text x="${labelW}" y="${y + 20}" fill="#888">not measured</text>`);
    } else {
      const met = b.value <= b.goal;
      parts.push(
        `<rect x="${labelW}" y="${y + 6}" width="${(x(b.value) - labelW).toFixed(1)}" height="20" fill="${
          met ? "#3a9d4a" : "#d0463c"
        }"/>`,
      );
      parts.push(
        `<text x="${(x(b.value) + 6).toFixed(1)}" y="${y + 21}">${b.value.toFixed(3)}x${
          met ? "" : " (missed)"
        }</text>`,
      );
    }
    const gx = x(b.goal).toFixed(1);
    parts.push(
      `<line x1="${gx}" y1="${y + 2}" x2="${gx}" y2="${y + 30}" stroke="black" stroke-dasharray="4 3"/>`,
    );
  });
  const one = x(1).toFixed(1);
  parts.push(
    `<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${H - 24}" stroke="#999" stroke-width="0.5"/>`,
  );
  parts.push(`<text x="${one}" y="${H - 8}" text-anchor="middle" fill="#555">1.0</text>`);
  parts.push(`<text x="${W - 10}" y="${H - 8}" text-anchor="end" fill="#555">dashed tick = goal</text>`);
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}
