/**
 * Screenshot of a report page with the system's headless Chromium (report/chromium.ts):
 *
 * ```sh
 * npx deno task conformance --format html > conformance.html
 * npx bun report/screenshot.ts conformance.html report/screenshots/conformance.png [--width 1280] [--full]
 * ```
 *
 * Prints console errors of the page, if any, and exits 1 then; 2 for bad usage or without Chromium.
 *
 * @example
 * ```ts
 * import { screenshot } from "./screenshot.ts";
 * // await screenshot("conformance.html", "conformance.png", { width: 1280, full: false });
 * ```
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { findChromium, openPage, type PageProblem } from "./chromium.ts";

/** Writes a PNG of `html` to `png`; returns the page's console errors. */
export async function screenshot(
  html: string,
  png: string,
  o: { width: number; height?: number; full?: boolean },
): Promise<PageProblem[]> {
  const exe = findChromium();
  if (!exe) throw new Error("no Chromium found: install Debian's chromium or set CHROMIUM=/path/to/chrome");
  const page = await openPage(exe, pathToFileURL(resolve(html)).href, {
    width: o.width,
    height: o.height ?? 900,
    mobile: o.width < 600,
  });
  try {
    mkdirSync(dirname(resolve(png)), { recursive: true });
    writeFileSync(png, await page.screenshot(o.full ?? false));
    return page.problems;
  } finally {
    await page.close();
  }
}

if (import.meta.main) {
  let v;
  try {
    v = parseArgs({
      allowPositionals: true,
      options: { width: { type: "string", default: "1280" }, full: { type: "boolean", default: false } },
    });
  } catch (e) {
    console.error(`screenshot: ${(e as Error).message}`);
    process.exit(2);
  }
  const [html, png] = v.positionals;
  const width = Number(v.values.width);
  if (!html || !png || v.positionals.length > 2 || !(width >= 200)) {
    console.error("usage: report/screenshot.ts PAGE.html OUT.png [--width PX] [--full]");
    process.exit(2);
  }
  try {
    const problems = await screenshot(html, png, { width, full: v.values.full });
    for (const p of problems) console.error(`page ${p.kind}: ${p.text}`);
    console.error(`wrote ${png}`);
    process.exit(problems.length ? 1 : 0);
  } catch (e) {
    console.error(`screenshot: ${(e as Error).message.split("\n")[0]}`);
    process.exit(2);
  }
}
