/**
 * Runs a group of benchmarks with mitata and returns their stats.
 *
 * Full runs use mitata's own runner and table (`group` + `bench` + `run`); `--quick` runs use
 * mitata's `measure` with a tiny time budget (every benchmark runs a few times so the output is
 * complete and parses; the numbers are not meant to be read) and print a short table.
 *
 * The figures of a replay benchmark are usually not mitata's wall time but the per-operation time
 * the replay measured itself (inside C or around the TS loop): bench functions push those samples
 * into arrays the scenario owns; mitata's table still shows the whole call.
 *
 * @module
 */
import { bench, do_not_optimize, group, measure, run } from "mitata";

export { do_not_optimize };

export interface BenchDef {
  name: string;
  fn: () => unknown;
  baseline?: boolean;
  /**
   * Calls made before mitata sees the function. mitata batches a fast function only when its very
   * first call took under 500 µs; a first call that pays lazy initialisation (FFI callbacks, JIT) then
   * makes it time every call alone, timer overhead included. Use for nanosecond-scale benchmarks.
   */
  warmup?: number;
}

/** The stats kept per benchmark (ns per call). */
export interface BenchStats {
  /** the mitata group title */
  group: string;
  name: string;
  p50: number;
  p75: number;
  p99: number;
  avg: number;
  min: number;
  max: number;
  samples: number;
}

/**
 * Run `defs` as one mitata group titled `title`.
 *
 * @example
 * ```ts
 * import { do_not_optimize, runGroup } from "./harness.ts";
 * const s = await runGroup("array", [{ name: "alloc 64", fn: () => do_not_optimize(new Uint8Array(64)) }], {
 *   quick: true,
 *   print: console.log,
 * });
 * console.log(s[0].p50, "ns per call");
 * ```
 */
export async function runGroup(
  title: string,
  defs: readonly BenchDef[],
  o: { quick: boolean; print: (s: string) => void; recordBench?: (s: BenchStats) => void },
): Promise<BenchStats[]> {
  const out: BenchStats[] = [];
  for (const d of defs) for (let i = 0; i < (d.warmup ?? 0); i++) d.fn();
  if (o.quick) {
    o.print(`• ${title} (quick: few samples, not a measurement)`);
    for (const d of defs) {
      const s = await measure(d.fn, {
        min_cpu_time: 20e6,
        min_samples: 2,
        max_samples: 200,
        warmup_samples: 1,
      });
      out.push({
        group: title,
        name: d.name,
        p50: s.p50,
        p75: s.p75,
        p99: s.p99,
        avg: s.avg,
        min: s.min,
        max: s.max,
        samples: s.samples.length,
      });
      o.print(`  ${d.name.padEnd(44)} p50 ${fmtNs(s.p50).padStart(12)}   (${s.samples.length} samples)`);
    }
    for (const st of out) o.recordBench?.(st);
    return out;
  }
  group(title, () => {
    for (const d of defs) {
      const b = bench(d.name, d.fn);
      if (d.baseline) b.baseline(true);
    }
  });
  const res = await run({
    format: { mitata: { name: "longest" } },
    colors: false,
    print: o.print,
    throw: false,
  });
  for (const t of res.benchmarks) {
    for (const r of t.runs) {
      if (r.stats) {
        const st = r.stats;
        out.push({
          group: title,
          name: r.name,
          p50: st.p50,
          p75: st.p75,
          p99: st.p99,
          avg: st.avg,
          min: st.min,
          max: st.max,
          samples: st.samples.length,
        });
      } else {
        const e = r.error as any;
        throw new Error(`benchmark ${r.name} failed: ${e?.message ?? String(e)}`);
      }
    }
  }
  for (const st of out) o.recordBench?.(st);
  return out;
}

export function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(2)} ns`;
}

/** A variant of a paired comparison: one run returns its own figure (e.g. ns per op). */
export interface Variant {
  name: string;
  run: () => number;
}

/**
 * Paired, interleaved sampling: `rounds` rounds, each running every variant once, the starting variant
 * rotating from round to round. On a shared, noisy machine a slow phase then hits every variant of a
 * round alike, so per-round ratios ({@link pairedRatios}) are far steadier than a ratio of two medians
 * measured one after the other. Returns each variant's samples, index = round.
 *
 * @example
 * ```ts
 * import { pairedRatios, pairedRounds } from "./harness.ts";
 * import { median } from "./stats.ts";
 * const s = pairedRounds([{ name: "a", run: () => 1 }, { name: "b", run: () => 2 }], 11);
 * median(pairedRatios(s.b, s.a)); // 2
 * ```
 */
export function pairedRounds(variants: readonly Variant[], rounds: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of variants) out[v.name] = new Array(rounds);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length];
      out[v.name][r] = v.run();
    }
  }
  return out;
}

/** a[i] / b[i] for each round present in both. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (b[i] > 0 && Number.isFinite(a[i])) out.push(a[i] / b[i]);
  return out;
}

/** a[i] - b[i] for each round present in both. */
export function pairedDiffs(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.min(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(a[i] - b[i]);
  return out;
}
