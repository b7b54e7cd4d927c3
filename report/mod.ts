/**
 * report/: one self-contained HTML page (inline CSS, JS, SVG; no network) built from plain data.
 * Producers turn their results into {@link Section}s (types.ts) and call {@link renderPage}:
 * conformance/report/html.ts (matrix), bench/html.ts (charts). `chromium.ts` drives the system's headless
 * Chromium over the DevTools protocol for the browser tests and screenshots.
 *
 * @example
 * ```ts
 * import { renderPage } from "./mod.ts";
 * const html = renderPage({
 *   title: "t",
 *   header: { verdict: { ok: true, text: "ok" }, command: "x", date: "2026-12-01" },
 *   sections: [],
 * });
 * ```
 * @module
 */
export * from "./types.ts";
export { renderPage } from "./page.ts";
export { barChartSvg, barText, formatNumber, goalMet } from "./bars.ts";
export { esc, scriptJson } from "./escape.ts";
