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
 * Sample output: see the end of this file.
 * @module
 */
import { do_not_optimize, pairedRatios, pairedRounds, runGroup } from "../harness.ts";
import { refModule } from "../native_glue.ts";
import { replayOnPep445 } from "../ref_replay.ts";
import type { Row, Scenario, TraceInput } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";

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
      const nativeRun = (): number => {
        const r = n.replay(t.trace.bytes);
        do_not_optimize(r);
        return r.ns / r.ops;
      };
      const refRun = (): number => {
        const r = replayOnPep445(ref, t.trace);
        do_not_optimize(r);
        return r.ns / r.ops;
      };
      await runGroup(`ref vs native [${ctx.runtime}]: ${t.label} (${t.trace.nops} ops)`, [
        { name: "native (C replay)", baseline: true, fn: nativeRun },
        { name: "ref (TypeScript replay)", fn: refRun },
      ], ctx);
      const s = pairedRounds([{ name: "native", run: nativeRun }, { name: "ref", run: refRun }], p.pairedRounds);
      ref.close();
      const ratio = median(pairedRatios(s.ref, s.native));
      rows.push({ name: `${t.label}: native`, unit: "ns/op", ...summarize(s.native) });
      rows.push({ name: `${t.label}: ref`, unit: "ns/op", ...summarize(s.ref) });
      rows.push({ name: `${t.label}: ref / native (paired)`, unit: "x", ...summarize(pairedRatios(s.ref, s.native)) });
      const tag = ti === 0 ? "workload" : "synthetic";
      figures[`ref_vs_native_${tag}_${ctx.runtime}`] = round(ratio);
      if (ti === 0) figures[`ref_vs_native_${ctx.runtime}`] = round(ratio);
      ctx.print(`    ${t.label}: ref / native = ${ratio.toFixed(2)}x under ${ctx.runtime} (goal <= 3x)`);
    }
    return { rows, figures, notes };
  },
};
