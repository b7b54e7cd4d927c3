/**
 * Scenario `debug_hooks`: the native debug hooks (PyMem_SetupDebugHooks, PEP 445 "Add a new
 * PyMem_SetupDebugHooks() function") against CPython's own, on the same trace.
 *
 * Each configuration replays the workload trace in its own fresh child process (bench/alloc_child.ts;
 * rounds interleave them; a crash costs that configuration only):
 * - `native_debug_cpython`: native entry points, profile `cpython` (0xCD/0xDD/0xFD, 3S overhead, GIL check);
 * - `native_debug_pep445-2013`: profile `pep445-2013` (0xCB/0xDB/0xFB, 4S with the serial number, the
 *   pre-3.7 realloc);
 * - `cpython_debug`: libpython loaded (never initialised) and its own `PyMem_SetupDebugHooks()` called,
 *   which is what PYTHONMALLOC=debug installs; the trace replays through an entry table of libpython's
 *   PyMem_Raw*, PyMem_*, PyObject_* addresses.
 * For context it also times the Python workloads in real CPython with PYTHONMALLOC=debug vs unset
 * (whole runs, separate processes, alternating).
 *
 * Figure: `debug_vs_cpython_debug` = median over rounds of native (cpython profile) / CPython ns per op,
 * each round's children run back to back (goal <= 1.0), same
 * fill profile as CPython 3.11; the pep445-2013 ratio is reported beside it.
 *
 * Sample output: see the end of this file.
 * @module
 */
import { DEBUG_CONFIGS } from "../alloc_child.ts";
import { runChildren } from "../child_runs.ts";
import { pairedRatios } from "../harness.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { runDriver } from "./cpython_hook.ts";

export const debugHooks: Scenario = {
  name: "debug_hooks",
  description: "native debug hooks (both fill profiles) vs CPython's debug hooks on the same trace",
  params: (quick) => ({
    configs: [...DEBUG_CONFIGS],
    rounds: quick ? 1 : 5,
    repsPerChild: quick ? 2 : 3,
    pythonmallocRounds: quick ? 1 : 3,
    pythonmallocScale: quick ? 1 : 4,
  }),
  async run(ctx, p) {
    await ctx.native();
    const t = await ctx.workloadTrace();
    const { samples, perRound, errors } = runChildren(ctx, t, p.configs, p.rounds, p.repsPerChild);
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const notes = [`trace ${t.label}: ${t.source}`];
    if (!samples.cpython_debug) throw new Error(`CPython's debug hooks could not be replayed: ${errors.cpython_debug}`);
    ctx.print(`    ${"configuration".padEnd(26)} ${"ns/op".padStart(8)} ${"/ CPython".padStart(10)}`);
    for (const c of p.configs as string[]) {
      if (errors[c]) {
        notes.push(`${c}: not measured: ${errors[c]}`);
        ctx.print(`    ${c.padEnd(26)} ERROR ${errors[c]}`);
        continue;
      }
      const ns = median(samples[c]);
      rows.push({ name: `${c}`, unit: "ns/op", ...summarize(samples[c]) });
      const ratio = median(pairedRatios(perRound[c], perRound.cpython_debug));
      if (c !== "cpython_debug") {
        figures[`debug_ratio_${c.slice("native_debug_".length).replace(/[^a-z0-9]/g, "_")}`] = round(ratio);
        rows.push({ name: `${c} / cpython_debug (paired by round)`, unit: "x", ...summarize(pairedRatios(perRound[c], perRound.cpython_debug)) });
      }
      ctx.print(`    ${c.padEnd(26)} ${ns.toFixed(2).padStart(8)} ${ratio.toFixed(3).padStart(10)}`);
    }
    if (figures.debug_ratio_cpython !== undefined) figures.debug_vs_cpython_debug = figures.debug_ratio_cpython;
    else throw new Error(`native debug hooks (cpython profile) failed: ${errors.native_debug_cpython}`);

    // Context: PYTHONMALLOC=debug in real workloads (separate processes, alternating).
    const times: Record<string, number[]> = { default: [], debug: [] };
    for (let r = 0; r < p.pythonmallocRounds; r++) {
      for (const mode of r % 2 ? ["debug", "default"] : ["default", "debug"]) {
        const res = runDriver(ctx, ["time", "--scale", String(p.pythonmallocScale), "--rounds", "3"], { PYTHONMALLOC: mode === "debug" ? "debug" : "" });
        times[mode].push(Object.values(res.workloads as Record<string, number[]>).reduce((s, v) => s + median(v), 0) / 1e6);
      }
    }
    const pct = (median(times.debug) / median(times.default) - 1) * 100;
    rows.push({ name: "workloads, PYTHONMALLOC unset", unit: "ms", ...summarize(times.default) });
    rows.push({ name: "workloads, PYTHONMALLOC=debug", unit: "ms", ...summarize(times.debug) });
    figures.cpython_pythonmalloc_debug_overhead_pct = round(pct);
    ctx.print(`    real workloads: PYTHONMALLOC=debug costs ${pct.toFixed(1)}% over the default allocators`);
    return { rows, figures, notes };
  },
};
