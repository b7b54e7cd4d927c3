import { test } from "node:test";
import assert from "node:assert/strict";
import { barText, formatNumber, goalMet, renderPage } from "./mod.ts";
import type { Page } from "./mod.ts";

const page = (sections: Page["sections"]): Page => ({
  title: "t <x>",
  header: {
    verdict: { ok: false, text: "bad & worse" },
    command: "allocspec conformance --target 'a b'",
    date: "d",
  },
  sections,
});

test("page: one document, text escaped, matrix data embedded safely, no external resource", () => {
  const html = renderPage(page([{
    kind: "matrix",
    id: "m",
    title: "M",
    rowLabel: "feature",
    columnLabel: "target",
    items: { "a/b": { spec: { section: "§1", quote: "</script><b>x</b>" } } },
    runs: [{ item: "a/b", rows: ["f"], column: "t", status: "FAIL", message: "<img src=x>", fields: {} }],
  }]));
  assert.match(html, /^<!doctype html>/);
  assert.equal(html.match(/<\/script>/g)?.length, 2, "the embedded quote cannot close the data script");
  assert.match(html, /bad &amp; worse/);
  assert.match(html, /<title>t &lt;x&gt;<\/title>/);
  assert.doesNotMatch(html, /<img src=x>/);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test("page: duplicate section ids are refused", () => {
  const t = { kind: "text" as const, id: "x", title: "x", paragraphs: [] };
  assert.throws(() => renderPage(page([t, t])), /duplicate section id 'x'/);
});

test("bars: numbers, goals in words, missing values with their reason", () => {
  assert.equal(formatNumber(1.0034), "1.003");
  assert.equal(formatNumber(12.04), "12.04");
  assert.equal(formatNumber(1234.5), "1235");
  assert.equal(goalMet({ label: "a", value: 1.2, goal: 1 }), false);
  assert.equal(goalMet({ label: "a", value: 2, goal: 1, goalKind: "min" }), true);
  assert.equal(barText({ label: "a", value: 0.825, goal: 1 }, "x"), "0.825x · goal ≤ 1x: met");
  assert.equal(barText({ label: "a", value: 3.5, goal: 1 }, "%"), "3.5% · goal ≤ 1%: MISSED");
  assert.equal(barText({ label: "a", value: 7, spread: [6, 8] }, "ns/op"), "7 ns/op (6–8)");
  assert.equal(barText({ label: "a", value: null, missing: "filtered" }, "x"), "not measured: filtered");
  const html = renderPage(page([{
    kind: "bars",
    id: "b",
    title: "B",
    charts: [{ title: "c", unit: "x", reference: 1, bars: [{ label: "a", value: 1.5, goal: 1 }] }],
  }]));
  assert.match(html, /<rect class="bar missed"/);
  assert.match(html, /1\.5x · goal ≤ 1x: MISSED/);
});
