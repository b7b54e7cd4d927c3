import { test } from "node:test";
import assert from "node:assert/strict";
import { createProgress, formatDuration, progressLine } from "./progress.ts";

function sink(isTTY: boolean, columns?: number) {
  const chunks: string[] = [];
  return { chunks, out: { isTTY, columns, write: (s: string) => chunks.push(s) } };
}

test("progress: line text with done/total, percent, elapsed, ETA and the current item", () => {
  assert.equal(formatDuration(7_400), "0:07");
  assert.equal(formatDuration(3_723_000), "1:02:03");
  assert.equal(
    progressLine("conformance", "runs", 50, 200, 10_000, "zero_size/x[RAW]@cpython on ref"),
    "conformance: 50/200 runs (25%) · 0:10 elapsed · ETA 0:30 · zero_size/x[RAW]@cpython on ref",
  );
  assert.equal(
    progressLine("faults", "points", 0, 10, 1000),
    "faults: 0/10 points (0%) · 0:01 elapsed · ETA ?",
  );
  assert.equal(progressLine("libs", "scenarios", 4, 4, 2000), "libs: 4/4 scenarios (100%) · 0:02 elapsed");
});

test("progress on a terminal: one line redrawn in place, throttled; logged lines stay above it", () => {
  let t = 0;
  const { chunks, out } = sink(true, 60);
  const p = createProgress({ label: "conformance", unit: "runs", total: 100, out, now: () => t });
  p.update(1, "a");
  t = 50;
  p.update(2, "b"); // within 100 ms of the last redraw: not drawn
  t = 200;
  p.update(3, "c".repeat(100));
  p.log("FAIL x");
  t = 400;
  p.done("NOT conformant");
  assert.equal(chunks.length, 5, JSON.stringify(chunks));
  assert.ok(chunks.slice(0, 2).every((c) => c.startsWith("\r") && c.endsWith("\x1b[K") && !c.includes("\n")));
  assert.match(chunks[0], /conformance: 1\/100 runs \(1%\) · 0:00 elapsed · ETA 0:00 · a/);
  assert.ok(chunks[1].length <= 60 + 4, "cut to the terminal's width");
  assert.equal(chunks[2], "\r\x1b[KFAIL x\n", "the log line replaces the progress line");
  assert.match(chunks[3], /^\rconformance: 3\/100/, "and the progress line is redrawn under it");
  assert.equal(chunks[4], "\rconformance: 3/100 runs in 0:00 · NOT conformant\x1b[K\n");
});

test("progress off a terminal: a start line, then at most one line per 10 s, and an end line", () => {
  let t = 0;
  const { chunks, out } = sink(false);
  const p = createProgress({ label: "faults", unit: "points", total: 1000, out, now: () => t });
  for (let i = 1; i <= 1000; i++) {
    t = i * 100; // 100 s in all
    p.update(i, `point ${i}`);
  }
  p.log("finding: x");
  p.done();
  assert.equal(chunks[0], "faults: 1000 points to run\n");
  const periodic = chunks.filter((c) => /^faults: \d+\/1000 points \(/.test(c));
  assert.equal(periodic.length, 10, chunks.join(""));
  assert.ok(chunks.every((c) => !c.includes("\r")));
  assert.equal(chunks.at(-2), "finding: x\n");
  assert.equal(chunks.at(-1), "faults: 1000/1000 points in 1:40\n");
});
