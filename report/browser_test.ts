/**
 * The conformance report page in a real browser: the system's headless Chromium (report/chromium.ts) loads
 * a page made by `conformance/cli.ts --format html` (run as a user runs it, like the C fixtures' build:
 * report/ imports nothing of the suite) on ref and two broken C fixture allocators (malloc(0) returns NULL;
 * 8-byte alignment), and the test asserts the rendered DOM: one count of failures everywhere, the verdict naming the failing
 * targets, failures grouped by cause with the spec per case, the rerun button's command (and running it),
 * citations opening the shipped text, search, filters and sort in the URL hash restored by a new page,
 * sortable tables, failing targets first at phone width, no console errors, no network request.
 * Screenshots go to report/screenshots/ (git-ignored). Without Chromium the tests skip with that reason.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { runProgram, runScript } from "../core/child.ts";
import type { EmbeddedCause, MatrixSection } from "./types.ts";
import { openPage } from "./chromium.ts";
import { needs } from "../core/optional.ts";
import { browserKit } from "./browser_kit.ts";

const CLI = fileURLToPath(new URL("../conformance/cli.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { chromium, shot } = browserKit();
const runtime = (globalThis as any).Bun ? "bun" : "deno";

/** What the page embeds (the matrix section's JSON). */
type Embedded = MatrixSection & { causes: EmbeddedCause[] };

test(
  "browser: conformance page of broken fixture allocators: verdict, causes, reruns, permalinks, search, sort, phone",
  {
    skip: needs("chromium"),
    timeout: 420_000,
  },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-html-"));
    const fx = fixtures();
    // relative paths, as a user in the repository types them (the rerun commands keep them)
    const zero = `vtable:${relative(ROOT, fx.malloc0_null)}`, align = `vtable:${relative(ROOT, fx.align8)}`;
    try {
      const r = runScript(
        CLI,
        [
          "--target",
          "ref",
          "--target",
          zero,
          "--target",
          align,
          "--filter",
          "^(zero_size|free_null|alignment)/|^realloc/shrink",
          "--format",
          "html",
        ],
        USER,
      );
      assert.equal(r.status, 1, `the fixtures must fail: ${r.stderr.slice(-1500)}`);
      assert.match(
        r.stderr,
        /^conformance: \d+\/\d+ runs in \d+:\d\d · NOT conformant/m,
        "progress goes to stderr",
      );
      assert.match(r.stdout, /^<!doctype html>/);
      assert.doesNotMatch(r.stdout, /(src|href)="(https?:)?\/\//, "no external resource");
      const file = join(dir, "conformance.html");
      writeFileSync(file, r.stdout);
      const url = pathToFileURL(file).href;
      const page = await openPage(chromium!, url, { width: 1280, height: 900 });
      try {
        assert.equal(await page.evaluate("document.documentElement.dataset.ready"), "true");
        const data = await page.evaluate<Embedded>(
          "JSON.parse(document.getElementById('conformance-data').textContent)",
        );
        const bad = data.runs.filter((x) =>
          !x.informational && (x.status === "FAIL" || x.status === "ERROR")
        );
        const info = data.runs.filter((x) =>
          x.informational && (x.status === "FAIL" || x.status === "ERROR")
        );
        assert.ok(bad.length > 20 && info.length > 0, `${bad.length} failing, ${info.length} informational`);

        // the verdict names each failing target with its counts and causes; one count everywhere
        const causesOf = (t: string) => data.causes.filter((c) => !c.informational && c.column === t);
        const nOf = (t: string) => bad.filter((x) => x.column === t).length;
        const verdict = await page.evaluate<string>("document.getElementById('verdict').textContent");
        assert.equal(
          verdict,
          `NOT conformant: ${zero}: ${nOf(zero)} FAIL in ${causesOf(zero).length} causes; ${align}: ${
            nOf(align)
          } FAIL in ${causesOf(align).length} causes`,
        );
        const counts = await page.evaluate<string>(
          "[...document.querySelectorAll('dl.facts dt')].find(d => d.textContent === 'counts').nextElementSibling.textContent",
        );
        assert.match(counts, new RegExp(`FAIL ${bad.length}, ERROR 0,`));
        assert.match(counts, new RegExp(`informational FAIL/ERROR ${info.length} `));
        const strip = await page.evaluate<Record<string, number>>(
          "Object.fromEntries([...document.querySelectorAll('#conformance .counts .count')].map(c => [c.dataset.status, parseInt(c.textContent.replace(/^\\D+/, ''))]))",
        );
        assert.equal(strip.FAIL + strip.ERROR, bad.length);
        assert.equal(strip.INFO, info.length);
        const heading = await page.evaluate<{ text: string; n: number; sum: number }>(
          "({ text: document.getElementById('conformance-causes-title').textContent, n: +document.getElementById('conformance-causes-title').dataset.count, sum: [...document.querySelectorAll('#conformance-causes article.cause')].reduce((a, c) => a + +c.dataset.count, 0) })",
        );
        assert.equal(heading.n, bad.length);
        assert.equal(heading.sum, bad.length, "every failing run is in exactly one cause");
        assert.match(
          heading.text,
          new RegExp(
            `^Failures by cause: ${bad.length} runs \\(FAIL ${bad.length}, ERROR 0\\) in \\d+ causes$`,
          ),
        );
        assert.equal(
          await page.evaluate("document.querySelectorAll('#conformance-causes article.cause.s-INFO').length"),
          0,
          "informational results are never listed as failures",
        );
        assert.equal(
          await page.evaluate("+document.getElementById('conformance-info-title').dataset.count"),
          info.length,
        );

        // grouping: malloc(0) returning NULL is one cause across cases, domains and profiles
        const c1 = await page.evaluate<{ id: string; text: string; hits: string; n: number; column: string }>(
          "(() => { const a = document.querySelector('#conformance-causes article.cause'); return { id: a.dataset.cause, column: a.dataset.column, text: a.querySelector('.ctext').textContent, hits: a.querySelector('.hits').textContent, n: +a.dataset.count }; })()",
        );
        assert.equal(c1.column, zero);
        assert.equal(c1.text, "malloc(0) returned NULL, expected a non-NULL pointer");
        assert.match(c1.hits, /^[2-9] cases: .* · domains RAW, MEM, OBJ · profiles cpython, pep445-2013$/);
        const matrixCols = await page.evaluate<string[]>(
          "[...document.querySelectorAll('#conformance-matrix thead th')].slice(1).map(t => t.textContent)",
        );
        assert.deepEqual(matrixCols, ["ref", zero, align], "the columns as given on a wide screen");
        await page.evaluate(
          `document.querySelector('#conformance-causes article.cause[data-cause="${c1.id}"] button.toggle').click()`,
        );
        const opened = await page.evaluate<
          { cases: { item: string; specs: number; runs: number }[]; hash: string }
        >(
          `({ hash: location.hash, cases: [...document.querySelectorAll('#conformance-causes article.cause[data-cause="${c1.id}"] .case')].map(c => ({ item: c.dataset.item, specs: c.querySelectorAll(':scope > .spec').length, runs: c.querySelectorAll('.crun').length })) })`,
        );
        assert.equal(opened.hash, `#conformance.cause=${c1.id}`);
        assert.ok(opened.cases.length >= 2, JSON.stringify(opened.cases));
        assert.ok(opened.cases.every((c) => c.specs === 1), "the spec quote belongs to each case");
        assert.equal(opened.cases.reduce((a, c) => a + c.runs, 0), c1.n);

        await page.evaluate(
          `document.querySelector('#conformance-causes article.cause[data-cause="${c1.id}"]').scrollIntoView()`,
        );
        shot("conformance-cause", await page.screenshot());
        // the rerun button: the exact command of that run, handed to the clipboard
        const btn = await page.evaluate<{ cmd: string; code: string; item: string; meta: string }>(
          `(() => { const r = document.querySelector('#conformance-causes article.cause[data-cause="${c1.id}"] .crun'); return { cmd: r.querySelector('button.copy').dataset.command, code: r.querySelector('code.cmd').textContent, item: r.dataset.item, meta: r.querySelector('.meta').textContent }; })()`,
        );
        const [, domain, profile] = btn.meta.match(/domain (\w+) · profile ([\w-]+)/)!;
        const want = `${
          runtime === "bun" ? "npx bun run conformance" : "npx deno task conformance"
        } --target ${zero} --filter '^${btn.item}$' --domain ${domain} --profile ${profile}`;
        assert.equal(btn.cmd, want);
        assert.equal(btn.code, want);
        const copied = await page.evaluate<{ text: string; label: string }>(
          `new Promise((resolve) => { let text = null; navigator.clipboard.writeText = (t) => { text = t; return Promise.resolve(); }; const b = document.querySelector('#conformance-causes article.cause[data-cause="${c1.id}"] .crun button.copy'); b.click(); setTimeout(() => resolve({ text, label: b.textContent }), 50); })`,
        );
        assert.deepEqual(copied, { text: want, label: "copied" });
        // ... and that command reruns that one run with the same verdict
        const again = runProgram("sh", ["-c", want], USER);
        assert.equal(again.status, 1, again.stderr.slice(-1000));
        assert.match(
          again.stdout,
          new RegExp(`^1 runs in [\\d.]+ s: NOT conformant: ${escapeRe(zero)}: 1 FAIL in 1 cause$`, "m"),
        );
        assert.match(again.stdout, /: FAIL x1: malloc\(0\) returned NULL, expected a non-NULL pointer$/m);

        // citations open the cited part of the shipped text in the page, the view's hash stays
        const cite = await page.evaluate<{ href: string; visible: boolean; text: string; hash: string }>(
          `(() => { const a = document.querySelector('#conformance-causes article.cause[data-cause="${c1.id}"] a.cite'); a.click(); const t = document.getElementById(a.dataset.cite); return { href: a.getAttribute('href'), visible: t.offsetParent !== null, text: t.textContent, hash: location.hash }; })()`,
        );
        assert.match(cite.href, /^#spec-/);
        assert.ok(cite.visible, "the cited part is shown");
        assert.equal(cite.hash, `#conformance.cause=${c1.id}`);
        shot("conformance-citation", await page.screenshot());

        // search over case ids and messages, status filter, sort by time: all in the hash
        const setFilter = (key: string, value: string) =>
          page.evaluate(
            `(() => { const s = document.querySelector('#conformance [data-filter="${key}"]'); s.value = ${
              JSON.stringify(value)
            }; s.dispatchEvent(new Event(s.tagName === 'INPUT' ? 'input' : 'change')); })()`,
          );
        await setFilter("q", "aligned");
        const matching = data.runs.filter((x) =>
          (x.item + "\n" + x.message).toLowerCase().includes("aligned")
        );
        assert.equal(
          await page.evaluate("parseInt(document.querySelector('#conformance .counts strong').textContent)"),
          matching.length,
        );
        const searched = await page.evaluate<string[]>(
          "[...document.querySelectorAll('#conformance-causes article.cause')].map(a => a.dataset.column)",
        );
        assert.ok(searched.length >= 1 && searched.every((c) => c === align), searched.join());
        await setFilter("q", "malloc(0)");
        await setFilter("status", "FAIL");
        await setFilter("f:profile", "cpython");
        await page.evaluate(
          `document.querySelector('#conformance-matrix button.cell[data-row="zero-size"][data-column="${zero}"]').click()`,
        );
        await setFilter("sort", "time");
        const view = await page.evaluate<
          { hash: string; title: string; ms: number[]; counts: string; causes: string[] }
        >(
          "({ hash: location.hash, title: document.getElementById('conformance-drill-title').textContent, ms: [...document.querySelectorAll('#conformance-drill article')].map(a => +a.dataset.ms), counts: document.querySelector('#conformance .counts').textContent, causes: [...document.querySelectorAll('#conformance-causes article.cause')].map(a => a.dataset.cause) })",
        );
        assert.deepEqual(view.ms, [...view.ms].sort((a, b) => b - a), "sorted by time, slowest first");
        assert.ok(view.ms.length > 0);
        for (
          const part of [
            "conformance.q=malloc(0)",
            "conformance.status=FAIL",
            "conformance.f:profile=cpython",
            "conformance.sort=time",
          ]
        ) {
          assert.ok(view.hash.includes(part), `${part} in ${view.hash}`);
        }
        assert.ok(view.hash.includes(`conformance.open=zero-size|${zero}`), view.hash);
        // the permalink: the same view in a new page
        const again2 = await openPage(chromium!, url + view.hash, { width: 1280, height: 900 });
        try {
          const restored = await again2.evaluate<typeof view & { q: string; status: string }>(
            "({ hash: location.hash, title: document.getElementById('conformance-drill-title').textContent, ms: [...document.querySelectorAll('#conformance-drill article')].map(a => +a.dataset.ms), counts: document.querySelector('#conformance .counts').textContent, causes: [...document.querySelectorAll('#conformance-causes article.cause')].map(a => a.dataset.cause), q: document.getElementById('conformance-search').value, status: document.querySelector('#conformance select[data-filter=status]').value })",
          );
          assert.deepEqual(restored, { ...view, q: "malloc(0)", status: "FAIL" });
          assert.deepEqual(again2.problems, []);
        } finally {
          await again2.close();
        }

        // sortable tables: counts per target by FAIL, most first
        await page.evaluate(
          "[...document.querySelectorAll('#targets thead button.sort')].find(b => b.textContent === 'FAIL').click()",
        );
        assert.deepEqual(
          await page.evaluate(
            "[...document.querySelectorAll('#targets tbody tr')].map(r => r.cells[0].textContent)",
          ),
          [zero, align, "ref"],
        );

        // a screenshot of the whole default view at desktop width
        for (const k of ["q", "status", "f:profile", "sort"]) await setFilter(k, "");
        await page.evaluate(
          "document.querySelector('#conformance-drill button.close').click(); document.querySelector('#conformance-causes button.toggle[aria-expanded=true]').click(); window.scrollTo(0, 0)",
        );
        assert.equal(await page.evaluate("location.hash"), "");
        shot("conformance-desktop", await page.screenshot());

        // phone width: no sideways scrolling of the page, the failing targets first in the matrix
        await page.setViewport(390, 844, true);
        assert.ok(
          await page.evaluate("document.documentElement.scrollWidth <= 400"),
          "at phone width only the matrix box scrolls sideways, not the page",
        );
        assert.deepEqual(
          await page.evaluate<string[]>(
            "[...document.querySelectorAll('#conformance-matrix thead th')].slice(1).map(t => t.textContent)",
          ),
          [zero, align, "ref"],
          "failing targets first at phone width",
        );
        assert.ok(
          await page.evaluate(
            "(() => { const th = document.querySelector('#conformance-matrix thead th:nth-child(2)').getBoundingClientRect(); return th.right <= 390; })()",
          ),
          "the first failing target's column is on screen",
        );
        await page.evaluate("document.getElementById('conformance').scrollIntoView()");
        shot("conformance-phone", await page.screenshot());
        assert.deepEqual(page.problems, [], "no console error, exception or network request");
      } finally {
        await page.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

/** Run as a user in the repository: their environment, not the installed launcher's; no time limit. */
const USER = { cwd: ROOT, inherit: true, env: { ALLOCSPEC_COMMAND: "" }, timeoutMs: 0 };

/** The C fixtures, built by their own script as a user would (`name path` lines). */
function fixtures(): Record<string, string> {
  const r = runScript(join(ROOT, "conformance", "fixtures", "c", "build.ts"), [], USER);
  assert.equal(r.status, 0, r.stderr.slice(-1500));
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(" ") as [string, string]));
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
