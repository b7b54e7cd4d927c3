/**
 * `renderPage(page)`: one self-contained HTML document (inline CSS, JS and SVG; no network) from a
 * {@link Page}. Sections render in order; a matrix section embeds its runs as JSON and is drawn by the
 * inline script, so filters and the drill-down need no server. Charts and tables are static HTML/SVG.
 *
 * @example
 * ```ts
 * import { renderPage } from "./page.ts";
 * const html = renderPage({
 *   title: "demo",
 *   header: { verdict: { ok: null, text: "measured" }, command: "allocspec bench", date: "2026-12-01T00:00:00Z" },
 *   sections: [{ kind: "bars", id: "r", title: "ratios", charts: [{ title: "x", unit: "x", bars: [{ label: "a", value: 1.2, goal: 1 }] }] }],
 * });
 * ```
 * @module
 */
import type {
  BarsSection,
  EmbeddedCause,
  MatrixSection,
  Page,
  PageHeader,
  Section,
  SourcesSection,
  TableSection,
  TextSection,
} from "./types.ts";
import { groupByCause } from "./causes.ts";
import { esc, scriptJson } from "./escape.ts";
import { barChartSvg, barText } from "./bars.ts";
import { PAGE_CSS } from "./style.ts";
import { PAGE_JS } from "./client.ts";

function header(h: PageHeader, title: string): string {
  const cls = h.verdict.ok === null ? "neutral" : h.verdict.ok ? "ok" : "bad";
  const facts: [string, string][] = [
    ["command", h.command],
    ["date", h.date],
    ...Object.entries(h.versions ?? {}).map(([k, v]) => [k, v] as [string, string]),
    ...Object.entries(h.facts ?? {}),
  ];
  return `<header><h1>${esc(title)}</h1>
<p>verdict: <span class="verdict ${cls}" id="verdict">${esc(h.verdict.text)}</span></p>
<dl class="facts">${
    facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd${k === "command" ? ' class="mono"' : ""}>${esc(v)}</dd>`)
      .join("")
  }</dl></header>`;
}

/** FAIL/ERROR runs grouped by cause (report/causes.ts), normative and informational apart. */
export function matrixCauses(s: MatrixSection): EmbeddedCause[] {
  const bad = s.runs.map((r, i) => ({ r, i })).filter(({ r }) => r.status === "FAIL" || r.status === "ERROR");
  const out: EmbeddedCause[] = [];
  for (const informational of [false, true]) {
    const causes = groupByCause(
      bad.filter(({ r }) => !!r.informational === informational),
      ({ r }) => ({ column: r.column, status: r.status, message: r.message }),
    );
    for (const c of causes) {
      out.push({
        id: `${informational ? "i" : ""}${c.id}`,
        column: c.column,
        status: c.status,
        text: c.text,
        informational,
        runs: c.runs.map(({ i }) => i),
      });
    }
  }
  return out;
}

function matrix(s: MatrixSection): string {
  return `<div class="matrix" data-kind="matrix" data-section="${esc(s.id)}"></div>
<noscript><p>The matrix needs JavaScript; the tables below list the same counts.</p></noscript>
<script type="application/json" id="${esc(s.id)}-data">${
    scriptJson({ ...s, causes: matrixCauses(s) })
  }</script>`;
}

function sources(s: SourcesSection): string {
  return (s.note ? `<p class="note">${esc(s.note)}</p>` : "") +
    s.files.map((f) =>
      `<details class="source" data-file="${esc(f.file)}"><summary>${esc(f.title)} <code>${
        esc(f.file)
      }</code> (${f.parts.length} cited part${f.parts.length === 1 ? "" : "s"})</summary>${
        f.parts.map((p) =>
          `<article class="part" id="${esc(p.id)}"><h4>${esc(p.heading)}</h4><pre>${
            esc(p.text)
          }</pre></article>`
        ).join("")
      }</details>`
    ).join("\n");
}

function bars(s: BarsSection): string {
  return (s.note ? `<p class="note">${esc(s.note)}</p>` : "") +
    s.charts.map((c) =>
      `<figure data-chart="${esc(c.title)}"><figcaption>${esc(c.title)}</figcaption>${
        c.note ? `<p class="note">${esc(c.note)}</p>` : ""
      }${barChartSvg(c, "wide")}${
        barChartSvg(c, "narrow")
      }<details><summary>numbers</summary><table class="plain"><thead><tr><th>bar</th><th>value</th></tr></thead><tbody>${
        c.bars.map((b) => `<tr><td>${esc(b.label)}</td><td>${esc(barText(b, c.unit))}</td></tr>`).join("")
      }</tbody></table></details></figure>`
    ).join("\n");
}

function table(s: TableSection): string {
  const cell = (v: string | number) =>
    typeof v === "number" ? `<td class="num">${esc(v)}</td>` : `<td>${esc(v)}</td>`;
  return (s.note ? `<p class="note">${esc(s.note)}</p>` : "") +
    `<div class="scroll"><table class="plain sortable"><thead><tr>${
      s.head.map((h) => `<th scope="col"><button type="button" class="sort">${esc(h)}</button></th>`).join("")
    }</tr></thead><tbody>${
      s.rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("")
    }</tbody></table></div>`;
}

function text(s: TextSection): string {
  return s.paragraphs.map((p) => `<p>${esc(p)}</p>`).join("\n");
}

function section(s: Section): string {
  const body = s.kind === "matrix"
    ? matrix(s)
    : s.kind === "bars"
    ? bars(s)
    : s.kind === "table"
    ? table(s)
    : s.kind === "sources"
    ? sources(s)
    : text(s);
  return `<section id="${esc(s.id)}" data-kind="${s.kind}"><h2>${esc(s.title)}</h2>\n${body}</section>`;
}

/** The whole document. Section ids must be unique (a duplicate throws). */
export function renderPage(page: Page): string {
  const ids = new Set<string>();
  for (const s of page.sections) {
    if (ids.has(s.id)) throw new Error(`report: duplicate section id '${s.id}'`);
    ids.add(s.id);
  }
  const toc = page.sections.length > 1
    ? `<nav class="toc">${
      page.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("")
    }</nav>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(page.title)}</title>
<style>${PAGE_CSS}</style></head>
<body><main>
${header(page.header, page.title)}
${toc}
${page.sections.map(section).join("\n")}
</main>
<script>${PAGE_JS}</script>
</body></html>
`;
}
