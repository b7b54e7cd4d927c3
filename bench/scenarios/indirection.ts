/**
 * Scenario `indirection`: what a PEP 445 hook costs per call, measured without FFI per operation.
 *
 * The same trace is replayed inside C (`allocspec_replay`) through the native library's entry points
 * three ways: with the default allocators (baseline), through one pass-through hook on all three
 * domains (PEP 445 use case 3: `allocspec_passthrough_install(NULL, NULL, 1)`), and through a chain of
 * three hooks. Figures: ns added per operation by one hook (goal <= 2 ns/op: `hook_added_ns_per_op`)
 * and the ratio to the baseline. Per-op times are the replay's own C-side timing (median over mitata's
 * iterations); mitata's table shows the whole call.
 *
 * Parameters: the workload trace (bench/workloads, captured in CPython) and a synthetic trace.
 *
 * Sample output (filled from a real run, see bench/README.md):
 * ```
 * (see the SAMPLE block at the end of this file)
 * ```
 * @module
 */
import { do_not_optimize, runGroup } from "../harness.ts";
import type { Row, Scenario, ScenarioContext, TraceInput } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";

export const indirection: Scenario = {
  name: "indirection",
  description: "replay a trace in C: default allocators vs 1 pass-through hook vs a chain of 3 hooks",
  params: (quick) => ({ syntheticOps: quick ? 50_000 : 1_000_000, depths: [1, 3], traces: ["workload", "synthetic"] }),
  async run(ctx: ScenarioContext, p) {
    const n = await ctx.native();
    const traces: TraceInput[] = [await ctx.workloadTrace(), ctx.syntheticTrace(p.syntheticOps)];
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const notes: string[] = [];
    for (const [ti, t] of traces.entries()) {
      notes.push(`trace ${t.label}: ${t.source}`);
      const perOp: Record<string, number[]> = { direct: [], hook1: [], hook3: [] };
      const replay = (key: string, depth: number) => () => {
        if (depth > 0) n.passthroughInstall(depth);
        try {
          const r = n.replay(t.trace.bytes);
          perOp[key].push(r.ns / r.ops);
          do_not_optimize(r);
        } finally {
          if (depth > 0) n.passthroughUninstall();
        }
      };
      await runGroup(`indirection: ${t.label} (${t.trace.nops} ops)`, [
        { name: "default allocators", fn: replay("direct", 0), baseline: true },
        { name: "1 pass-through hook", fn: replay("hook1", 1) },
        { name: "3 chained hooks", fn: replay("hook3", 3) },
      ], ctx);
      const base = median(perOp.direct), h1 = median(perOp.hook1), h3 = median(perOp.hook3);
      for (const [k, label] of [["direct", "default allocators"], ["hook1", "1 hook"], ["hook3", "3 hooks"]]) {
        rows.push({ name: `${t.label}: ${label}`, unit: "ns/op", ...summarize(perOp[k]) });
      }
      const tag = ti === 0 ? "workload" : "synthetic";
      figures[`indirection_${tag}_added_ns_per_op_1hook`] = round(h1 - base);
      figures[`indirection_${tag}_added_ns_per_op_3hooks`] = round(h3 - base);
      figures[`indirection_${tag}_ratio_1hook`] = round(h1 / base);
      figures[`indirection_${tag}_ratio_3hooks`] = round(h3 / base);
      if (ti === 0) figures.hook_added_ns_per_op = round(h1 - base);
      ctx.print(`    ${t.label}: +${(h1 - base).toFixed(2)} ns/op with 1 hook (x${(h1 / base).toFixed(3)}), ` +
        `+${(h3 - base).toFixed(2)} ns/op with 3 (x${(h3 / base).toFixed(3)})`);
    }
    return { rows, figures, notes };
  },
};
