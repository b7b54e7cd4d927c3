/**
 * Runs bench/alloc_child.ts once per configuration and round (rounds interleave the configurations,
 * so slow drifts of a shared machine hit all of them alike) and gathers ns/op samples and peak heap.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ALLOCATORS } from "./alloc_child.ts";
import { scriptCommand } from "./runtime.ts";
import type { ScenarioContext, TraceInput } from "./scenario.ts";
import { median } from "./stats.ts";

export interface ChildRuns {
  /** ns/op samples per configuration */
  samples: Record<string, number[]>;
  /** per configuration, the median ns/op of each round's child (index = round; NaN when it failed) */
  perRound: Record<string, number[]>;
  /** peak RSS growth (bytes) of each child's first replay */
  peakHeap: Record<string, number[]>;
  peakLive: Record<string, number>;
  /** one line per configuration that could not be measured */
  errors: Record<string, string>;
}

/**
 * Replay `t` under each configuration in its own child, `rounds` times.
 *
 * @example
 * ```ts
 * const r = runChildren(ctx, t, ["glibc", "mimalloc"], 3, 5);
 * ```
 */
export function runChildren(ctx: ScenarioContext, t: TraceInput, configs: readonly string[], rounds: number, reps: number): ChildRuns {
  const out: ChildRuns = { samples: {}, perRound: {}, peakHeap: {}, peakLive: {}, errors: {} };
  for (let round = 0; round < rounds; round++) {
    for (const name of configs) {
      if (out.errors[name]) continue;
      const spec = ALLOCATORS[name];
      if (spec && spec.lib.startsWith("/") && !existsSync(spec.lib)) {
        out.errors[name] = `${spec.lib} is not installed (apt-get install the Debian package)`;
        continue;
      }
      const { cmd, argv } = scriptCommand(ctx.root, ctx.runtime, join(ctx.root, "bench", "alloc_child.ts"), [
        "--alloc", name, "--trace", t.path, "--reps", String(reps), "--python", ctx.python(),
      ]);
      const r = spawnSync(cmd, argv, {
        encoding: "utf8",
        timeout: 300_000,
        // jemalloc's initial-exec TLS needs room in the static TLS block (third-party-allocators.md)
        env: { ...process.env, GLIBC_TUNABLES: "glibc.rtld.optional_static_tls=65536" },
      });
      if (r.status !== 0) {
        const own = (r.stderr || "").split("\n").find((l) => l.startsWith("alloc_child:"));
        const libc = (r.stderr || "").split("\n").find((l) => /corrupt|invalid|double free|free\(\)|malloc\(\)/.test(l));
        out.errors[name] = own
          ? own.replace(/^alloc_child: /, "")
          : `child crashed (${r.signal ?? `exit ${r.status}`})${libc ? `: ${libc.trim()}` : ""}`;
        continue;
      }
      const j = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]);
      (out.samples[name] ??= []).push(...j.samples);
      (out.perRound[name] ??= [])[round] = median(j.samples);
      (out.peakHeap[name] ??= []).push(j.peakHeapBytes);
      out.peakLive[name] = j.peakLiveBytes;
    }
  }
  return out;
}
