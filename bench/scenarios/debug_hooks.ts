/**
 * Scenario `debug_hooks`: the native debug hooks (PyMem_SetupDebugHooks, PEP 445 "Add a new
 * PyMem_SetupDebugHooks() function") against CPython's own, on the same trace.
 *
 * Each native profile is paired with CPython's hooks in child processes (bench/alloc_child.ts) that
 * replay the workload trace with both in turn, replay by replay, timed by the thread's CPU time per op
 * (bench/cpu_clock.ts; a crash costs that pair only):
 * - `native_debug_cpython`: native entry points, profile `cpython` (0xCD/0xDD/0xFD, 3S overhead, GIL check);
 * - `native_debug_pep445-2013`: profile `pep445-2013` (0xCB/0xDB/0xFB, 4S with the serial number, the
 *   pre-3.7 realloc);
 * - `cpython_debug`: libpython loaded (never initialised) and its own `PyMem_SetupDebugHooks()` called,
 *   which is what PYTHONMALLOC=debug installs; the trace replays through an entry table of libpython's
 *   PyMem_Raw*, PyMem_*, PyObject_* addresses.
 * For context it also times the Python workloads in real CPython with PYTHONMALLOC=debug vs unset
 * (whole runs, separate processes, alternating).
 *
 * Figure: `debug_vs_cpython_debug` = median of the paired native (cpython profile) / CPython ns-per-op
 * ratios (goal <= 1.0), same
 * fill profile as CPython 3.11; the pep445-2013 ratio is reported beside it.
 *
 * Sample output: the SAMPLE OUTPUT comment at the end of this file.
 * @module
 */
import { DEBUG_CONFIGS } from "../alloc_child.ts";
import { timingChildren } from "../child_runs.ts";
import { pairedRatios } from "../harness.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize, type Summary } from "../stats.ts";
import { runDriver } from "./cpython_hook.ts";

export const debugHooks: Scenario = {
  name: "debug_hooks",
  description: "native debug hooks (both fill profiles) vs CPython's debug hooks on the same trace",
  params: (quick) => ({
    configs: [...DEBUG_CONFIGS],
    timingChildren: quick ? 1 : 3,
    roundsPerChild: quick ? 2 : 7, // 3 children x 7 = 21 paired samples, as the other figures
    pythonmallocRounds: quick ? 1 : 5,
    pythonmallocScale: quick ? 1 : 4,
  }),
  async run(ctx, p) {
    await ctx.native();
    const t = await ctx.workloadTrace();
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    const notes = [`trace ${t.label}: ${t.source}`];
    ctx.print(
      `    ${"configuration".padEnd(26)} ${"ns/op".padStart(8)} ${"CPython".padStart(8)} ${
        "ratio".padStart(7)
      }  (paired replay by replay)`,
    );
    for (const c of (p.configs as string[]).filter((x) => x !== "cpython_debug")) {
      // one pair per child group: a crash of one native profile cannot take the other down
      const { samples, error } = timingChildren(
        ctx,
        t,
        ["cpython_debug", c],
        p.timingChildren,
        p.roundsPerChild,
      );
      const key = `debug_ratio_${c.slice("native_debug_".length).replace(/[^a-z0-9]/g, "_")}`;
      if (error || samples[c].length === 0) {
        notes.push(`${c}: not measured: ${error}`);
        ctx.print(`    ${c.padEnd(26)} ERROR ${error}`);
        continue;
      }
      const ratios = pairedRatios(samples[c], samples.cpython_debug);
      rows.push({ name: `${c} (thread CPU)`, unit: "ns/op", ...summarize(samples[c]) });
      rows.push({
        name: `cpython_debug (paired with ${c})`,
        unit: "ns/op",
        ...summarize(samples.cpython_debug),
      });
      rows.push({ name: `${c} / cpython_debug (paired)`, unit: "x", ...summarize(ratios) });
      figures[key] = round(median(ratios));
      spreads[key] = summarize(ratios);
      ctx.print(
        `    ${c.padEnd(26)} ${median(samples[c]).toFixed(2).padStart(8)} ${
          median(samples.cpython_debug).toFixed(2).padStart(8)
        } ${median(ratios).toFixed(3).padStart(7)}`,
      );
    }
    if (figures.debug_ratio_cpython !== undefined) {
      figures.debug_vs_cpython_debug = figures.debug_ratio_cpython;
      if (spreads.debug_ratio_cpython) spreads.debug_vs_cpython_debug = spreads.debug_ratio_cpython;
    } else {throw new Error(
        `native debug hooks (cpython profile) vs CPython's could not be measured: ${
          notes.slice(1).join("; ")
        }`,
      );}

    // Context: PYTHONMALLOC=debug in real workloads (separate processes, alternating).
    const times: Record<string, number[]> = { default: [], debug: [] };
    for (let r = 0; r < p.pythonmallocRounds; r++) {
      for (const mode of r % 2 ? ["debug", "default"] : ["default", "debug"]) {
        const res = runDriver(ctx, ["time", "--scale", String(p.pythonmallocScale), "--rounds", "3"], {
          PYTHONMALLOC: mode === "debug" ? "debug" : "",
        });
        times[mode].push(
          Object.values(res.workloads as Record<string, number[]>).reduce((s, v) => s + median(v), 0) / 1e6,
        );
      }
    }
    const pct = (median(times.debug) / median(times.default) - 1) * 100;
    rows.push({ name: "workloads, PYTHONMALLOC unset (CPU)", unit: "ms", ...summarize(times.default) });
    rows.push({ name: "workloads, PYTHONMALLOC=debug (CPU)", unit: "ms", ...summarize(times.debug) });
    figures.cpython_pythonmalloc_debug_overhead_pct = round(pct);
    ctx.print(`    real workloads: PYTHONMALLOC=debug costs ${pct.toFixed(1)}% over the default allocators`);
    return { rows, figures, spreads, notes };
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 0.52 -> 2.49):

=== debug_hooks [bun] — native debug hooks (both fill profiles) vs CPython's debug hooks on the same trace
    params: {"configs":["cpython_debug","native_debug_cpython","native_debug_pep445-2013"],"timingChildren":3,"roundsPerChild":5,"pythonmallocRounds":5,"pythonmallocScale":4}
    configuration                 ns/op  CPython   ratio  (paired replay by replay)
    native_debug_cpython          21.74    19.24   1.108
    native_debug_pep445-2013      25.85    20.67   1.358
    real workloads: PYTHONMALLOC=debug costs 43.1% over the default allocators
*/
