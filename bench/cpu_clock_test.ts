import { test } from "node:test";
import assert from "node:assert/strict";
import { threadCpuNs } from "./cpu_clock.ts";

test("cpu_clock: thread CPU time grows with work, and far less while sleeping", async () => {
  const a = threadCpuNs();
  let x = 0;
  for (let i = 0; i < 20_000_000; i++) x += Math.sqrt(i);
  const b = threadCpuNs();
  assert.ok(x > 0);
  assert.ok(Number.isFinite(a) && b - a > 1e6, `20M square roots counted ${(b - a) / 1e6} ms of CPU`);
  const c = threadCpuNs();
  await new Promise((r) => setTimeout(r, 100));
  const d = threadCpuNs();
  assert.ok(d >= c);
  assert.ok(
    d - c < b - a,
    `sleeping 100 ms counted ${(d - c) / 1e6} ms of CPU, the busy loop ${(b - a) / 1e6} ms`,
  );
});
