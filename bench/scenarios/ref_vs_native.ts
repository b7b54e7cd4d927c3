/**
 * Scenario `ref_vs_native`: the reference implementation (TypeScript, ref/) against the native
 * library (C) on the same trace, in the runtime running it; marked crossRuntime, so the other
 * runtime runs it too in a child process and both land in one report.
 *
 * - native: `allocspec_replay` inside C through the native entry points (cpython profile): no FFI per op.
 * - ref: bench/ref_replay.ts, the same loop in TypeScript calling createRef()'s entry points: no FFI
 *   at all. Both free what is still live at the end, untimed.
 *
 * mitata's table shows each whole call; the figures come from paired rounds (each round replays both,
 * alternating which goes first) with each replay's own ns/op: `ref_vs_native_<runtime>` = median over
 * rounds of ref / native on the workload trace (goal: within 3x).
 *
 * Sample output: the SAMPLE OUTPUT comment at the end of this file.
 * @module
 */
import { do_not_optimize, measurePaired, pairedRatios, runGroup, warmupNote } from "../harness.ts";
import { refModule } from "../native_glue.ts";
import { replayOnPep445 } from "../ref_replay.ts";
import type { Row, Scenario, TraceInput } from "../scenario.ts";
import { median, round, summarize, type Summary } from "../stats.ts";
import { threadCpuNs } from "../cpu_clock.ts";

export const refVsNative: Scenario = {
  name: "ref_vs_native",
  description: "the same trace replayed in TypeScript against ref/ and in C against native/",
  crossRuntime: true,
  params: (quick) => ({
    profile: "cpython",
    syntheticOps: quick ? 20_000 : 300_000,
    pairedRounds: quick ? 3 : 21,
    warmup: { maxRounds: quick ? 2 : 40, window: 3, tolerance: 0.03 },
    traces: ["workload", "synthetic"],
  }),
  async run(ctx, p) {
    const n = await ctx.native();
    const { createRef } = await refModule(ctx.root);
    const traces: TraceInput[] = [await ctx.workloadTrace(), ctx.syntheticTrace(p.syntheticOps)];
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    const notes: string[] = [];
    for (const [ti, t] of traces.entries()) {
      notes.push(`trace ${t.label}: ${t.source}`);
      const ref = createRef({ profile: p.profile });
      n.reset({ profile: p.profile });
      // per op: the thread's CPU time of the whole call (both sides include their final frees)
      const nativeRun = (): number => {
        const c0 = threadCpuNs();
        const r = n.replay(t.trace.bytes);
        const cpu = threadCpuNs() - c0;
        do_not_optimize(r);
        return cpu / r.ops;
      };
      const refRun = (): number => {
        const c0 = threadCpuNs();
        const r = replayOnPep445(ref, t.trace);
        const cpu = threadCpuNs() - c0;
        do_not_optimize(r);
        return cpu / r.ops;
      };
      await runGroup(`ref vs native [${ctx.runtime}]: ${t.label} (${t.trace.nops} ops)`, [
        { name: "native (C replay)", baseline: true, fn: nativeRun },
        { name: "ref (TypeScript replay)", fn: refRun },
      ], ctx);
      // warm up until both replays' medians settle (the TS replay's JIT tiers), then the measured rounds
      const m = measurePaired(
        [{ name: "native", run: nativeRun }, { name: "ref", run: refRun }],
        p.pairedRounds,
        p.warmup,
      );
      const s = m.samples;
      notes.push(warmupNote(t.label, m.warmup, p.warmup));
      ref.close();
      const ratio = median(pairedRatios(s.ref, s.native));
      const spread = summarize(pairedRatios(s.ref, s.native));
      rows.push({ name: `${t.label}: native (thread CPU)`, unit: "ns/op", ...summarize(s.native) });
      rows.push({ name: `${t.label}: ref (thread CPU)`, unit: "ns/op", ...summarize(s.ref) });
      rows.push({
        name: `${t.label}: ref / native (paired)`,
        unit: "x",
        ...summarize(pairedRatios(s.ref, s.native)),
      });
      const tag = ti === 0 ? "workload" : "synthetic";
      figures[`ref_vs_native_${tag}_${ctx.runtime}`] = round(ratio);
      spreads[`ref_vs_native_${tag}_${ctx.runtime}`] = spread;
      if (ti === 0) {
        figures[`ref_vs_native_${ctx.runtime}`] = round(ratio);
        spreads[`ref_vs_native_${ctx.runtime}`] = spread;
      }
      ctx.print(`    ${t.label}: ref / native = ${ratio.toFixed(2)}x under ${ctx.runtime} (goal <= 3x)`);
    }
    return { rows, figures, spreads, notes };
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 0.52 -> 2.49):

=== ref_vs_native [bun] — the same trace replayed in TypeScript against ref/ and in C against native/
    params: {"profile":"cpython","syntheticOps":300000,"pairedRounds":9,"traces":["workload","synthetic"]}
clk: ~2.15 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [bun]: pybench s2 (1975736 ops)
------------------------------------------- -------------------------------
native (C replay)             35.80 ms/iter  37.24 ms    █        █ █ █  █
                      (32.06 ms … 38.59 ms)  38.17 ms ▅▅ █     ▅  █ █ █▅ █▅
                    (  0.00  b …   4.00 kb) 682.67  b ██▁█▁▁▁▁▁█▁▁█▁█▁██▁██

ref (TypeScript replay)       90.80 ms/iter  75.93 ms █  █
                     (57.06 ms … 204.19 ms) 173.60 ms ██ █
                    (128.00 kb …   5.44 mb)   1.04 mb ████▁▁▁▁▁▁▁▁█▁▁▁▁▁▁▁█
    pybench s2: ref / native = 2.92x under bun (goal <= 3x)
clk: ~2.69 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [bun]: synthetic 300000 (300000 ops)
------------------------------------------- -------------------------------
native (C replay)             14.94 ms/iter  17.08 ms  ▂                 █
                      (12.42 ms … 17.49 ms)  17.36 ms  █▆               ▃█
                    (  0.00  b …   4.00 kb) 455.11  b ▅███▃▁▁▁▁▅▁▁▁▁▁▁▁▃██▇

ref (TypeScript replay)       38.99 ms/iter  42.32 ms               █
                      (30.07 ms … 47.63 ms)  44.89 ms  █            █  █
                    (  0.00  b …   2.63 mb) 513.14 kb ██▁▁▁▁▁█▁█▁▁███▁▁██▁█
    synthetic 300000: ref / native = 2.27x under bun (goal <= 3x)

=== ref_vs_native [deno] — the same trace replayed in TypeScript against ref/ and in C against native/
    params: {"profile":"cpython","syntheticOps":300000,"pairedRounds":9,"traces":["workload","synthetic"]}
clk: ~3.22 GHz
cpu: AMD EPYC
runtime: deno 2.9.6 (x86_64-unknown-linux-gnu)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [deno]: pybench s2 (1975736 ops)
------------------------------------------- -------------------------------
native (C replay)             19.70 ms/iter  19.94 ms  █
                      (17.75 ms … 27.24 ms)  27.14 ms  █
                    (  2.18 kb …  26.70 kb)   3.94 kb ▆█▆▃▅▅▁▅▃▁▃▁▁▁▁▁▃▁▁▁▃

ref (TypeScript replay)      116.56 ms/iter 114.05 ms     █ █
                     (98.13 ms … 152.32 ms) 147.79 ms    ██ █
                    (  2.79 kb … 922.95 kb)  90.53 kb █▁▁██▁█▁▁▁▁▁█▁▁▁▁▁▁▁█
    pybench s2: ref / native = 3.68x under deno (goal <= 3x)
clk: ~2.87 GHz
cpu: AMD EPYC
runtime: deno 2.9.6 (x86_64-unknown-linux-gnu)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [deno]: synthetic 300000 (300000 ops)
------------------------------------------- -------------------------------
native (C replay)             13.63 ms/iter  14.41 ms █
                      (12.37 ms … 16.55 ms)  16.27 ms █▆ ▃  ▃       ▃
                    (  2.16 kb …   2.16 kb)   2.16 kb ██▆█▆███▄▁▆▄▄▁█▆▄▁▁▄▄

ref (TypeScript replay)       30.47 ms/iter  27.68 ms █
                      (24.59 ms … 55.58 ms)  48.31 ms █
                    (  2.63 kb …   1.36 mb) 107.19 kb █▃▃▃▁▃▁▁▁▁▁▃▁▁▁▁▁▁▁▁▆
    synthetic 300000: ref / native = 1.83x under deno (goal <= 3x)
*/
