/**
 * Scenario `hooks`: what a PEP 445 hook costs on the real CPython workloads (bench/workloads), each hook
 * in its own Python process (bench/workloads/hooks_driver.py: real hooks cannot be removed, and a
 * header-prefixing hook must be in place before init), all variants run in every round in a rotating
 * order, so each round's figures are paired:
 *
 * | variant | what | how |
 * | --- | --- | --- |
 * | none | no hook | |
 * | bare | the floor of the API: forwards only (conformance/fixtures/c/hooks/hook_bare.c) | pep445_hook_install |
 * | passthrough | native/'s C pass-through hook (hooks.c, counts calls per thread), depth 1 | allocspec_passthrough_install |
 * | tracemalloc:1, tracemalloc:25 | CPython's own hook, 1 and 25 frames | tracemalloc.start(N) |
 * | scalene | Scalene's MEM/OBJ hooks (python3-scalene), when installed | LD_PRELOAD, as Scalene does |
 * | hook:PATH | every library in ALLOCSPEC_BENCH_HOOKS (comma-separated) | constructor / pep445_hook_install |
 *
 * Figures: per variant the overhead over no hook (median over rounds of total_v / total_none - 1) and
 * the ratio to the bare hook (median of total_v / total_bare). Goal: the native pass-through hook within
 * 1.05x of the bare hook (`hooks_passthrough_vs_bare` <= 1.05). Times: the thread's CPU time of each
 * workload run (time.thread_time_ns), summed per process.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { median, round, summarize } from "../stats.ts";
import { pairedRatios } from "../harness.ts";
import { buildHooks } from "../../conformance/fixtures/c/hooks/build.ts";
import { findScalene, withScaleneTmpCleanup } from "../../conformance/adapters/hook_scalene.ts";

/** Environment variable naming extra hook libraries to measure (comma-separated paths). */
export const EXTRA_HOOKS_ENV = "ALLOCSPEC_BENCH_HOOKS";

interface Variant {
  name: string;
  arg: string;
  env?: Record<string, string>;
}

/** The variants of this machine: none, bare, passthrough, tracemalloc 1/25, Scalene, the given hooks. */
export function variants(nativeLib: string): Variant[] {
  const out: Variant[] = [
    { name: "none", arg: "none" },
    { name: "bare", arg: `hook:${buildHooks({ names: ["bare"], quiet: true }).bare}` },
    { name: "passthrough", arg: `passthrough:${nativeLib}` },
    { name: "tracemalloc:1", arg: "tracemalloc:1" },
    { name: "tracemalloc:25", arg: "tracemalloc:25" },
  ];
  const scalene = findScalene();
  if (scalene) out.push({ name: "scalene", arg: `preload:${scalene}`, env: { LD_PRELOAD: scalene } });
  for (const p of (process.env[EXTRA_HOOKS_ENV] ?? "").split(",").filter((x) => x.trim())) {
    const lib = resolve(p.trim().replace(/^hook:/, ""));
    if (!existsSync(lib)) throw new Error(`${EXTRA_HOOKS_ENV}: hook library ${p} not found`);
    out.push({ name: `hook:${lib.split("/").pop()}`, arg: `hook:${lib}` });
  }
  return out;
}

function runVariant(ctx: ScenarioContext, v: Variant, p: Record<string, any>) {
  const script = join(ctx.root, "bench", "workloads", "hooks_driver.py");
  const args = [
    script,
    "--variant",
    v.arg,
    "--scale",
    String(p.scale),
    ...(p.only ? ["--only", p.only] : []),
  ];
  const r = spawnSync(ctx.python(), args, {
    encoding: "utf8",
    timeout: 600_000,
    env: { ...process.env, PYTHONMALLOC: "", ...v.env },
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || `signal ${r.signal}`).trim().split("\n").slice(-1)[0];
    throw new Error(`hooks_driver.py --variant ${v.name} failed (exit ${r.status ?? r.signal}): ${why}`);
  }
  const out = JSON.parse(r.stdout.trim().split("\n").slice(-1)[0]);
  const total = Object.values(out.workloads as Record<string, number>).reduce((a, b) => a + b, 0) / 1e6;
  return { total, owners: out.owners as Record<string, string> };
}

export const hooks: Scenario = {
  name: "hooks",
  description:
    "PEP 445 hooks on the CPython workloads: bare forwarder, native pass-through, tracemalloc, Scalene",
  params: (quick) => ({ scale: quick ? 1 : 4, rounds: quick ? 2 : 9, only: quick ? "objects,strings" : "" }),
  async run(ctx, p) {
    const n = await ctx.native();
    const vs = variants(n.libPath);
    const totals = new Map<string, number[]>(vs.map((v) => [v.name, []]));
    const owners = new Map<string, Record<string, string>>();
    for (let r = 0; r < p.rounds; r++) {
      for (let i = 0; i < vs.length; i++) {
        const v = vs[(i + r) % vs.length]; // rotate: no variant always runs first or last
        const res = v.name === "scalene"
          ? await withScaleneTmpCleanup(() => runVariant(ctx, v, p))
          : runVariant(ctx, v, p);
        totals.get(v.name)!.push(res.total);
        owners.set(v.name, res.owners);
      }
    }
    const base = totals.get("none")!, bare = totals.get("bare")!;
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    ctx.print(
      `    ${"hook".padEnd(18)} ${"CPU ms".padStart(9)} ${"overhead".padStart(9)} ${
        "x bare".padStart(7)
      }  (median of ${p.rounds} paired rounds)`,
    );
    for (const v of vs) {
      const t = totals.get(v.name)!;
      rows.push({ name: `${v.name}: all workloads (CPU)`, unit: "ms", ...summarize(t) });
      if (v.name === "none") {
        ctx.print(`    ${v.name.padEnd(18)} ${median(t).toFixed(2).padStart(9)}`);
        continue;
      }
      const over = pairedRatios(t, base).map((x) => (x - 1) * 100);
      const vsBare = pairedRatios(t, bare);
      rows.push({ name: `${v.name}: overhead over no hook (paired)`, unit: "%", ...summarize(over) });
      rows.push({ name: `${v.name}: time / bare hook's (paired)`, unit: "x", ...summarize(vsBare) });
      const key = v.name.replace(/[^a-z0-9]+/gi, "_").toLowerCase();
      figures[`hooks_${key}_overhead_pct`] = round(median(over));
      figures[`hooks_${key}_vs_bare`] = round(median(vsBare));
      ctx.print(
        `    ${v.name.padEnd(18)} ${median(t).toFixed(2).padStart(9)} ${
          median(over).toFixed(2).padStart(8)
        }% ${median(vsBare).toFixed(3).padStart(7)}`,
      );
    }
    const pt = figures.hooks_passthrough_vs_bare;
    return {
      rows,
      figures,
      notes: [
        `goal: native pass-through within 1.05x of the bare hook: ${pt} (${pt <= 1.05 ? "met" : "NOT met"})`,
        `who owns each domain's malloc (dladdr): ${
          [...owners].filter(([k]) => k !== "none").map(([k, o]) => `${k}: ${Object.values(o).join("/")}`)
            .join("; ")
        }`,
        ...(vs.some((v) => v.name === "scalene")
          ? []
          : ["scalene: python3-scalene not installed, not measured"]),
      ],
    };
  },
};

/* SAMPLE OUTPUT (`ALLOCSPEC_BENCH_HOOKS=conformance/fixtures/c/hooks/build/hook_good.so npx deno task bench --quick --filter "^hooks$"`,
   2026-12-01 21:17 UTC, 2-core VM shared with other jobs; --quick is an output check, not a measurement):

=== hooks [deno] — PEP 445 hooks on the CPython workloads: bare forwarder, native pass-through, tracemalloc, Scalene
    params: {"scale":1,"rounds":2,"only":"objects,strings"}
    hook                  CPU ms  overhead  x bare  (median of 2 paired rounds)
    none                    7.07
    bare                    6.68    -5.52%   1.000
    passthrough             6.51    -8.00%   0.974
    tracemalloc:1          64.78   816.08%   9.687
    tracemalloc:25        282.13  3889.45%  42.233
    scalene                11.70    65.48%   1.756
    hook:hook_good.so       7.17     1.34%   1.073
*/
