/**
 * Child processes of the allocator scenarios (bench/alloc_child.ts).
 *
 * - `memoryChildren`: one fresh child per configuration for the peak RSS of a first replay on a clean
 *   heap (fragmentation); a crash or a missing library is recorded per configuration.
 * - `timingChildren`: `rounds` children, each replaying every configuration of a group in turn, replay
 *   by replay; ratios are paired within a child (same round of replays), which keeps them steady on a
 *   busy machine.
 *
 * @module
 */
import { join } from "node:path";
import { runScript } from "../core/child.ts";
import { STATIC_TLS_ENV } from "../core/env.ts";
import type { ScenarioContext, TraceInput } from "./scenario.ts";

/** Run alloc_child once; the parsed JSON or a one-line error. */
export function runAllocChild(
  ctx: ScenarioContext,
  t: TraceInput,
  configs: readonly string[],
  reps: number,
): { ok: true; json: any } | { ok: false; error: string } {
  const args = [
    "--alloc",
    configs.join(","),
    "--trace",
    t.path,
    "--reps",
    String(reps),
    "--python",
    ctx.python(),
  ];
  const r = runScript(join(ctx.root, "bench", "alloc_child.ts"), args, {
    runtime: ctx.runtime,
    exposeGc: true,
    timeoutMs: 600_000,
    // the controlled environment (no MALLOC_* / GLIBC_TUNABLES of the caller's shell moves the figures), and
    // jemalloc's initial-exec TLS needs room in the static TLS block (core/env.ts: the one tunables policy)
    env: STATIC_TLS_ENV,
  });
  if (r.status !== 0) {
    const lines = (r.stderr || "").split("\n");
    const own = lines.find((l) => l.startsWith("alloc_child:"));
    const libc = lines.find((l) => /corrupt|invalid|double free|free\(\)|malloc\(\)/.test(l));
    return {
      ok: false,
      error: own
        ? own.replace(/^alloc_child: /, "")
        : `child crashed (${r.signal ?? `exit ${r.status}`})${libc ? `: ${libc.trim()}` : ""}`,
    };
  }
  return { ok: true, json: JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]) };
}

/** Peak RSS growth of a first replay, one fresh child per configuration. */
export function memoryChildren(ctx: ScenarioContext, t: TraceInput, configs: readonly string[]): {
  peakHeap: Record<string, number>;
  peakLive: Record<string, number>;
  errors: Record<string, string>;
} {
  const out = {
    peakHeap: {} as Record<string, number>,
    peakLive: {} as Record<string, number>,
    errors: {} as Record<string, string>,
  };
  for (const name of configs) {
    const r = runAllocChild(ctx, t, [name], 0);
    if (!r.ok) out.errors[name] = r.error;
    else {
      out.peakHeap[name] = r.json.peakHeapBytes;
      out.peakLive[name] = r.json.peakLiveBytes;
    }
  }
  return out;
}

/**
 * `rounds` children, each with `reps` interleaved replays of every configuration in `configs`.
 * Samples are concatenated in order, so index i of every configuration is the same replay round.
 */
export function timingChildren(
  ctx: ScenarioContext,
  t: TraceInput,
  configs: readonly string[],
  rounds: number,
  reps: number,
): {
  samples: Record<string, number[]>;
  error?: string;
} {
  const samples: Record<string, number[]> = Object.fromEntries(configs.map((c) => [c, []]));
  for (let i = 0; i < rounds; i++) {
    const r = runAllocChild(ctx, t, configs, reps);
    if (!r.ok) return { samples, error: r.error };
    for (const c of configs) samples[c].push(...r.json.samples[c]);
  }
  return { samples };
}
