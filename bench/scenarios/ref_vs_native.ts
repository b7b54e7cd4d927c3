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
import { do_not_optimize, pairedRatios, pairedRounds, runGroup } from "../harness.ts";
import { refModule } from "../native_glue.ts";
import { replayOnPep445 } from "../ref_replay.ts";
import type { Row, Scenario, TraceInput } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { threadCpuNs } from "../cpu_clock.ts";

export const refVsNative: Scenario = {
  name: "ref_vs_native",
  description: "the same trace replayed in TypeScript against ref/ and in C against native/",
  crossRuntime: true,
  params: (quick) => ({ profile: "cpython", syntheticOps: quick ? 20_000 : 300_000, pairedRounds: quick ? 3 : 9, traces: ["workload", "synthetic"] }),
  async run(ctx, p) {
    const n = await ctx.native();
    const { createRef } = await refModule(ctx.root);
    const traces: TraceInput[] = [await ctx.workloadTrace(), ctx.syntheticTrace(p.syntheticOps)];
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
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
      const s = pairedRounds([{ name: "native", run: nativeRun }, { name: "ref", run: refRun }], p.pairedRounds);
      ref.close();
      const ratio = median(pairedRatios(s.ref, s.native));
      rows.push({ name: `${t.label}: native (thread CPU)`, unit: "ns/op", ...summarize(s.native) });
      rows.push({ name: `${t.label}: ref (thread CPU)`, unit: "ns/op", ...summarize(s.ref) });
      rows.push({ name: `${t.label}: ref / native (paired)`, unit: "x", ...summarize(pairedRatios(s.ref, s.native)) });
      const tag = ti === 0 ? "workload" : "synthetic";
      figures[`ref_vs_native_${tag}_${ctx.runtime}`] = round(ratio);
      if (ti === 0) figures[`ref_vs_native_${ctx.runtime}`] = round(ratio);
      ctx.print(`    ${t.label}: ref / native = ${ratio.toFixed(2)}x under ${ctx.runtime} (goal <= 3x)`);
    }
    return { rows, figures, notes };
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 6-12):

=== ref_vs_native [bun] — the same trace replayed in TypeScript against ref/ and in C against native/
    params: {"profile":"cpython","syntheticOps":300000,"pairedRounds":9,"traces":["workload","synthetic"]}
clk: ~1.32 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [bun]: pybench s2 (1975736 ops)
------------------------------------------- -------------------------------
native (C replay)             42.74 ms/iter  47.10 ms        █   █     █   
                      (30.76 ms … 52.60 ms)  49.03 ms ▅     ▅█   █  ▅  █▅▅▅
                    (  0.00  b …   4.00 kb) 546.13  b █▁▁▁▁▁██▁▁▁█▁▁█▁▁████

ref (TypeScript replay)      317.60 ms/iter 358.76 ms      █     █         
                    (129.12 ms … 663.71 ms) 556.16 ms ▅ ▅▅▅█▅    █ ▅      ▅
                    (  0.00  b …   5.61 mb)   1.21 mb █▁█████▁▁▁▁█▁█▁▁▁▁▁▁█
    pybench s2: ref / native = 4.32x under bun (goal <= 3x)
clk: ~1.57 GHz
cpu: AMD EPYC
runtime: bun 1.4.5 (x64-linux)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [bun]: synthetic 300000 (300000 ops)
------------------------------------------- -------------------------------
native (C replay)             61.78 ms/iter  71.00 ms       █              
                     (34.75 ms … 100.90 ms)  87.96 ms       █              
                    (  0.00  b …   0.00  b)   0.00  b █▁█▁▁██▁▁▁██▁▁█▁▁█▁▁█

ref (TypeScript replay)      139.88 ms/iter 180.26 ms █              █    █
                     (30.51 ms … 206.42 ms) 194.60 ms █        ▅ ▅  ▅█ ▅▅ █
                    (  0.00  b …   1.61 mb) 754.29 kb █▁▁▁▁▁▁▁▁█▁█▁▁██▁██▁█
    synthetic 300000: ref / native = 2.09x under bun (goal <= 3x)

=== ref_vs_native [deno] — the same trace replayed in TypeScript against ref/ and in C against native/
    params: {"profile":"cpython","syntheticOps":300000,"pairedRounds":9,"traces":["workload","synthetic"]}
clk: ~2.09 GHz
cpu: AMD EPYC
runtime: deno 2.9.6 (x86_64-unknown-linux-gnu)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [deno]: pybench s2 (1975736 ops)
------------------------------------------- -------------------------------
native (C replay)             36.52 ms/iter  39.04 ms    █      █  ██      
                      (29.22 ms … 46.94 ms)  44.50 ms ▅▅▅█    ▅▅█▅ ██     ▅
                    (  2.01 kb …  25.04 kb)   4.71 kb ████▁▁▁▁████▁██▁▁▁▁▁█

ref (TypeScript replay)      141.24 ms/iter 163.87 ms        █  █          
                     (68.43 ms … 238.17 ms) 192.33 ms ▅    ▅ █ ▅█   ▅▅▅   ▅
                    (  2.66 kb … 915.00 kb)  90.34 kb █▁▁▁▁█▁█▁██▁▁▁███▁▁▁█
    pybench s2: ref / native = 4.05x under deno (goal <= 3x)
clk: ~1.00 GHz
cpu: AMD EPYC
runtime: deno 2.9.6 (x86_64-unknown-linux-gnu)

benchmark                   avg (min … max) p75 / p99    (min … top 1%)
------------------------------------------- -------------------------------
• ref vs native [deno]: synthetic 300000 (300000 ops)
------------------------------------------- -------------------------------
native (C replay)             37.24 ms/iter  38.46 ms      █               
                      (30.86 ms … 46.63 ms)  46.38 ms   █  █               
                    (  2.04 kb …   2.04 kb)   2.04 kb ███▁███▁███▁▁▁▁▁██▁▁█

ref (TypeScript replay)       95.46 ms/iter  98.53 ms █       █            
                     (56.13 ms … 163.11 ms) 143.20 ms █▅▅    ▅█▅▅       ▅ ▅
                    (  2.52 kb … 834.92 kb)  95.96 kb ███▁▁▁▁████▁▁▁▁▁▁▁█▁█
    synthetic 300000: ref / native = 2.13x under deno (goal <= 3x)
*/
