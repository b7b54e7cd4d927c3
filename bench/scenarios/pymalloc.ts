/**
 * Scenario `pymalloc`: native pymalloc against CPython's obmalloc on the same trace, with glibc,
 * jemalloc, mimalloc and tcmalloc as the raw allocator for scale (bench/alloc_child.ts children):
 * - fragmentation: one fresh child per allocator replays a trace once; peak RSS growth during that
 *   replay / peak live requested bytes ("ideal RSS", as glibc's malloc trace tools). The figure uses the
 *   synthetic trace (16 MB live at its peak, so page granularity and a JS runtime's own RSS jitter are
 *   small against it); the workload trace (under 1 MiB live) is reported beside it;
 * - time: children that replay the trace with every allocator in turn, replay by replay (the thread's
 *   CPU time per op of each replay call, bench/cpu_clock.ts);
 *   ratios are paired replay by replay. Figure: `pymalloc_vs_cpython` = median of the paired
 *   native / CPython ratios (goal <= 1.0).
 *
 * - native_pymalloc: the native library's entry points (cpython profile: MEM and OBJ use pymalloc).
 * - cpython_obmalloc: libpython's PyMem_Raw*, PyMem_*, PyObject_* replayed through an entry table
 *   (libpython loaded but not initialised: its allocators are statically set up).
 * - glibc/jemalloc/mimalloc/tcmalloc: every operation goes straight to that malloc family
 *   (`libcAllocator`), whatever the domain.
 *
 * Sample output: the SAMPLE OUTPUT comment at the end of this file.
 * @module
 */
import { ALLOCATORS, configSpec, targetLabel } from "../alloc_child.ts";
import { memoryChildren, timingChildren } from "../child_runs.ts";
import { pairedRatios } from "../harness.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize, type Summary } from "../stats.ts";

export const pymalloc: Scenario = {
  name: "pymalloc",
  description:
    "native pymalloc vs CPython obmalloc vs glibc/jemalloc/mimalloc/tcmalloc: ns/op and fragmentation",
  params: (quick) => ({
    allocators: Object.keys(ALLOCATORS),
    timingChildren: quick ? 1 : 3,
    roundsPerChild: quick ? 2 : 7,
    fragmentationTraces: ["synthetic", "workload"],
    syntheticOps: quick ? 50_000 : 1_000_000,
  }),
  async run(ctx, p) {
    await ctx.native(); // builds the library once, before the children
    const t = await ctx.workloadTrace();
    const syn = ctx.syntheticTrace(p.syntheticOps);
    const notes: string[] = [
      `trace ${t.label}: ${t.source}`,
      `fragmentation trace ${syn.label}: ${syn.source}`,
    ];
    // --target: the two references, then the user's targets (each `LABEL=SPEC`, alloc_child.ts)
    const allocators: string[] = ctx.targets.length
      ? ["native_pymalloc", "cpython_obmalloc", ...ctx.targets.map((t) => `${targetLabel(t)}=${t}`)]
      : p.allocators;
    if (ctx.targets.length) {
      notes.push(`--target: ${ctx.targets.join(", ")} (instead of the default comparison)`);
    }
    const label = (name: string) => configSpec(name).label;
    const mem = memoryChildren(ctx, syn, allocators);
    const memWl = memoryChildren(ctx, t, allocators);
    const usable = allocators.filter((a) => !mem.errors[a]);
    for (const a of allocators) {
      if (mem.errors[a]) notes.push(`${label(a)}: not measured: ${mem.errors[a]}`);
    }
    if (!usable.includes("native_pymalloc") || !usable.includes("cpython_obmalloc")) {
      throw new Error(
        `native_pymalloc or cpython_obmalloc failed: ${
          mem.errors.native_pymalloc ?? mem.errors.cpython_obmalloc
        }`,
      );
    }
    const { samples, error } = timingChildren(ctx, t, usable, p.timingChildren, p.roundsPerChild);
    if (error) throw new Error(`timing child failed: ${error}`);
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    ctx.print(
      `    ${"".padEnd(18)} ${"".padStart(8)} ${"".padStart(11)}   ${
        `fragmentation, ${syn.label}`.padEnd(31)
      }   workload`,
    );
    ctx.print(
      `    ${"allocator".padEnd(18)} ${"ns/op".padStart(8)} ${"/ obmalloc".padStart(11)} ${
        "peak RSS MiB".padStart(13)
      } ${"ideal MiB".padStart(10)} ${"frag".padStart(6)} ${"frag".padStart(10)}`,
    );
    for (const key of allocators) {
      if (mem.errors[key]) {
        ctx.print(`    ${label(key).padEnd(18)} ERROR ${mem.errors[key]}`);
        continue;
      }
      const name = label(key);
      const ns = median(samples[key]);
      const vs = pairedRatios(samples[key], samples.cpython_obmalloc);
      const heap = mem.peakHeap[key], live = mem.peakLive[key];
      const fr = heap / live;
      const frWl = memWl.errors[key] ? NaN : memWl.peakHeap[key] / memWl.peakLive[key];
      rows.push({ name: `${name}: time (thread CPU)`, unit: "ns/op", ...summarize(samples[key]) });
      rows.push({ name: `${name} / cpython_obmalloc (paired)`, unit: "x", ...summarize(vs) });
      rows.push({
        name: `${name}: fragmentation, ${syn.label} (peak RSS growth / peak live)`,
        unit: "x",
        median: round(fr),
        n: 1,
        extra: { peakHeapBytes: heap, peakLiveBytes: live },
      });
      rows.push({
        name: `${name}: fragmentation, ${t.label} (peak RSS growth / peak live)`,
        unit: "x",
        median: round(frWl),
        n: 1,
        extra: { peakHeapBytes: memWl.peakHeap[key], peakLiveBytes: memWl.peakLive[key] },
      });
      figures[`pymalloc_ns_per_op_${name}`] = round(ns);
      figures[`pymalloc_ratio_${name}`] = round(median(vs));
      spreads[`pymalloc_ratio_${name}`] = summarize(vs);
      spreads[`pymalloc_ns_per_op_${name}`] = summarize(samples[key]);
      figures[`pymalloc_fragmentation_${name}`] = round(fr);
      if (Number.isFinite(frWl)) figures[`pymalloc_fragmentation_workload_${name}`] = round(frWl);
      ctx.print(
        `    ${name.padEnd(18)} ${ns.toFixed(2).padStart(8)} ${median(vs).toFixed(3).padStart(11)} ${
          (heap / 2 ** 20).toFixed(2).padStart(13)
        } ${(live / 2 ** 20).toFixed(2).padStart(10)} ${fr.toFixed(2).padStart(6)} ${
          frWl.toFixed(2).padStart(10)
        }`,
      );
    }
    figures.pymalloc_vs_cpython = figures.pymalloc_ratio_native_pymalloc;
    if (spreads.pymalloc_ratio_native_pymalloc) {
      spreads.pymalloc_vs_cpython = spreads.pymalloc_ratio_native_pymalloc;
    }
    ctx.print(
      `    native pymalloc / CPython obmalloc = ${figures.pymalloc_vs_cpython.toFixed(3)} (goal <= 1.0)`,
    );
    return { rows, figures, spreads, notes };
  },
};

/* SAMPLE OUTPUT (`npx bun bench`, 2026-11-24, 2-core AMD EPYC VM shared with other jobs, load average 0.52 -> 2.49):

=== pymalloc [bun] — native pymalloc vs CPython obmalloc vs glibc/jemalloc/mimalloc/tcmalloc: ns/op and fragmentation
    params: {"allocators":["native_pymalloc","cpython_obmalloc","glibc","jemalloc","mimalloc","tcmalloc"],"timingChildren":3,"roundsPerChild":7,"fragmentationTraces":["synthetic","workload"],"syntheticOps":1000000}
                                              fragmentation, synthetic 1000000   workload
    allocator             ns/op  / obmalloc  peak RSS MiB  ideal MiB   frag       frag
    native_pymalloc       10.55       1.039         18.15      15.60   1.16       2.46
    cpython_obmalloc       9.66       1.000         18.61      15.60   1.19       2.63
    glibc                 14.56       1.425         18.05      15.60   1.16       2.50
    jemalloc              10.37       1.010         15.32      15.60   0.98       3.03
    mimalloc               8.04       0.822         20.89      15.60   1.34       4.47
    tcmalloc               8.43       0.799         21.15      15.60   1.36       3.45
    native pymalloc / CPython obmalloc = 1.039 (goal <= 1.0)
*/
