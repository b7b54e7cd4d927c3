/**
 * How fast this machine runs code like ours right now: the CPU milliseconds of a fixed workload (Map
 * lookups, small arrays, JSON: allocation and branches, as the runtimes, compilers and interpreters of a
 * test run do). {@link speedSamples} runs one copy per CPU at once; tools/run_tests.ts does so before the
 * suites and after them and prints the numbers beside the wall time. On the 2-core VM this was written on
 * (2026-12-07), one vCPU ran this workload 1.6x slower than the other, and CPython's `sum(range(40_000_000))` 0.48 s on one and
 * 0.83 s on the other, varying from one minute to the next. A tight integer loop does not show it.
 *
 * @example
 * ```sh
 * deno run -A tools/speed_sample.ts     # prints e.g. 280
 * ```
 * @module
 */
import { availableParallelism } from "node:os";
import process from "node:process";
import { runScriptAsync } from "../core/child.ts";

/** CPU milliseconds of the fixed workload (`n` steps) in this process. */
export function speedSample(n = 400_000): number {
  const t0 = process.cpuUsage();
  const m = new Map<string, number[]>();
  let x = 0;
  for (let i = 0; i < n; i++) {
    const k = "k" + ((i * 2654435761) % 50021);
    const a = m.get(k) ?? [];
    a.push(i);
    if (a.length > 8) a.splice(0, 4);
    m.set(k, a);
    x += JSON.stringify(a).length;
  }
  const d = process.cpuUsage(t0);
  return x < 0 ? -1 : Math.round((d.user + d.system) / 1000); // x is never negative: it keeps the work
}

/**
 * The machine's speed now: this file in one process per CPU at once (each lands on a CPU of its
 * own on an idle machine), its CPU milliseconds each, sorted; `[]` if they cannot run.
 */
export async function speedSamples(cpus = availableParallelism()): Promise<number[]> {
  const runs = await Promise.all(
    Array.from({ length: cpus }, () => runScriptAsync(SPEED_SAMPLE, [], { timeoutMs: 120_000 })),
  );
  return runs.map((r) => Number(r.stdout.trim())).filter((n) => Number.isFinite(n) && n > 0).sort((a, b) =>
    a - b
  );
}
const SPEED_SAMPLE = new URL(import.meta.url).pathname;

if (import.meta.main) console.log(speedSample());
