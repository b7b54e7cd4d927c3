import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { childrenCpuSeconds, shard } from "./run_tests.ts";
import { speedSample, speedSamples } from "./speed_sample.ts";
import { loadWeights } from "./test_times.ts";
import { testFiles } from "./test_times.ts";
import { ALONE, ONCE } from "./test_tiers.ts";

test("run_tests: shards balance the measured CPU, longest first; an unmeasured file weighs the median", () => {
  const weights = { deno: { a: 10, b: 6, c: 5, d: 1 }, bun: {} };
  assert.deepEqual(shard(["a", "b", "c", "d"], 2, weights), [["a", "d"], ["b", "c"]]);
  // e is not measured: it weighs the median (6), ahead of c (weighing 1, it would go with a)
  assert.deepEqual(shard(["a", "b", "c", "e"], 2, weights), [["a", "c"], ["b", "e"]]);
  assert.deepEqual(shard(["a"], 3, weights), [["a"]]);
});

test("run_tests: tools/test_weights.json has a weight for every test file in each runtime that runs it", () => {
  const w = loadWeights();
  const missing: string[] = [];
  for (const f of testFiles()) {
    const once = ONCE[f] ?? ALONE[f];
    for (const rt of once ? [once[0]] : ["deno", "bun"] as const) {
      if (!(f in w[rt])) missing.push(`${rt} ${f}`);
    }
  }
  assert.deepEqual(missing, [], "run `npx deno run -A tools/test_times.ts --weights --filter FILE`");
});

test("run_tests: the machine-speed workload's CPU time grows with its length; one sample per CPU", async () => {
  const short = speedSample(10_000);
  const long = speedSample(400_000);
  assert.ok(short >= 0 && long > 0, `${short} ms, ${long} ms`);
  assert.ok(long > short, `40x the steps took ${long} ms of CPU, 1x ${short} ms`);
  const all = await speedSamples(2);
  assert.equal(all.length, 2, `two copies, two numbers: ${all}`);
  assert.ok(all[0] <= all[1] && all[0] > 0, `${all}`);
});

test("run_tests: the CPU time of waited-for children grows by what a child burned", {
  skip: childrenCpuSeconds() === null ? "no /proc/self/stat" : false,
}, () => {
  const before = childrenCpuSeconds()!;
  const r = spawnSync("sh", ["-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"], { stdio: "ignore" });
  assert.equal(r.status, 0);
  const after = childrenCpuSeconds()!;
  // the loop takes ~0.4 s of CPU on the 2-core VM; a child that is not counted gives 0
  assert.ok(after - before >= 0.1, `a busy child added ${after - before} s`);
  assert.ok(after - before < 60, `${after - before} s`);
});
