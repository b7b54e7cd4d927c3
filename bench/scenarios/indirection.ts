/**
 * Scenario `indirection`: what a PEP 445 hook costs per call, measured without FFI per operation.
 *
 * The same trace is replayed inside C (`allocspec_replay`) through the native library's entry points
 * three ways: with the default allocators (baseline), through one pass-through hook on all three
 * domains (PEP 445 use case 3: `allocspec_passthrough_install(NULL, NULL, 1)`), and through a chain of
 * three hooks. mitata's table shows each whole call; the figures come from paired rounds (every round
 * replays all three, the order rotating) using the thread's CPU time per op of each replay call
 * (bench/cpu_clock.ts; the replay's own wall-clock ns/op is reported beside it): `hook_added_ns_per_op` =
 * median over rounds of (1 hook - default) on the workload trace (goal <= 2 ns/op), and the ratios.
 *
 * Parameters: the workload trace (bench/workloads, captured in CPython) and a synthetic trace.
 *
 * Sample output: the SAMPLE OUTPUT comment at the end of this file.
 * @module
 */
import {
  do_not_optimize,
  measurePaired,
  pairedDiffs,
  pairedRatios,
  runGroup,
  warmupNote,
} from "../harness.ts";
import type { Row, Scenario, ScenarioContext, TraceInput } from "../scenario.ts";
import { median, round, summarize, type Summary } from "../stats.ts";
import { threadCpuNs } from "../cpu_clock.ts";

export const indirection: Scenario = {
  name: "indirection",
  description: "replay a trace in C: default allocators vs 1 pass-through hook vs a chain of 3 hooks",
  params: (quick) => ({
    syntheticOps: quick ? 50_000 : 1_000_000,
    depths: [1, 3],
    pairedRounds: quick ? 3 : 41,
    warmup: { maxRounds: quick ? 2 : 30, window: 3, tolerance: 0.03 },
    traces: ["workload", "synthetic"],
  }),
  async run(ctx: ScenarioContext, p) {
    const n = await ctx.native();
    const traces: TraceInput[] = [await ctx.workloadTrace(), ctx.syntheticTrace(p.syntheticOps)];
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    const notes: string[] = [];
    for (const [ti, t] of traces.entries()) {
      notes.push(`trace ${t.label}: ${t.source}`);
      // per op: the thread's CPU time of the whole call (the figures) and the replay's own wall time
      const wall: Record<string, number[]> = { direct: [], hook1: [], hook3: [] };
      const replay = (key: string, depth: number) => (): number => {
        if (depth > 0) n.passthroughInstall(depth);
        try {
          const c0 = threadCpuNs();
          const r = n.replay(t.trace.bytes);
          const cpu = threadCpuNs() - c0;
          do_not_optimize(r);
          wall[key].push(r.ns / r.ops);
          return cpu / r.ops;
        } finally {
          if (depth > 0) n.passthroughUninstall();
        }
      };
      await runGroup(`indirection: ${t.label} (${t.trace.nops} ops)`, [
        { name: "default allocators", fn: replay("direct", 0), baseline: true },
        { name: "1 pass-through hook", fn: replay("hook1", 1) },
        { name: "3 chained hooks", fn: replay("hook3", 3) },
      ], ctx);
      const m = measurePaired(
        [
          { name: "direct", run: replay("direct", 0) },
          { name: "hook1", run: replay("hook1", 1) },
          { name: "hook3", run: replay("hook3", 3) },
        ],
        p.pairedRounds,
        p.warmup,
      );
      const s = m.samples;
      notes.push(warmupNote(t.label, m.warmup, p.warmup));
      for (const k of Object.keys(wall)) wall[k].splice(0, wall[k].length - p.pairedRounds); // measured rounds only
      for (
        const [k, label] of [["direct", "default allocators"], ["hook1", "1 hook"], ["hook3", "3 hooks"]]
      ) {
        rows.push({ name: `${t.label}: ${label} (thread CPU)`, unit: "ns/op", ...summarize(s[k]) });
        rows.push({
          name: `${t.label}: ${label} (replay's wall clock, all calls)`,
          unit: "ns/op",
          ...summarize(wall[k]),
        });
      }
      const add1 = median(pairedDiffs(s.hook1, s.direct)), add3 = median(pairedDiffs(s.hook3, s.direct));
      const r1 = median(pairedRatios(s.hook1, s.direct)), r3 = median(pairedRatios(s.hook3, s.direct));
      rows.push({
        name: `${t.label}: added by 1 hook (paired)`,
        unit: "ns/op",
        ...summarize(pairedDiffs(s.hook1, s.direct)),
      });
      rows.push({
        name: `${t.label}: added by 3 hooks (paired)`,
        unit: "ns/op",
        ...summarize(pairedDiffs(s.hook3, s.direct)),
      });
      const tag = ti === 0 ? "workload" : "synthetic";
      figures[`indirection_${tag}_added_ns_per_op_1hook`] = round(add1);
      figures[`indirection_${tag}_added_ns_per_op_3hooks`] = round(add3);
      figures[`indirection_${tag}_ratio_1hook`] = round(r1);
      figures[`indirection_${tag}_ratio_3hooks`] = round(r3);
      spreads[`indirection_${tag}_added_ns_per_op_1hook`] = summarize(pairedDiffs(s.hook1, s.direct));
      spreads[`indirection_${tag}_added_ns_per_op_3hooks`] = summarize(pairedDiffs(s.hook3, s.direct));
      spreads[`indirection_${tag}_ratio_1hook`] = summarize(pairedRatios(s.hook1, s.direct));
      spreads[`indirection_${tag}_ratio_3hooks`] = summarize(pairedRatios(s.hook3, s.direct));
      if (ti === 0) {
        figures.hook_added_ns_per_op = round(add1);
        spreads.hook_added_ns_per_op = spreads[`indirection_${tag}_added_ns_per_op_1hook`];
      }
      ctx.print(
        `    ${t.label} (${p.pairedRounds} paired rounds): +${add1.toFixed(2)} ns/op with 1 hook (x${
          r1.toFixed(3)
        }), ` +
          `+${add3.toFixed(2)} ns/op with 3 (x${r3.toFixed(3)})`,
      );
    }
    return { rows, figures, spreads, notes };
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 0.52 -> 2.49):

=== indirection [bun] — replay a trace in C: default allocators vs 1 pass-through hook vs a chain of 3 hooks
    params: {"syntheticOps":1000000,"depths":[1,3],"pairedRounds":41,"traces":["workload","synthetic"]}
clk: ~2.24 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• indirection: pybench s2 (1975736 ops)
------------------------------------------- -------------------------------
default allocators            21.13 ms/iter  21.89 ms  █ █
                      (19.33 ms … 25.06 ms)  24.72 ms ▇█ █  ▂  ▂  ▂      ▂
                    (  0.00  b … 256.00 kb)   9.33 kb ██▆█▆▆█▆▁█▆▁█▆▁▁▁▁▁█▆

1 pass-through hook           30.74 ms/iter  30.70 ms  █
                      (28.94 ms … 35.36 ms)  35.29 ms  █▂▂ ▂     ▂
                    (  0.00  b …  16.00 kb)   2.95 kb ▆███▆█▆▁▁▁▁█▁▆▁▁▁▁▁▁▆

3 chained hooks               30.45 ms/iter  30.23 ms  █
                      (29.20 ms … 34.93 ms)  34.11 ms  █  █
                    (  0.00  b …  40.00 kb)   2.10 kb ▅████▁▅▁▁▁▁▁▁▁▁▁▁▅▁▁▅
    pybench s2 (41 paired rounds): +4.21 ns/op with 1 hook (x1.366), +4.85 ns/op with 3 (x1.413)
    [this sample predates the per-thread call counter in native/src/hooks.c: the 05:14 run measured
     +1.11 ns/op with 1 hook and +3.23 with 3; bench/README.md has the latest figures]
clk: ~2.53 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• indirection: synthetic 1000000 (1000000 ops)
------------------------------------------- -------------------------------
default allocators           110.06 ms/iter 112.72 ms      █
                     (94.01 ms … 153.57 ms) 122.40 ms ▅  ▅▅█  ▅ ▅ ▅▅▅     ▅
                    ( 64.00 kb … 628.00 kb) 259.00 kb █▁▁███▁▁█▁█▁███▁▁▁▁▁█

1 pass-through hook          122.70 ms/iter 126.69 ms               █
                    (108.33 ms … 154.22 ms) 135.03 ms ▅▅ ▅ ▅ ▅▅  ▅ ▅█     ▅
                    ( 40.00 kb … 212.00 kb) 138.67 kb ██▁█▁█▁██▁▁█▁██▁▁▁▁▁█

3 chained hooks              115.94 ms/iter 125.25 ms                     █
                     (74.35 ms … 127.05 ms) 126.31 ms                    ██
                    (  8.00 kb … 740.00 kb) 292.80 kb █▁▁▁▁▁▁▁▁▁▁█▁█▁█▁████
    synthetic 1000000 (41 paired rounds): +2.62 ns/op with 1 hook (x1.043), +8.84 ns/op with 3 (x1.087)
*/
