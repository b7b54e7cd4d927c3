/**
 * Scenario `pymalloc`: native pymalloc against CPython's obmalloc on the same trace, with glibc,
 * jemalloc, mimalloc and tcmalloc as the raw allocator for scale. Each allocator replays the workload
 * trace in its own fresh child process (bench/alloc_child.ts), in rounds that interleave the
 * allocators; reported per allocator: median ns/op (C-side replay timing) and fragmentation = peak
 * RSS growth during the first replay / peak live requested bytes ("ideal RSS", as glibc's malloc
 * trace tools). Figure: `pymalloc_vs_cpython` = median over rounds of native / CPython ns per op, each
 * round's two children run back to back (goal <= 1.0).
 *
 * - native_pymalloc: the native library's entry points (cpython profile: MEM and OBJ use pymalloc).
 * - cpython_obmalloc: libpython's PyMem_Raw*, PyMem_*, PyObject_* replayed through an entry table
 *   (libpython loaded but not initialised: its allocators are statically set up).
 * - glibc/jemalloc/mimalloc/tcmalloc: every operation goes straight to that malloc family
 *   (`libcAllocator`), whatever the domain.
 *
 * Sample output: see the end of this file.
 * @module
 */
import { ALLOCATORS } from "../alloc_child.ts";
import { runChildren } from "../child_runs.ts";
import { pairedRatios } from "../harness.ts";
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";

export const pymalloc: Scenario = {
  name: "pymalloc",
  description: "native pymalloc vs CPython obmalloc vs glibc/jemalloc/mimalloc/tcmalloc: ns/op and fragmentation",
  params: (quick) => ({ rounds: quick ? 1 : 5, repsPerChild: quick ? 2 : 3, allocators: Object.keys(ALLOCATORS) }),
  async run(ctx, p) {
    await ctx.native(); // builds the library once, before the children
    const t = await ctx.workloadTrace();
    const notes: string[] = [`trace ${t.label}: ${t.source}`];
    const { samples, perRound, peakHeap, peakLive, errors } = runChildren(ctx, t, p.allocators, p.rounds, p.repsPerChild);
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    ctx.print(`    ${"allocator".padEnd(18)} ${"ns/op".padStart(8)} ${"peak RSS MiB".padStart(13)} ${"ideal MiB".padStart(10)} ${"frag".padStart(6)}`);
    for (const name of p.allocators as string[]) {
      if (errors[name]) {
        notes.push(`${name}: not measured: ${errors[name]}`);
        ctx.print(`    ${name.padEnd(18)} ERROR ${errors[name]}`);
        continue;
      }
      const ns = median(samples[name]);
      const heap = median(peakHeap[name]), live = peakLive[name];
      const fr = heap / live;
      rows.push({ name: `${name}: time`, unit: "ns/op", ...summarize(samples[name]) });
      rows.push({ name: `${name}: fragmentation (peak RSS / peak live)`, unit: "x", median: round(fr), n: peakHeap[name].length, extra: { peakHeapBytes: heap, peakLiveBytes: live } });
      figures[`pymalloc_ns_per_op_${name}`] = round(ns);
      figures[`pymalloc_fragmentation_${name}`] = round(fr);
      ctx.print(`    ${name.padEnd(18)} ${ns.toFixed(2).padStart(8)} ${(heap / 2 ** 20).toFixed(2).padStart(13)} ${(live / 2 ** 20).toFixed(2).padStart(10)} ${fr.toFixed(2).padStart(6)}`);
    }
    if (samples.native_pymalloc && samples.cpython_obmalloc) {
      const ratios = pairedRatios(perRound.native_pymalloc, perRound.cpython_obmalloc);
      rows.push({ name: "native_pymalloc / cpython_obmalloc (paired by round)", unit: "x", ...summarize(ratios) });
      figures.pymalloc_vs_cpython = round(median(ratios));
      ctx.print(`    native pymalloc / CPython obmalloc = ${figures.pymalloc_vs_cpython.toFixed(3)} (goal <= 1.0)`);
    } else {
      throw new Error(`native_pymalloc or cpython_obmalloc failed: ${errors.native_pymalloc ?? errors.cpython_obmalloc}`);
    }
    return { rows, figures, notes };
  },
};
