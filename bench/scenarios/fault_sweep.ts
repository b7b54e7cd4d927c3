/**
 * Scenario `fault_sweep`: the fault sweep (debug/faults: ONE run forking at each point, children isolated
 * and stopped once the failure's consequence is settled) against the one-process-per-point approach
 * (debug/faults/nomemory_point.py: a fresh `python3` per point with `_testcapi.set_nomemory(N, N+1)`), by
 * the WALL CLOCK, the same `--jobs` for both, side by side on three programs:
 *
 *  - `loop`: debug/fixtures/oom_loop.py (the planted bugs of allocspec_oomfix called in a loop);
 *  - `email`: debug/real/email_message.py (a short stdlib script: parse a MIME message);
 *  - `regrtest`: `-m test test_fnmatch` (one CPython regrtest module), with `maxPoints` evenly spaced.
 *
 * Each program's points (`maxPoints` of them, evenly spaced over the dry run's count) are dealt into
 * `shards` (round-robin, `--shard K/N`); shard by shard, the sweep runs (everything a user waits for: dry
 * run, sweep run, fresh reruns, confirmation reruns), then the baseline runs the same number of points
 * (spread the same way over its own numbering, which counts ~15% more calls), so a change of load hits both
 * alike. The figure of a program is the median of its per-shard ratios (baseline wall / sweep wall), with
 * their spread. Same findings: the sweep's findings on shard 1 (class, C site, Python site) equal those of
 * a fresh process per point WITH THE SAME NUMBERING (`--fail-at N --thorough` on each of shard 1's points:
 * no early stop, no fork); on `loop` the baseline also finds every planted bug. Also: every allocation of
 * `python3 -c pass` swept, wall time (goal: under 30 s).
 *
 * Figures: `fault_sweep_fork_vs_fresh` = the WORST program's median wall ratio sweep/baseline (goal <= 0.1,
 * i.e. >= 10x), `fault_sweep_{loop,email,regrtest}_speedup` (baseline/sweep, spread per shard),
 * `fault_sweep_{loop,email,regrtest}_same_findings` (1/0), `fault_sweep_pass_all_s`.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { launchSpec } from "../../clients/launcher.ts";
import { buildFixtures } from "../../debug/fixtures/build.ts";
import { classifyPoint, FINDING_CLASSES, SIGNALS } from "../../debug/faults/classify.ts";
import { choosePoints, shardPoints } from "../../debug/faults/points.ts";
import { parseSite, pythonSite, siteKey, Symbolizer } from "../../debug/faults/site.ts";
import { countCalls, runPointFresh, stdlibDirs, sweep, type SweepOptions } from "../../debug/faults/sweep.ts";
import { buildLayer } from "../../native/build.ts";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { round, summarize, type Summary } from "../stats.ts";

/** `class line N` of the planted bugs of oom_loop.py (found from their calls in the file, not hard-coded). */
function planted(prog: string): string[] {
  const lines = readFileSync(prog, "utf8").split("\n");
  const at = (call: string) => lines.findIndex((l) => l.includes(`m.${call}(`)) + 1;
  return [
    `crash line ${at("mem_unchecked")}`,
    `crash line ${at("raw_unchecked")}`,
    `lost-exception line ${at("mem_noexc")}`,
  ];
}

/** Runs `n` fresh python3 + set_nomemory processes, `jobs` at once; returns wall seconds and findings. */
async function baseline(
  python: string,
  script: string,
  argv: string[],
  points: number[],
  jobs: number,
  env: Record<string, string>,
  cwd: string,
): Promise<{ wall: number; findings: Set<string> }> {
  const t0 = Date.now();
  const findings = new Set<string>();
  let next = 0;
  const one = (n: number) =>
    new Promise<void>((resolve) => {
      const p = spawn(python, [script, String(n), ...argv], {
        env: { ...process.env, ...env, PYTHONFAULTHANDLER: "1", PYTHONHASHSEED: "0" },
        cwd,
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      p.stderr!.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => p.kill("SIGABRT"), 120_000);
      p.on("close", (code, sig) => {
        clearTimeout(timer);
        const c = classifyPoint({
          code: code ?? -1,
          signal: sig ? SIGNALS[sig] ?? 99 : 0,
          timedOut: false,
          stderr,
        });
        if ((FINDING_CLASSES as readonly string[]).includes(c.cls)) {
          const lines = [...stderr.matchAll(/oom_loop\.py"?[,:] line (\d+)|oom_loop\.py:(\d+)/g)];
          findings.add(`${c.cls} line ${lines.map((m) => m[1] ?? m[2]).sort().join(",")}`);
        }
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: Math.min(jobs, points.length) }, async () => {
      while (next < points.length) await one(points[next++]);
    }),
  );
  return { wall: (Date.now() - t0) / 1000, findings };
}

/** The findings of a fresh process per point with the sweep's own numbering, no early stop (shard 1). */
async function freshFindings(o: SweepOptions, points: number[]): Promise<Set<string>> {
  const sym = new Symbolizer();
  const stdlib = stdlibDirs(o);
  const out = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.jobs ?? 2, points.length) }, async () => {
      while (next < points.length) {
        const one = await runPointFresh({ ...o, thorough: true }, points[next++], 120);
        const { cls } = classifyPoint(one);
        if (!(FINDING_CLASSES as readonly string[]).includes(cls)) continue;
        const site = one.site ? sym.site(parseSite(one.site)) : null;
        out.add(`${cls} | ${site ? siteKey(site) : "no site"} | ${site ? pythonSite(site.py, stdlib) : ""}`);
      }
    }),
  );
  return out;
}

interface Program {
  label: "loop" | "email" | "regrtest";
  argv: string[];
  env: Record<string, string>;
}

interface Measured {
  label: string;
  total: number;
  points: number;
  ratios: Summary;
  raw: number[];
  oursWall: number;
  baseWall: number;
  ours: string[];
  fresh: string[];
  same: boolean;
  notes: string[];
}

async function measure(
  ctx: ScenarioContext,
  prog: Program,
  p: Record<string, number>,
  python: string,
): Promise<Measured> {
  const launch = launchSpec({ layers: [buildLayer("as_faults")] });
  const base: SweepOptions = {
    launch,
    argv: prog.argv,
    env: prog.env,
    jobs: p.jobs,
    cwd: ctx.root,
    timeoutS: 120,
  };
  const total = countCalls(base).counts.total;
  const all = choosePoints(total, p.maxPoints);
  // the baseline's numbering counts the allocator's nested calls too (~15% more): spread over it alike
  const baseAll = choosePoints(Math.ceil(total * 1.15), p.maxPoints);
  const nomem = join(ctx.root, "debug", "faults", "nomemory_point.py");
  const ratios: number[] = [];
  let oursWall = 0, baseWall = 0;
  const ours = new Set<string>(), notes: string[] = [];
  let shard1: string[] = [];
  const baseFound = new Set<string>();
  for (let k = 1; k <= p.shards; k++) {
    const shard = { k, n: p.shards };
    const t0 = Date.now();
    const r = await sweep({ ...base, maxPoints: p.maxPoints, shard });
    const wall = (Date.now() - t0) / 1000;
    const found = r.findings.flatMap((f) => f.python.map((s) => `${f.cls} | ${f.key} | ${s.site}`));
    if (k === 1) shard1 = found;
    for (const f of found) ours.add(f);
    for (const w of r.warnings ?? []) notes.push(`${prog.label} shard ${k}: ${w}`);
    if (r.stats.missing) notes.push(`${prog.label} shard ${k}: ${r.stats.missing} points missing`);
    const b = await baseline(
      python,
      nomem,
      prog.argv,
      shardPoints(baseAll, shard),
      p.jobs,
      prog.env,
      ctx.root,
    );
    for (const f of b.findings) baseFound.add(f);
    ratios.push(b.wall / wall);
    oursWall += wall;
    baseWall += b.wall;
    ctx.print(
      `    ${prog.label} shard ${k}/${p.shards}: sweep ${wall.toFixed(1)} s, fresh python3 + set_nomemory ${
        b.wall.toFixed(1)
      } s (${(b.wall / wall).toFixed(1)}x)`,
    );
  }
  const fresh = await freshFindings({ ...base }, shardPoints(all, { k: 1, n: p.shards }));
  let same = [...fresh].sort().join("\n") === [...new Set(shard1)].sort().join("\n");
  if (prog.label === "loop") {
    // the set_nomemory baseline numbers calls differently: it must find every planted bug too
    const want = planted(prog.argv[0]);
    const lines = [...ours].map((f) =>
      f.split(" | ")[0] + " line " + (f.match(/oom_loop\.py:(\d+)/)?.[1] ?? "")
    );
    same &&= want.every((x) => baseFound.has(x) && lines.includes(x));
    notes.push(`loop: set_nomemory baseline findings {${[...baseFound].sort().join("; ")}}`);
  }
  return {
    label: prog.label,
    total,
    points: all.length,
    ratios: summarize(ratios),
    raw: ratios,
    oursWall,
    baseWall,
    ours: [...ours].sort(),
    fresh: [...fresh].sort(),
    same,
    notes,
  };
}

export const faultSweep: Scenario = {
  name: "fault_sweep",
  description:
    "fault sweep (fork at each point, early stop) vs a fresh python3 + _testcapi.set_nomemory per point, wall clock, same jobs",
  params: (quick) => ({
    maxPoints: quick ? 16 : 240,
    shards: quick ? 2 : 4,
    jobs: 2,
    rounds: quick ? 60 : 600,
  }),
  async run(ctx, p) {
    const fx = buildFixtures();
    // the interpreter itself, not a wrapper such as pyenv's shim (a bash script that would bill the baseline)
    const python = spawnSync(ctx.python(), ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
      .stdout.trim();
    const programs: Program[] = [
      {
        label: "loop",
        argv: [join(ctx.root, "debug", "fixtures", "oom_loop.py"), String(p.rounds)],
        env: { PYTHONPATH: fx.dir },
      },
      { label: "email", argv: [join(ctx.root, "debug", "real", "email_message.py")], env: {} },
      { label: "regrtest", argv: ["-m", "test", "test_fnmatch"], env: {} },
    ];
    const measured: Measured[] = [];
    for (const prog of programs) measured.push(await measure(ctx, prog, p, python));
    // every allocation of `python3 -c pass`
    const launch = launchSpec({ layers: [buildLayer("as_faults")] });
    const t0 = Date.now();
    const pass = await sweep({ launch, argv: ["-c", "pass"], jobs: p.jobs, cwd: ctx.root });
    const passS = (Date.now() - t0) / 1000;
    ctx.print(
      `    python3 -c pass: every one of ${pass.stats.planned} allocations swept in ${passS.toFixed(1)} s`,
    );
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    for (const m of measured) {
      rows.push(
        {
          name: `${m.label}: sweep (${m.points} points of ${m.total})`,
          unit: "s",
          median: round(m.oursWall),
        },
        { name: `${m.label}: fresh python3 + set_nomemory per point`, unit: "s", median: round(m.baseWall) },
        {
          name: `${m.label}: speedup by the wall clock (per shard)`,
          unit: "x",
          median: round(m.ratios.median),
          q1: round(m.ratios.q1),
          q3: round(m.ratios.q3),
          min: round(m.ratios.min),
          max: round(m.ratios.max),
          n: m.ratios.n,
        },
      );
      figures[`fault_sweep_${m.label}_speedup`] = round(m.ratios.median);
      spreads[`fault_sweep_${m.label}_speedup`] = m.ratios;
      figures[`fault_sweep_${m.label}_same_findings`] = m.same ? 1 : 0;
    }
    const worst = measured.reduce((w, m) => (m.ratios.median < w.ratios.median ? m : w));
    figures.fault_sweep_fork_vs_fresh = round(1 / worst.ratios.median);
    spreads.fault_sweep_fork_vs_fresh = summarize(worst.raw.map((r) => round(1 / r)));
    figures.fault_sweep_pass_all_s = round(passS);
    rows.push({
      name: `python3 -c pass: all ${pass.stats.planned} allocations`,
      unit: "s",
      median: round(passS),
    });
    return {
      rows,
      figures,
      spreads,
      notes: [
        ...measured.map((m) =>
          `${m.label}: ${m.points} of ${m.total} points; wall ${m.oursWall.toFixed(1)} s vs ${
            m.baseWall.toFixed(1)
          } s; per-shard speedup ${m.ratios.min.toFixed(1)}-${
            m.ratios.max.toFixed(1)
          }x (goal >= 10x); same findings ${
            m.same ? "yes" : "NO"
          } (shard 1 vs --fail-at --thorough fresh runs: {${m.fresh.join("; ")}})`
        ),
        ...measured.flatMap((m) => m.notes),
        `python3 -c pass: ${pass.stats.planned} allocations swept in ${
          passS.toFixed(1)
        } s (goal < 30 s), ${pass.findings.length} findings`,
      ],
    };
  },
};
