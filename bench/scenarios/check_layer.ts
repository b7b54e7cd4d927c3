/**
 * Scenario `check_layer`: what the checking layer (debug/check/, `launchSpec({ check: true })`) costs on
 * real programs: the `programs` workloads (bench/workloads, one fresh process per sample) on each
 * allocator, without and with the layer directly above the allocator, PAIRED in the same run: per round
 * both variants run (the order alternating) and the ratio of their process CPU times is taken within the
 * round; per (program, allocator) the median over rounds, and the figure `check_layer_cpu_ratio` is the
 * geometric mean of those medians (spread: the per-round ratios of every pair).
 *
 * Goal (issue 19): the layer costs at most 1.5x CPU time (`check_layer_cpu_ratio` <= 1.5).
 *
 * @module
 */
import type { Row, Scenario } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { pairedRatios } from "../harness.ts";
import { type LaunchSpec, launchSpec } from "../../targets/launcher.ts";
import { checkLayerOptions } from "../../debug/check/launch.ts";
import { PROGRAMS, runProgram } from "./programs.ts";

/** Allocators measured: CPython's own, native pymalloc, glibc. */
export const CHECKED_ALLOCATORS: readonly string[] = ["cpython", "native", "libc:libc.so.6"];

const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export const checkLayer: Scenario = {
  name: "check_layer",
  description: "The checking layer's CPU cost on real programs: paired with/without it per allocator",
  params: (quick) => ({
    scale: quick ? 1 : 6,
    rounds: quick ? 1 : 7,
    programs: quick ? ["objects", "json_roundtrip"] : [...PROGRAMS],
    allocators: quick ? ["native"] : [...CHECKED_ALLOCATORS],
  }),
  run(ctx, p) {
    const rows: Row[] = [];
    const notes: string[] = [];
    const medians: number[] = [];
    const all: number[] = [];
    ctx.print(
      `    ${"program".padEnd(16)} ${"allocator".padEnd(16)} ${"CPU ms".padStart(9)} ${
        "checked".padStart(9)
      } ${"ratio".padStart(6)}  (paired medians of ${p.rounds} rounds)`,
    );
    for (const allocator of p.allocators as string[]) {
      let specs: [LaunchSpec, LaunchSpec];
      try {
        specs = [
          launchSpec({ target: allocator, python: ctx.python() }),
          launchSpec({ target: allocator, python: ctx.python(), check: checkLayerOptions() }),
        ];
      } catch (e) {
        notes.push(`${allocator}: not measured (${(e as Error).message.split("\n")[0]})`);
        continue;
      }
      for (const prog of p.programs as string[]) {
        const plain: number[] = [], checked: number[] = [];
        for (let r = 0; r < (p.rounds as number); r++) {
          const order = r % 2 === 0 ? [0, 1] : [1, 0];
          for (const k of order) {
            const s = runProgram(ctx, specs[k], prog, p.scale as number);
            (k === 0 ? plain : checked).push(s.cpu_ns / 1e6);
          }
        }
        const ratios = pairedRatios(checked, plain);
        medians.push(median(ratios));
        all.push(...ratios);
        rows.push({ name: `${prog} on ${allocator}: CPU time`, unit: "ms", ...summarize(plain) });
        rows.push({ name: `${prog} on ${allocator} + check: CPU time`, unit: "ms", ...summarize(checked) });
        rows.push({
          name: `${prog} on ${allocator}: check / plain (paired)`,
          unit: "x",
          ...summarize(ratios),
        });
        ctx.print(
          `    ${prog.padEnd(16)} ${allocator.padEnd(16)} ${median(plain).toFixed(1).padStart(9)} ${
            median(checked).toFixed(1).padStart(9)
          } ${median(ratios).toFixed(2).padStart(6)}`,
        );
      }
    }
    const figures: Record<string, number> = {};
    if (medians.length) {
      figures.check_layer_cpu_ratio = round(geomean(medians));
      const f = figures.check_layer_cpu_ratio;
      ctx.print(`    ${"geomean".padEnd(16)} ${"".padEnd(16)} check / plain ${f}x`);
      notes.push(
        `goal: the checking layer costs <= 1.5x CPU time on real programs (${f}x: ${
          f <= 1.5 ? "met" : "MISSED"
        })${ctx.quick ? " (quick run: do not read these numbers)" : ""}`,
      );
    }
    return Promise.resolve({
      rows,
      figures,
      spreads: all.length ? { check_layer_cpu_ratio: summarize(all) } : undefined,
      notes,
    });
  },
};
