/**
 * Scenario `debug_hooks`: the native debug hooks (PyMem_SetupDebugHooks, PEP 445 "Add a new
 * PyMem_SetupDebugHooks() function") against CPython's own, on the same trace.
 *
 * - native, both fill profiles: `cpython` (0xCD/0xDD/0xFD, 3S overhead, GIL check) and `pep445-2013`
 *   (0xCB/0xDB/0xFB, 4S with the serial number); the trace replays through the native entry points.
 * - CPython: libpython loaded (not initialised) into this process, its `PyMem_SetupDebugHooks()` called
 *   (what PYTHONMALLOC=debug installs), and the trace replayed through an entry table of libpython's
 *   PyMem_Raw*, PyMem_*, PyObject_* addresses. Its saved allocators are restored afterwards.
 * - For context: the Python workloads in real CPython with PYTHONMALLOC=debug vs unset (whole runs,
 *   separate processes, alternating).
 *
 * Figure: `debug_vs_cpython_debug` = native (cpython profile) / CPython ns per op (goal <= 1.0).
 *
 * Sample output: see the end of this file.
 * @module
 */
import { do_not_optimize, runGroup } from "../harness.ts";
import { entryTable, libpythonPath, nativeModule } from "../native_glue.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { runDriver } from "./cpython_hook.ts";

export const debugHooks: Scenario = {
  name: "debug_hooks",
  description: "native debug hooks (both fill profiles) vs CPython's debug hooks on the same trace",
  params: (quick) => ({ profiles: ["cpython", "pep445-2013"], pythonmallocRounds: quick ? 1 : 3, pythonmallocScale: quick ? 1 : 4 }),
  async run(ctx, p) {
    const n = await ctx.native();
    const m = await nativeModule(ctx.root);
    const t = await ctx.workloadTrace();
    const lp = libpythonPath(ctx.python());
    const py = m.loadPep445Library(lp);
    const entries = entryTable(m, lp);
    const perOp: Record<string, number[]> = {};
    const push = (k: string, r: { ns: number; ops: number }) => (perOp[k] ??= []).push(r.ns / r.ops);

    const nativeDebug = (profile: string) => () => {
      n.reset({ profile });
      n.PyMem_SetupDebugHooks();
      const r = n.replay(t.trace.bytes);
      push(`native ${profile}`, r);
      do_not_optimize(r);
    };
    let cpythonDebug: (() => void) | null = null;
    const saved = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
    py.PyMem_SetupDebugHooks();
    cpythonDebug = () => {
      const r = n.replay(t.trace.bytes, { entries });
      push("cpython", r);
      do_not_optimize(r);
    };
    try {
      await runGroup(`debug hooks: ${t.label} (${t.trace.nops} ops)`, [
        { name: "CPython debug hooks (libpython)", fn: cpythonDebug, baseline: true },
        ...(p.profiles as string[]).map((pr) => ({ name: `native debug hooks, profile ${pr}`, fn: nativeDebug(pr) })),
      ], ctx);
    } finally {
      for (const d of [0, 1, 2]) py.PyMem_SetAllocator(d, saved[d]);
      n.reset({ profile: "cpython" });
    }
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const base = median(perOp.cpython);
    rows.push({ name: "CPython debug hooks", unit: "ns/op", ...summarize(perOp.cpython) });
    for (const pr of p.profiles as string[]) {
      const k = `native ${pr}`;
      rows.push({ name: `native debug hooks (${pr})`, unit: "ns/op", ...summarize(perOp[k]) });
      const ratio = round(median(perOp[k]) / base);
      figures[`debug_ratio_${pr.replace(/[^a-z0-9]/g, "_")}`] = ratio;
      ctx.print(`    native ${pr} / CPython debug = ${ratio.toFixed(3)}`);
    }
    figures.debug_vs_cpython_debug = figures.debug_ratio_cpython;

    // Context: PYTHONMALLOC=debug in real workloads (separate processes, alternating).
    const times: Record<string, number[]> = { default: [], debug: [] };
    for (let r = 0; r < p.pythonmallocRounds; r++) {
      for (const mode of r % 2 ? ["debug", "default"] : ["default", "debug"]) {
        const env: Record<string, string> = mode === "debug" ? { PYTHONMALLOC: "debug" } : { PYTHONMALLOC: "" };
        const res = runDriver(ctx, ["time", "--scale", String(p.pythonmallocScale), "--rounds", "3"], env);
        const total = Object.values(res.workloads as Record<string, number[]>).reduce((s, v) => s + median(v), 0);
        times[mode].push(total / 1e6);
      }
    }
    const pct = (median(times.debug) / median(times.default) - 1) * 100;
    rows.push({ name: "workloads, PYTHONMALLOC unset", unit: "ms", ...summarize(times.default) });
    rows.push({ name: "workloads, PYTHONMALLOC=debug", unit: "ms", ...summarize(times.debug) });
    figures.cpython_pythonmalloc_debug_overhead_pct = round(pct);
    ctx.print(`    real workloads: PYTHONMALLOC=debug costs ${pct.toFixed(1)}% over the default allocators`);
    return {
      rows,
      figures,
      notes: [`trace ${t.label}: ${t.source}`, `CPython's hooks: ${lp} PyMem_SetupDebugHooks() before Py_Initialize (never initialised here)`],
    };
  },
};
