/**
 * The bench page in a real browser: the system's headless Chromium (report/chromium.ts) loads a page made by
 * bench/html.ts from a fixed report, and the test asserts the rendered DOM: goal bars with their numbers
 * and goal words, the allocator charts, no console errors, no network request. (Beside the code it checks;
 * report/ is a leaf library and imports nothing of bench/.) Screenshots go to report/screenshots/
 * (git-ignored). Without Chromium the test skips with that reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openPage } from "../report/chromium.ts";
import { browserKit } from "../report/browser_kit.ts";
import { benchHtml } from "./html.ts";
import { buildReport } from "./results.ts";

const { chromium, skip, shot } = browserKit();

test("browser: bench page: goal bars with numbers and goal words, allocator charts, no console errors", {
  skip,
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-html-"));
  const scenario = (name: string, figures: Record<string, number>) => ({
    name,
    description: name,
    runtime: "bun" as const,
    params: {},
    seconds: 1,
    mitata: [],
    rows: [{ name: "glibc: time (thread CPU)", median: 12, unit: "ns/op", min: 11, max: 13 }],
    figures,
    notes: [],
  });
  const report = buildReport({
    date: "2026-12-01T00:00:00.000Z",
    command: "npx bun bench",
    quick: false,
    filter: null,
    context: { cpu: "test cpu", cores: 2 },
    scenarios: [
      scenario("pymalloc", {
        pymalloc_vs_cpython: 1.08,
        pymalloc_ns_per_op_native_pymalloc: 7.3,
        pymalloc_ns_per_op_glibc: 12,
        pymalloc_ratio_native_pymalloc: 1.08,
        pymalloc_ratio_glibc: 1.65,
        pymalloc_fragmentation_native_pymalloc: 1.2,
        pymalloc_fragmentation_glibc: 1.5,
      }),
      scenario("indirection", {
        hook_added_ns_per_op: 1.11,
        indirection_workload_added_ns_per_op_3hooks: 3.2,
      }),
    ],
  });
  const file = join(dir, "bench.html");
  writeFileSync(file, benchHtml(report));
  const page = await openPage(chromium!, pathToFileURL(file).href, { width: 1100, height: 1400 });
  try {
    const goals = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#goals figure:first-of-type svg .bv')].map(t => t.textContent)",
    );
    assert.equal(goals.length, 5);
    assert.ok(goals.includes("1.08x · goal ≤ 1x: MISSED"), goals.join(" | "));
    assert.equal(goals.filter((g) => g === "not measured").length, 4, goals.join(" | "));
    assert.match(
      await page.evaluate<string>(
        "document.querySelector('#goals figure:first-of-type details').textContent",
      ),
      /not measured: scenario cpython_hook did not run/,
      "the reason is in the numbers table",
    );
    assert.equal(await page.evaluate("document.querySelectorAll('#goals svg rect.bar.missed').length"), 1);
    const alloc = await page.evaluate<string[]>(
      "[...document.querySelectorAll('#allocators figure:first-of-type svg .bv')].map(t => t.textContent)",
    );
    assert.deepEqual(alloc, ["7.3 ns/op", "12 ns/op (11–13)"]);
    assert.match(await page.evaluate<string>("document.getElementById('hooks').textContent"), /3\.2 ns\/op/);
    assert.match(
      await page.evaluate<string>("document.getElementById('verdict').textContent"),
      /1 goals met, 1 missed/,
    );
    shot("bench", await page.screenshot());
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
