/**
 * The bench page in a real browser: the system's headless Chromium (report/chromium.ts) loads pages made
 * by bench/html.ts from fixed reports, and the test asserts the rendered DOM: the load beside each figure,
 * the pass-through hook beside the bare forwarder's floor, a `--quick` page with nothing judged (no red, no
 * "MISSED"), the history from `--compare`, the phone layout of every chart at 390 px (text at least 12 px
 * high, no sideways scrolling), no console errors, no network request. (Beside the code it checks; report/
 * is a leaf library and imports nothing of bench/.) Screenshots go to report/screenshots/ (git-ignored).
 * Without Chromium the test skips with that reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openPage } from "../report/chromium.ts";
import { needs } from "../core/optional.ts";
import { browserKit } from "../report/browser_kit.ts";
import { GOALS } from "./goals.ts";
import { benchHtml } from "./html.ts";
import { buildReport } from "./results.ts";

const { chromium, shot } = browserKit();

test(
  "browser: bench page: goals with load, the hook's floor, quick runs not measured, history, phone width",
  {
    skip: needs("chromium"),
    timeout: 180_000,
  },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-html-"));
    const scenario = (name: string, figures: Record<string, number>, load = [0.5, 1.5]) => ({
      name,
      description: name,
      runtime: "bun" as const,
      params: {},
      seconds: 1,
      mitata: [],
      rows: [{ name: "glibc: time (thread CPU)", median: 12, unit: "ns/op", min: 11, max: 13 }],
      figures,
      notes: [],
      loadavg: { start: [load[0], 1, 1], end: [load[1], 1, 1] },
    });
    const make = (date: string, quick: boolean, hookPct: number) =>
      buildReport({
        date,
        command: quick ? "npx bun bench --quick" : "npx bun bench",
        quick,
        filter: null,
        context: { cpu: "test cpu", cores: 2, loadavg_start: [0.5, 1, 1], loadavg_end: [3.5, 2, 1] },
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
          scenario("cpython_hook", {
            hook_overhead_cpython_pct: hookPct,
            hook_floor_cpython_pct: 0.2,
            hook_overhead_alloc_heavy_pct: 3.6,
            hook_floor_alloc_heavy_pct: 3.1,
          }, [2.25, 3.5]),
        ],
      });
    const report = make("2026-12-03T00:00:00.000Z", false, 0.4);
    const older = make("2026-12-01T00:00:00.000Z", false, 3.6);
    const quick = make("2026-12-02T00:00:00.000Z", true, 5.9);
    const file = join(dir, "bench.html"), quickFile = join(dir, "quick.html");
    writeFileSync(file, benchHtml(report, [quick, older]));
    writeFileSync(quickFile, benchHtml(quick));
    const page = await openPage(chromium!, pathToFileURL(file).href, { width: 1100, height: 1400 });
    try {
      const goals = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#goals figure:first-of-type svg.wide .bv')].map(t => t.textContent)",
      );
      assert.equal(goals.length, 5);
      assert.ok(goals.includes("1.08x · goal ≤ 1x: MISSED · load 0.5→1.5"), goals.join(" | "));
      assert.ok(goals.includes("1.004x · goal ≤ 1.01x: met · load 2.25→3.5"), goals.join(" | "));
      assert.equal(goals.filter((g) => g === "not measured").length, 3, goals.join(" | "));
      assert.match(
        await page.evaluate<string>(
          "document.querySelector('#goals figure:first-of-type details').textContent",
        ),
        /not measured: scenario debug_hooks did not run/,
        "the reason is in the numbers table",
      );
      assert.equal(
        await page.evaluate("document.querySelectorAll('#goals svg.wide rect.bar.missed').length"),
        1,
      );
      // the hook's overhead beside its floor, on the goal's workload and on the allocation-heavy ones
      const hooks = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#hooks figure:first-of-type svg.wide .bar-row title')].map(t => t.textContent)",
      );
      assert.deepEqual(hooks, [
        "pybench mix: pass-through: 0.4% · goal ≤ 1%: met · load 2.25→3.5",
        "pybench mix: bare (floor): 0.2% · load 2.25→3.5",
        "alloc-heavy: pass-through: 3.6% · load 2.25→3.5",
        "alloc-heavy: bare (floor): 3.1% · load 2.25→3.5",
      ]);
      const alloc = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#allocators figure:first-of-type svg.wide .bv')].map(t => t.textContent)",
      );
      assert.deepEqual(alloc, ["7.3 ns/op · load 0.5→1.5", "12 ns/op (11–13) · load 0.5→1.5"]);
      assert.match(
        await page.evaluate<string>("document.getElementById('hooks').textContent"),
        /3\.2 ns\/op/,
      );
      assert.match(
        await page.evaluate<string>("document.getElementById('verdict').textContent"),
        // every goal the report does not measure counts as not measured (3 measured above)
        new RegExp(`^2 goals met, 1 missed, ${Object.keys(GOALS).length - 3} not measured$`),
      );
      assert.match(
        await page.evaluate<string>("document.querySelector('header dl.facts').textContent"),
        /load average \(1, 5, 15 min\)0\.5, 1, 1 at the start, 3\.5, 2, 1 at the end \(2 cores\)/,
      );
      // history (--compare): the goal figures of the three runs, oldest first; the quick run measured nothing
      const hist = await page.evaluate<string[]>(
        "[...document.querySelectorAll('#history figure[data-chart=hook_overhead_cpython_pct] svg.wide .bar-row title')].map(t => t.textContent)",
      );
      assert.equal(hist.length, 3);
      assert.match(hist[0], /^2026-12-01 00:00: 3\.6% · goal ≤ 1%: MISSED/);
      assert.match(hist[1], /^2026-12-02 00:00: not measured: --quick run/);
      assert.match(hist[2], /^2026-12-03 00:00 \(this run\): 0\.4% · goal ≤ 1%: met/);
      shot("bench", await page.screenshot());
      // phone width: the narrow layout of every chart, its text readable, no sideways scrolling
      await page.setViewport(390, 844, true);
      const phone = await page.evaluate<{ wide: number; narrow: number; font: number; scroll: number }>(
        "({ wide: [...document.querySelectorAll('svg.chart.wide')].filter(s => s.getBoundingClientRect().width > 0).length, narrow: [...document.querySelectorAll('svg.chart.narrow')].filter(s => s.getBoundingClientRect().width > 0).length, font: Math.min(...[...document.querySelectorAll('svg.chart.narrow .bv')].map(t => t.getBoundingClientRect().height)), scroll: document.documentElement.scrollWidth })",
      );
      assert.equal(phone.wide, 0);
      assert.ok(phone.narrow >= 6, JSON.stringify(phone));
      assert.ok(phone.font >= 12, `chart text ${phone.font} px high at 390 px`);
      assert.ok(phone.scroll <= 400, `page ${phone.scroll} px wide at 390 px`);
      await page.evaluate("document.getElementById('hooks').scrollIntoView()");
      shot("bench-phone", await page.screenshot());
      assert.deepEqual(page.problems, []);
    } finally {
      await page.close();
    }
    // a --quick run: no goal judged, nothing red
    const q = await openPage(chromium!, pathToFileURL(quickFile).href, { width: 1100, height: 900 });
    try {
      assert.match(
        await q.evaluate<string>("document.getElementById('verdict').textContent"),
        // every figure of the report: the scenarios' own and each goal's (a goal nothing measured included)
        new RegExp(
          `^quick run: nothing measured \\(${
            Object.keys(quick.figures).length
          } figures produced, not judged\\)$`,
        ),
      );
      assert.equal(await q.evaluate("document.querySelectorAll('svg rect.bar').length"), 0, "no bar drawn");
      assert.doesNotMatch(await q.evaluate<string>("document.body.textContent"), /MISSED/);
      assert.match(
        await q.evaluate<string>("document.getElementById('figures').textContent"),
        /not measured \(--quick run: checks the output, measures nothing\)/,
      );
      assert.deepEqual(q.problems, []);
    } finally {
      await q.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
