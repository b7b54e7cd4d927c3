/**
 * Scenario `programs` (mimalloc-bench style): whole Python programs run by the machine's real CPython on
 * each allocator through the one launcher (targets/launcher.ts): the pybench-style workloads of
 * bench/workloads and stdlib-heavy programs (xml.etree, compile() of large modules, difflib), one fresh
 * process per sample (bench/workloads/program.py), so the peak RSS is the program's.
 *
 * Figures, each a ratio to CPython's own obmalloc (allocator `cpython`, nothing installed) measured
 * PAIRED in the same run: per round every allocator runs the program once, the order rotating, and the
 * ratio is taken within the round; the figure is the median over rounds (spread: min..max), and per
 * allocator the geometric mean of the programs' medians (`programs_time_<alloc>`, `programs_rss_<alloc>`).
 * CPU time = process CPU time of the program's run(scale) (time.process_time_ns), not the wall clock.
 *
 * Goal (stated in the notes, judged on the geometric means): native pymalloc (`native`, CPython 3.10+
 * geometry) <= 1.0x obmalloc's CPU time and <= 1.05x its peak RSS on real programs, not only on replayed
 * traces. Third-party allocators are reported, not judged. A missing library (jemalloc, mimalloc,
 * tcmalloc not installed) is a note; the rest runs.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { pairedRatios } from "../harness.ts";
import { type LaunchSpec, launchSpec } from "../../targets/launcher.ts";

/** The programs (modules of bench/workloads with run(scale)). */
export const PROGRAMS: readonly string[] = [
  "objects",
  "containers",
  "strings",
  "json_roundtrip",
  "regex",
  "recursion",
  "etree_roundtrip",
  "compile_module",
  "difflib_lines",
];

/** Allocators compared with the baseline `cpython` (CPython's obmalloc). */
export const ALLOCATORS: readonly string[] = [
  "native",
  "native:pep445",
  "libc:libc.so.6",
  "libc:libjemalloc.so.2",
  "libc:libmimalloc.so.2:mi_",
  "libc:libtcmalloc_minimal.so.4:tc_",
];

const BASE = "cpython";

/** One run of a program: its process CPU time and peak RSS. */
export interface Sample {
  cpu_ns: number;
  maxrss_kb: number;
}

/** Runs bench/workloads/program.py NAME SCALE on `spec` once (a fresh process); throws on failure. */
export function runProgram(ctx: ScenarioContext, spec: LaunchSpec, name: string, scale: number): Sample {
  const script = join(ctx.root, "bench", "workloads", "program.py");
  const r = spawnSync(spec.exe, [...spec.argvPrefix, script, name, String(scale)], {
    env: spec.env,
    encoding: "utf8",
    timeout: 600_000,
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || "").trim().split("\n").slice(-1)[0];
    throw new Error(`${name} on ${spec.allocator} failed (${r.signal ?? `exit ${r.status}`}): ${why}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]);
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export const programs: Scenario = {
  name: "programs",
  description: "Real Python programs on each allocator via the launcher: CPU time and peak RSS vs obmalloc",
  params: (quick) => ({
    scale: quick ? 1 : 6,
    rounds: quick ? 1 : 7,
    programs: quick ? ["objects", "json_roundtrip", "etree_roundtrip"] : [...PROGRAMS],
    allocators: quick ? ["native"] : [...ALLOCATORS],
  }),
  run(ctx, p) {
    const notes: string[] = [];
    const specs: Record<string, LaunchSpec> = {
      [BASE]: launchSpec({ target: BASE, python: ctx.python() }),
    };
    const targets: readonly string[] = ctx.targets.length ? ctx.targets : p.allocators;
    if (ctx.targets.length) {
      notes.push(`--target: ${ctx.targets.join(", ")} (instead of the default allocators)`);
    }
    for (const a of targets) {
      try {
        specs[a] = launchSpec({ target: a, python: ctx.python() });
      } catch (e) {
        notes.push(`${a}: not measured (${(e as Error).message.split("\n")[0]})`);
      }
    }
    const names = Object.keys(specs);
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const timeMedians: Record<string, number[]> = {}, rssMedians: Record<string, number[]> = {};
    ctx.print(
      `    ${"program".padEnd(16)} ${"allocator".padEnd(34)} ${"CPU ms".padStart(9)} ${
        "time x".padStart(7)
      } ${"RSS MB".padStart(7)} ${"RSS x".padStart(6)}  (paired medians of ${p.rounds} rounds)`,
    );
    for (const prog of p.programs as string[]) {
      const cpu: Record<string, number[]> = {}, rss: Record<string, number[]> = {};
      for (const n of names) (cpu[n] = []), (rss[n] = []);
      for (let r = 0; r < p.rounds; r++) {
        for (let k = 0; k < names.length; k++) {
          const n = names[(r + k) % names.length];
          const s = runProgram(ctx, specs[n], prog, p.scale);
          cpu[n].push(s.cpu_ns / 1e6);
          rss[n].push(s.maxrss_kb / 1024);
        }
      }
      for (const n of names) {
        const t = pairedRatios(cpu[n], cpu[BASE]), m = pairedRatios(rss[n], rss[BASE]);
        rows.push({ name: `${prog} on ${n}: CPU time`, unit: "ms", ...summarize(cpu[n]) });
        rows.push({ name: `${prog} on ${n}: peak RSS`, unit: "MB", ...summarize(rss[n]) });
        if (n !== BASE) {
          rows.push({ name: `${prog} on ${n}: CPU time / obmalloc (paired)`, unit: "x", ...summarize(t) });
          rows.push({ name: `${prog} on ${n}: peak RSS / obmalloc (paired)`, unit: "x", ...summarize(m) });
          (timeMedians[n] ??= []).push(median(t));
          (rssMedians[n] ??= []).push(median(m));
        }
        ctx.print(
          `    ${prog.padEnd(16)} ${n.padEnd(34)} ${median(cpu[n]).toFixed(1).padStart(9)} ${
            n === BASE ? "1.00".padStart(7) : median(t).toFixed(2).padStart(7)
          } ${median(rss[n]).toFixed(1).padStart(7)} ${
            n === BASE ? "1.00".padStart(6) : median(m).toFixed(2).padStart(6)
          }`,
        );
      }
    }
    for (const n of names.filter((x) => x !== BASE)) {
      const key = n.replace(/^libc:/, "").replace(/[^A-Za-z0-9]+/g, "_").replace(/_so_\d.*$|_$/g, "");
      figures[`programs_time_${key}`] = round(geomean(timeMedians[n]));
      figures[`programs_rss_${key}`] = round(geomean(rssMedians[n]));
      ctx.print(
        `    ${"geomean".padEnd(16)} ${n.padEnd(34)} time ${figures[`programs_time_${key}`]}x  RSS ${
          figures[`programs_rss_${key}`]
        }x`,
      );
    }
    const t = figures.programs_time_native, m = figures.programs_rss_native;
    if (t !== undefined) {
      notes.push(
        `goal: native pymalloc <= 1.0x obmalloc CPU time (${t}x: ${
          t <= 1 ? "met" : "MISSED"
        }) and <= 1.05x peak RSS (${m}x: ${m <= 1.05 ? "met" : "MISSED"}) on real programs${
          ctx.quick ? " (quick run: do not read these numbers)" : ""
        }`,
      );
    }
    return Promise.resolve({ rows, figures, notes });
  },
};

/* SAMPLE OUTPUT (`npx deno task bench --quick --filter programs --no-cross`, 2026-12-01 21:07 UTC, 2-core VM
   shared with other jobs, load average ~19; a quick run proves the scenario runs, its numbers are not a
   measurement; the full run is `npx deno task bench --filter programs`):

=== programs [deno] — Real Python programs on each allocator via the launcher: CPU time and peak RSS vs obmalloc
    params: {"scale":1,"rounds":1,"programs":["objects","json_roundtrip","etree_roundtrip"],"allocators":["native"]}
    program          allocator                             CPU ms  time x  RSS MB  RSS x  (paired medians of 1 rounds)
    objects          cpython                                  3.6    1.00    14.1   1.00
    objects          native                                   3.5    0.99    14.2   1.00
    json_roundtrip   cpython                                  6.2    1.00    14.7   1.00
    json_roundtrip   native                                   4.8    0.76    14.7   1.00
    etree_roundtrip  cpython                                 27.5    1.00    17.8   1.00
    etree_roundtrip  native                                  21.1    0.77    17.8   1.00
    geomean          native                             time 0.834x  RSS 0.999x
*/
