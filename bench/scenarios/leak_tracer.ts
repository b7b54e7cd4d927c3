/**
 * Scenario `leak_tracer`: the cost of the leak tracker's tracing layer (debug/leaks, libas_leaks.so: every
 * live block with its Python file:line) against tracemalloc giving the same information
 * (`-X tracemalloc=1`, one frame), on the CPython workloads of bench/workloads, all three through the one
 * launcher on CPython's own allocator. Each round runs the workloads in three fresh processes (base, leaks,
 * tracemalloc; order rotating); a process's sample is the CPU time (time.thread_time_ns) of all workloads.
 * Figure `leak_tracer_vs_tracemalloc` = median over rounds of (leaks/base - 1) / (tracemalloc/base - 1);
 * goal <= 0.5 (issue 11).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchSpec } from "../../targets/launcher.ts";
import { buildLayer } from "../../debug/layers.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";

type Variant = "base" | "leaks" | "tracemalloc";

export const leakTracer: Scenario = {
  name: "leak_tracer",
  description:
    "leak tracker (file:line of every live block) vs tracemalloc.start(1) on the CPython workloads",
  params: (quick) => ({ scale: quick ? 1 : 4, rounds: quick ? 2 : 9, inner: quick ? 1 : 3 }),
  run(ctx, p) {
    const base = launchSpec({});
    const traced = launchSpec({ layers: [buildLayer("as_leaks")] });
    const script = join(ctx.root, "bench", "workloads", "driver.py");
    const dir = mkdtempSync(join(tmpdir(), "allocspec-bench-leaks-"));
    const once = (v: Variant, i: number): number => {
      const launch = v === "leaks" ? traced : base;
      const pre = v === "tracemalloc" ? ["-X", "tracemalloc=1"] : [];
      const env = v === "leaks" ? { ALLOCSPEC_LEAKS_OUT: join(dir, `out-${i}`) } : {};
      const r = spawnSync(launch.exe, [
        ...launch.argvPrefix,
        ...pre,
        script,
        "time",
        "--scale",
        String(p.scale),
        "--rounds",
        String(p.inner),
      ], { env: { ...launch.env, ...env }, encoding: "utf8", timeout: 600_000 });
      if (r.status !== 0) {
        throw new Error(
          `driver.py time (${v}) failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split("\n").pop()}`,
        );
      }
      const res = JSON.parse(r.stdout.trim().split("\n").pop()!);
      let total = 0;
      for (const xs of Object.values(res.workloads as Record<string, number[]>)) total += median(xs);
      return total / 1e6;
    };
    try {
      const t: Record<Variant, number[]> = { base: [], leaks: [], tracemalloc: [] };
      const order: Variant[] = ["base", "leaks", "tracemalloc"];
      for (let r = 0; r < p.rounds; r++) {
        for (let k = 0; k < 3; k++) {
          const v = order[(k + r) % 3];
          t[v].push(once(v, r));
        }
      }
      const ours = t.leaks.map((x, i) => x / t.base[i] - 1);
      const tm = t.tracemalloc.map((x, i) => x / t.base[i] - 1);
      const ratio = ours.map((x, i) => x / tm[i]);
      const rows: Row[] = [
        { name: "workloads, no tracing (CPU)", unit: "ms", ...summarize(t.base) },
        { name: "workloads, leak tracker (CPU)", unit: "ms", ...summarize(t.leaks) },
        { name: "workloads, tracemalloc.start(1) (CPU)", unit: "ms", ...summarize(t.tracemalloc) },
        { name: "leak tracker overhead (paired)", unit: "%", ...summarize(ours.map((x) => x * 100)) },
        { name: "tracemalloc overhead (paired)", unit: "%", ...summarize(tm.map((x) => x * 100)) },
        { name: "leak tracker / tracemalloc overhead (paired)", unit: "x", ...summarize(ratio) },
      ];
      ctx.print(
        `    base ${median(t.base).toFixed(1)} ms, leaks +${(median(ours) * 100).toFixed(1)}%, tracemalloc +${
          (median(tm) * 100).toFixed(1)
        }%: ratio ${median(ratio).toFixed(3)} (goal <= 0.5)`,
      );
      return Promise.resolve({
        rows,
        figures: {
          leak_tracer_vs_tracemalloc: round(median(ratio)),
          leak_tracer_overhead_pct: round(median(ours) * 100),
          tracemalloc_overhead_pct: round(median(tm) * 100),
        },
        notes: [`leak tracker vs tracemalloc.start(1): goal <= 0.5x its overhead; ${p.rounds} paired rounds`],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
