/**
 * The conformance report page in a real browser: the system's headless Chromium (report/chromium.ts) loads a
 * page made by `conformance/cli.ts --format html` (run as a user runs it: report/ imports nothing of the
 * conformance suite) on ref and a broken mutant, and the test asserts the rendered DOM: matrix cells and
 * their status words, a drill-down opened by a click, filter effects, no console errors, no network request.
 * The bench page's test is bench/html_browser_test.ts. Screenshots go to report/screenshots/ (git-ignored).
 * Without Chromium the tests skip with that reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runScript } from "../core/child.ts";
import { openPage } from "./chromium.ts";
import { browserKit } from "./browser_kit.ts";

const CLI = fileURLToPath(new URL("../conformance/cli.ts", import.meta.url));
const { chromium, skip, shot } = browserKit();

test("browser: conformance page: matrix, drill-down by click, filters, no console errors", {
  skip,
  timeout: 240_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-html-"));
  try {
    const r = runScript(CLI, [
      "--target",
      "ref",
      "--target",
      "mutant:realloc_zero_frees",
      "--filter",
      "^(zero_size|free_null|realloc)/",
      "--format",
      "html",
    ], { inherit: true, timeoutMs: 0 });
    assert.equal(r.status, 1, `the mutant must fail: ${r.stderr.slice(-1500)}`);
    assert.match(r.stderr, /progress: \d+\/\d+ runs/, "progress goes to stderr");
    assert.match(r.stdout, /^<!doctype html>/);
    assert.doesNotMatch(r.stdout, /(src|href)="(https?:)?\/\//, "no external resource");
    const file = join(dir, "conformance.html");
    writeFileSync(file, r.stdout);
    const page = await openPage(chromium!, pathToFileURL(file).href, { width: 1280, height: 900 });
    try {
      assert.equal(await page.evaluate("document.documentElement.dataset.ready"), "true");
      assert.match(
        await page.evaluate<string>("document.getElementById('verdict').textContent"),
        /NOT conformant/,
      );
      const cols = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#conformance-matrix thead th')].slice(1).map(t => t.textContent)",
      );
      assert.deepEqual(cols, ["ref", "mutant:realloc_zero_frees"]);
      const rows = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#conformance-matrix tbody tr')].map(t => t.dataset.row)",
      );
      assert.ok(
        rows.includes("zero-size") && rows.includes("realloc") && rows.includes("free-null"),
        rows.join(),
      );
      const cells = await page.evaluate<
        { row: string; col: string; status: string; word: string; n: number }[]
      >(
        "[...document.querySelectorAll('#conformance-matrix button.cell')].map(b => ({ row: b.dataset.row, col: b.dataset.column, status: b.dataset.status, word: b.querySelector('.w').textContent, n: +b.dataset.count }))",
      );
      assert.equal(cells.length, rows.length * 2);
      for (const c of cells) {
        assert.equal(c.word, c.status === "NONE" ? "—" : c.status, "the status word is written");
      }
      assert.ok(
        cells.filter((c) => c.col === "ref").every((c) => c.status === "PASS" || c.status === "NONE"),
      );
      const bad = cells.find((c) => c.col === "mutant:realloc_zero_frees" && c.row === "zero-size");
      assert.equal(bad?.status, "FAIL");

      // drill-down: click the failing cell
      await page.evaluate(
        'document.querySelector(\'#conformance-matrix button.cell[data-row="zero-size"][data-column="mutant:realloc_zero_frees"]\').click()',
      );
      const drill = await page.evaluate<{ title: string; runs: { status: string; text: string }[] }>(
        "({ title: document.getElementById('conformance-drill-title').textContent, runs: [...document.querySelectorAll('#conformance-drill article')].map(a => ({ status: a.dataset.status, text: a.textContent })) })",
      );
      assert.match(drill.title, /^zero-size on mutant:realloc_zero_frees: \d+ runs/);
      assert.equal(drill.runs.length, bad!.n);
      assert.equal(drill.runs[0].status, "FAIL", "failures first");
      assert.match(drill.runs[0].text, /realloc_to_zero_non_null/);
      assert.match(drill.runs[0].text, /domain (RAW|MEM|OBJ) · profile (cpython|pep445-2013)/);
      assert.match(drill.runs[0].text, /\d+(\.\d+)? ms/);
      assert.match(drill.runs[0].text, /spec /, "spec section and quote");
      assert.ok(
        await page.evaluate(
          "document.querySelector('#conformance-drill article blockquote').textContent.length > 10",
        ),
      );
      assert.match(
        await page.evaluate<string>("document.querySelector('#conformance-drill article .desc').textContent"),
        /realloc/,
        "the case's description",
      );
      shot("conformance-drill", await page.screenshot());

      // filters: status FAIL keeps only cells with failures; target filter keeps one column; profile halves
      const total = await page.evaluate<string>(
        "document.querySelector('#conformance .counts strong').textContent",
      );
      const setFilter = (key: string, value: string) =>
        page.evaluate(
          `(() => { const s = document.querySelector('#conformance select[data-filter="${key}"]'); s.value = ${
            JSON.stringify(value)
          }; s.dispatchEvent(new Event('change')); })()`,
        );
      await setFilter("status", "FAIL");
      const failCells = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#conformance-matrix button.cell')].map(b => b.dataset.status)",
      );
      assert.ok(failCells.includes("FAIL"));
      assert.ok(failCells.every((s) => s === "FAIL" || s === "NONE"), failCells.join());
      await setFilter("status", "");
      await setFilter("column", "ref");
      assert.equal(
        await page.evaluate("document.querySelectorAll('#conformance-matrix thead th').length"),
        2,
      );
      await setFilter("column", "");
      await setFilter("f:profile", "cpython");
      const perProfile = await page.evaluate<string>(
        "document.querySelector('#conformance .counts strong').textContent",
      );
      assert.ok(
        parseInt(perProfile) < parseInt(total) && parseInt(perProfile) > 0,
        `${perProfile} vs ${total}`,
      );
      await setFilter("row", "realloc");
      assert.deepEqual(
        await page.evaluate(
          "[...document.querySelectorAll('#conformance-matrix tbody tr')].map(t => t.dataset.row)",
        ),
        ["realloc"],
      );
      await setFilter("row", "");
      await setFilter("f:profile", "");
      await page.setViewport(390, 844, true);
      assert.ok(
        await page.evaluate("document.documentElement.scrollWidth <= 400"),
        "at phone width only the matrix box scrolls sideways, not the page",
      );
      shot("conformance-phone", await page.screenshot());
      assert.deepEqual(page.problems, [], "no console error, exception or network request");
    } finally {
      await page.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
