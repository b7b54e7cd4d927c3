/**
 * What every browser test of a report page needs: the system's Chromium (chromium.ts), the skip reason when
 * there is none, and `shot(name, png)`, which keeps a screenshot in report/screenshots/ (git-ignored) named
 * by runtime. Used by report/browser_test.ts (the conformance page) and bench/html_browser_test.ts.
 *
 * @example
 * ```ts
 * import { browserKit } from "./browser_kit.ts";
 * const { chromium, skip } = browserKit();
 * console.log(chromium ?? skip);
 * ```
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findChromium } from "./chromium.ts";

const SHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

/** The Chromium, the skip reason without one, and the screenshot keeper. */
export function browserKit(): {
  chromium: string | null;
  skip: string | false;
  shot(name: string, png: Uint8Array): void;
} {
  const chromium = findChromium();
  const runtime = (globalThis as { Bun?: unknown }).Bun ? "bun" : "deno";
  return {
    chromium,
    skip: chromium ? false : "no Chromium found (install Debian's chromium or set CHROMIUM=/path/to/chrome)",
    shot(name, png) {
      mkdirSync(SHOTS, { recursive: true });
      writeFileSync(join(SHOTS, `${runtime}-${name}.png`), png);
    },
  };
}
