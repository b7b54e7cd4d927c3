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
import { median } from "./stats.ts";

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

/** How {@link measurePaired} warms up. */
export interface WarmupOptions {
  /** samples compared per window (default 3) */
  window?: number;
  /** settled when every variant's median moved by less than this fraction between windows (default 0.03) */
  tolerance?: number;
  /** give up after this many rounds and measure anyway, saying so (default 40) */
  maxRounds?: number;
  /**
   * never stop before this many rounds (default 6): an engine may hold a plateau in a lower tier before
   * its optimising compiler takes over, which a short look would take for settled
   */
  minRounds?: number;
}

/** What the warm-up did: rounds run, and whether every variant settled within the limit. */
export interface WarmupResult {
  rounds: number;
  settled: boolean;
}

/**
 * True when the median of the last `w` samples differs from the median of the `w` before by less than
 * `tol` (relative): the JIT and the caches have settled. Needs 2w samples.
 */
export function hasSettled(xs: readonly number[], w: number, tol: number): boolean {
  if (xs.length < 2 * w) return false;
  const last = median(xs.slice(-w)), before = median(xs.slice(-2 * w, -w));
  if (!(before > 0)) return false;
  return Math.abs(last - before) / before < tol;
}

/**
 * Run the variants in rotating rounds, unmeasured, until each one's samples have settled
 * ({@link hasSettled}): a JIT-compiled variant (ref's TypeScript replay) runs slower in its first
 * rounds (interpreter, baseline tiers, then the optimising compiler), and counting those rounds in the
 * median moves the figure from run to run.
 */
export function warmUp(variants: readonly Variant[], o: WarmupOptions = {}): WarmupResult {
  const w = o.window ?? 3, tol = o.tolerance ?? 0.03, max = o.maxRounds ?? 40;
  const min = Math.min(o.minRounds ?? 6, max);
  const seen: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let r = 0; r < max; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length];
      seen[v.name].push(v.run());
    }
    if (r + 1 >= min && variants.every((v) => hasSettled(seen[v.name], w, tol))) {
      return { rounds: r + 1, settled: true };
    }
  }
  return { rounds: max, settled: false };
}

/**
 * {@link warmUp}, then {@link pairedRounds}: the samples of `rounds` measured rounds taken after every
 * variant settled, with what the warm-up did (reported beside the figure).
 *
 * @example
 * ```ts
 * import { measurePaired, pairedRatios } from "./harness.ts";
 * import { summarize } from "./stats.ts";
 * const m = measurePaired([{ name: "a", run: () => 1 }, { name: "b", run: () => 2 }], 21, { maxRounds: 10 });
 * console.log(m.warmup.rounds, summarize(pairedRatios(m.samples.b, m.samples.a)));
 * ```
 */
export function measurePaired(
  variants: readonly Variant[],
  rounds: number,
  warmup: WarmupOptions = {},
): { samples: Record<string, number[]>; warmup: WarmupResult } {
  const w = warmUp(variants, warmup);
  return { samples: pairedRounds(variants, rounds), warmup: w };
}

/** One line for a scenario's notes: what the warm-up of `label` did. */
export function warmupNote(label: string, w: WarmupResult, o: WarmupOptions = {}): string {
  const tol = ((o.tolerance ?? 0.03) * 100).toFixed(0);
  return w.settled
    ? `${label}: warm-up ${w.rounds} rounds (medians of ${o.window ?? 3} moved < ${tol}%)`
    : `${label}: warm-up did NOT settle within ${w.rounds} rounds (medians still moved >= ${tol}%): measured anyway`;
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
