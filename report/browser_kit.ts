/**
 * What every browser test of a report page needs: the system's Chromium (found by core/optional.ts), the
 * skip reason when there is none (a test uses `needs("chromium")` in its options, so the skip is counted), and `shot(name, png)`, which keeps a screenshot in report/screenshots/ (git-ignored) named
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
import { locate, reason } from "../core/optional.ts";

const SHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));

/** The Chromium, the skip reason without one, and the screenshot keeper. */
export function browserKit(): {
  chromium: string | null;
  skip: string | false;
  shot(name: string, png: Uint8Array): void;
} {
  const chromium = locate("chromium") ?? null; // on PATH or $CHROMIUM (core/optional.ts)
  const runtime = (globalThis as { Bun?: unknown }).Bun ? "bun" : "deno";
  return {
    chromium,
    // the reason only: a test puts `needs("chromium")` in its own options, which also counts the skip
    skip: reason("chromium") ?? false,
    shot(name, png) {
      mkdirSync(SHOTS, { recursive: true });
      writeFileSync(join(SHOTS, `${runtime}-${name}.png`), png);
    },
  };
}
