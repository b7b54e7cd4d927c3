/**
 * Scenario `cpython_hook`: the PEP's own experiment ("Performances": pybench "+0.1%" slower
 * globally) redone on this machine. The pybench-style workloads of bench/workloads run in the real
 * CPython (python3 + ctypes, see driver.py for why), with and without the native pass-through hook
 * on all three domains installed through libpython's PyMem_GetAllocator/PyMem_SetAllocator. Each
 * round runs every workload both ways, the order alternating between rounds; the figure is the total
 * of the per-workload medians: `hook_overhead_cpython_pct` (goal <= 1%, the PEP measured +0.1%).
 *
 * Not a mitata benchmark: each sample is a whole Python run timed by Python's perf_counter_ns.
 *
 * Sample output: see the end of this file.
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";

/** Run the Python driver and parse its JSON; one clear line on failure. */
export function runDriver(ctx: ScenarioContext, args: string[], env?: Record<string, string>): any {
  const script = join(ctx.root, "bench", "workloads", "driver.py");
  const r = spawnSync(ctx.python(), [script, ...args], {
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, ...(env ?? {}) },
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || `signal ${r.signal}`).trim().split("\n").slice(-1)[0];
    throw new Error(`python driver.py ${args[0]} failed (exit ${r.status ?? r.signal}): ${why}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]);
}

export const cpythonHook: Scenario = {
  name: "cpython_hook",
  description: "Python workloads in real CPython with vs without a native pass-through hook on all domains",
  params: (quick) => ({ scale: quick ? 1 : 8, rounds: quick ? 3 : 11, depth: 1 }),
  async run(ctx, p) {
    const n = await ctx.native();
    const res = runDriver(ctx, ["overhead", "--lib", n.libPath, "--scale", String(p.scale), "--rounds", String(p.rounds), "--depth", String(p.depth)]);
    const rows: Row[] = [];
    let sumBase = 0, sumHook = 0;
    ctx.print(`    ${"workload".padEnd(16)} ${"base ms".padStart(10)} ${"hook ms".padStart(10)} ${"overhead".padStart(9)}`);
    for (const [name, v] of Object.entries(res.workloads as Record<string, { base: number[]; hook: number[] }>)) {
      const b = median(v.base) / 1e6, h = median(v.hook) / 1e6;
      sumBase += b;
      sumHook += h;
      const pct = (h / b - 1) * 100;
      rows.push({ name: `${name}: without hook`, unit: "ms", ...summarize(v.base.map((x) => x / 1e6)) });
      rows.push({ name: `${name}: with hook`, unit: "ms", ...summarize(v.hook.map((x) => x / 1e6)) });
      rows.push({ name: `${name}: overhead`, unit: "%", median: round(pct), n: v.base.length });
      ctx.print(`    ${name.padEnd(16)} ${b.toFixed(3).padStart(10)} ${h.toFixed(3).padStart(10)} ${pct.toFixed(2).padStart(8)}%`);
    }
    const total = (sumHook / sumBase - 1) * 100;
    ctx.print(`    ${"total".padEnd(16)} ${sumBase.toFixed(3).padStart(10)} ${sumHook.toFixed(3).padStart(10)} ${total.toFixed(2).padStart(8)}%   (PEP 445: +0.1%)`);
    rows.push({ name: "total (sum of medians): overhead", unit: "%", median: round(total), n: p.rounds });
    return {
      rows,
      figures: { hook_overhead_cpython_pct: round(total), cpython_hook_calls_per_round: Math.round(res.hook_calls / p.rounds) },
      notes: [
        `CPython ${res.python} (${res.executable}); hook calls seen per round: ${Math.round(res.hook_calls / p.rounds)}; PEP 445 reported +0.1% (pybench)`,
      ],
    };
  },
};
