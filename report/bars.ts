/**
 * Horizontal bar charts as inline SVG (no script, no external font): one row per bar, the value written
 * beside the bar with its unit (and spread, and a note such as the load while it was measured), the goal
 * as a dashed tick with "goal met"/"goal missed" in words, and an optional reference line (1.0 for
 * ratios). Two layouts of the same chart: "wide" (label | bar | text on one row) and "narrow" (the label
 * on its own line, the bar across the width, the text under it), which the page shows at phone width so
 * the text stays readable at 390 px. The SVG scales to its box (viewBox).
 *
 * @example
 * ```ts
 * import { barChartSvg } from "./bars.ts";
 * const svg = barChartSvg({ title: "ratio", unit: "x", reference: 1, bars: [{ label: "a", value: 0.9, goal: 1 }] });
 * ```
 * @module
 */
import type { Bar, BarChart } from "./types.ts";
import { esc } from "./escape.ts";

/** Four significant digits, no exponent, no trailing zeros: "1.003", "7.29", "12.1", "1234". */
export function formatNumber(v: number): string {
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  return String(Number(v.toPrecision(4)));
}

/** Whether a bar meets its goal (undefined without a goal or a value). */
export function goalMet(b: Bar): boolean | undefined {
  if (b.goal === undefined || b.value === null) return undefined;
  return (b.goalKind ?? "max") === "max" ? b.value <= b.goal : b.value >= b.goal;
}

/** The text written beside a bar. */
export function barText(b: Bar, unit: string): string {
  if (b.value === null) {
    return `not measured${b.missing ? `: ${b.missing}` : ""}${b.note ? ` · ${b.note}` : ""}`;
  }
  const u = unit === "%" || unit === "x" ? unit : ` ${unit}`;
  let t = `${formatNumber(b.value)}${u}`;
  if (b.spread) t += ` (${formatNumber(b.spread[0])}–${formatNumber(b.spread[1])})`;
  const met = goalMet(b);
  if (met !== undefined) {
    t += ` · goal ${(b.goalKind ?? "max") === "max" ? "≤" : "≥"} ${formatNumber(b.goal!)}${u}: ${
      met ? "met" : "MISSED"
    }`;
  }
  return b.note ? `${t} · ${b.note}` : t;
}

/** Renders one chart as an `<svg>` element (to be placed inside a `<figure>`), in the given layout. */
export function barChartSvg(c: BarChart, layout: "wide" | "narrow" = "wide"): string {
  const narrow = layout === "narrow";
  // wide: label | bar | text on one 30-unit row; narrow: label line, bar line, text line (52 units)
  const W = narrow ? 360 : 800, labelW = narrow ? 0 : 220, textW = narrow ? 0 : 330;
  const rowH = narrow ? 54 : 30, top = 8, barY = narrow ? 18 : 6, barH = narrow ? 14 : 18;
  const plotX = narrow ? 4 : labelW, plotW = narrow ? W - 8 : W - labelW - textW;
  const H = top + c.bars.length * rowH + 22;
  const vals = c.bars.flatMap((b) => [b.value ?? 0, b.goal ?? 0, b.spread?.[1] ?? 0, c.reference ?? 0]);
  const max = Math.max(...vals.map((v) => Math.abs(v)), 1e-9) * 1.05;
  const min = Math.min(0, ...vals);
  const x = (v: number) => plotX + (plotW * (v - min)) / (max - min);
  const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + "…" : s);
  const p: string[] = [];
  p.push(
    `<svg class="chart ${layout}" role="img" aria-label="${
      esc(c.title)
    }" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">`,
  );
  c.bars.forEach((b, i) => {
    const y = top + i * rowH;
    p.push(`<g class="bar-row"><title>${esc(b.label)}: ${esc(barText(b, c.unit))}</title>`);
    p.push(
      narrow
        ? `<text x="4" y="${y + 13}" class="bl">${esc(cut(b.label, 52))}</text>`
        : `<text x="${labelW - 8}" y="${y + 19}" text-anchor="end" class="bl">${
          esc(cut(b.label, 30))
        }</text>`,
    );
    if (b.value !== null) {
      const met = goalMet(b);
      const cls = met === undefined ? "bar" : met ? "bar met" : "bar missed";
      const x0 = x(Math.min(0, b.value)), x1 = x(Math.max(0, b.value));
      p.push(
        `<rect class="${cls}" x="${x0.toFixed(1)}" y="${y + barY}" width="${
          Math.max(1, x1 - x0).toFixed(1)
        }" height="${barH}"/>`,
      );
      if (b.spread) {
        const [lo, hi] = b.spread.map(x);
        const wy = y + barY + barH / 2;
        p.push(`<line class="whisker" x1="${lo.toFixed(1)}" x2="${hi.toFixed(1)}" y1="${wy}" y2="${wy}"/>`);
      }
    }
    if (b.goal !== undefined) {
      const gx = x(b.goal).toFixed(1);
      p.push(`<line class="goal" x1="${gx}" x2="${gx}" y1="${y + barY - 4}" y2="${y + barY + barH + 4}"/>`);
    }
    // the full text (a missing value's reason) is in the <title> and in the "numbers" table under the chart
    const shown = b.value === null ? `not measured${b.note ? ` · ${b.note}` : ""}` : barText(b, c.unit);
    p.push(
      narrow
        ? `<text x="4" y="${y + barY + barH + 15}" class="bv${b.value === null ? " nm" : ""}">${
          esc(cut(shown, 56))
        }</text></g>`
        : `<text x="${W - textW + 8}" y="${y + 19}" class="bv${b.value === null ? " nm" : ""}">${
          esc(cut(shown, 52))
        }</text></g>`,
    );
  });
  if (c.reference !== undefined) {
    const rx = x(c.reference).toFixed(1);
    p.push(`<line class="ref" x1="${rx}" x2="${rx}" y1="${top}" y2="${H - 18}"/>`);
    p.push(
      `<text x="${rx}" y="${H - 5}" text-anchor="middle" class="axis">${formatNumber(c.reference)}</text>`,
    );
  }
  p.push(`<text x="${plotX}" y="${H - 5}" class="axis">0</text>`);
  p.push(`</svg>`);
  return p.join("");
}
