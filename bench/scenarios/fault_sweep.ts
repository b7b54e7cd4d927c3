/**
 * Scenario `fault_sweep`: the fault sweep (debug/faults: ONE run forking at each point, children isolated
 * and stopped once the failure's consequence is settled) against the one-process-per-point approach
 * (debug/faults/nomemory_point.py: a fresh `python3` per point with `_testcapi.set_nomemory(N, N+1)`), by
 * the WALL CLOCK, the same `--jobs` for both, side by side on three programs:
 *
 *  - `loop`: debug/fixtures/oom_loop.py (the planted bugs of allocspec_oomfix called in a loop);
 *  - `email`: debug/real/email_message.py (a short stdlib script: parse a MIME message);
 *  - `regrtest`: `-m unittest test.test_fnmatch` (one module of CPython's regrtest suite), with `maxPoints` evenly
 *    spaced. Run by unittest, not by `-m test`: regrtest names its temporary directory after the pid, so two runs
 *    of `-m test` number different calls and the rounds (and `--thorough`) would sweep different points.
 *
 * Each program's points (`maxPoints` of them, evenly spaced over the dry run's count) are swept `rounds`
 * times, each round side by side: the sweep (everything a user waits for: dry run, sweep run, fresh reruns,
 * confirmation reruns), then the baseline over the same number of points (spread the same way over its own
 * numbering, which counts ~15% more calls), so a change of load hits both alike. The figure of a program is
 * the median of its per-round ratios (baseline wall / sweep wall), with their spread. Same findings: at
 * each of `freshSample` of the points, the sweep's outcome (class, C site, Python site; "no finding" for
 * ok and handled alike) equals that of a fresh process WITH THE SAME NUMBERING and no early stop
 * (`--fail-at N --thorough`); on `loop` the set_nomemory baseline and the sweep both find every planted
 * bug. Also: every allocation of `python3 -c pass` swept, wall time (goal: under 30 s).
 *
 * Figures: `fault_sweep_fork_vs_fresh` = the WORST program's median wall ratio sweep/baseline (goal <= 0.1,
 * i.e. >= 10x), `fault_sweep_{loop,email,regrtest}_speedup` (baseline/sweep, spread per round),
 * `fault_sweep_{loop,email,regrtest}_same_findings` (1/0: vs fresh runs), `fault_sweep_*_early_stop_same`
 * (1/0: the same points swept with `--thorough`, every child run to its end, give the same findings: early
 * stopping loses none), `fault_sweep_pass_all_s`.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { launchSpec } from "../../targets/launcher.ts";
import { buildFixtures } from "../../debug/fixtures/build.ts";
import { classifyPoint, FINDING_CLASSES } from "../../core/outcome.ts";
import { signalNumber } from "../../core/signals.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import { parseSite, pythonSite, siteKey, Symbolizer } from "../../debug/faults/site.ts";
import { countCalls, runPointFresh, stdlibDirs, sweep, type SweepOptions } from "../../debug/faults/sweep.ts";
import { buildLayer } from "../../debug/layers.ts";
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
          signal: signalNumber(sig, 99),
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

/** Each point's finding (or "-") in a fresh process with the sweep's numbering and no early stop. */
async function freshOutcomes(o: SweepOptions, points: number[]): Promise<Map<number, string>> {
  const sym = new Symbolizer();
  const stdlib = stdlibDirs(o);
  const out = new Map<number, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.jobs ?? 2, points.length) }, async () => {
      while (next < points.length) {
        const point = points[next++];
        const one = await runPointFresh({ ...o, thorough: true }, point, 120);
        const { cls } = classifyPoint(one);
        const site = one.site ? sym.site(parseSite(one.site)) : null;
        out.set(
          point,
          findingText(cls, site ? siteKey(site) : "no site", site ? pythonSite(site.py, stdlib) : ""),
        );
      }
    }),
  );
  return out;
}

/** A point's finding as compared: class, C site, Python site; "-" for no finding (ok and handled alike). */
function findingText(cls: string, key: string, pySite: string): string {
  return (FINDING_CLASSES as readonly string[]).includes(cls) ? `${cls} | ${key} | ${pySite}` : "-";
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
  oursWall: number[];
  baseWall: number[];
  findings: string[];
  same: boolean;
  earlySame: boolean;
  earlyDiff: string;
  thoroughS: number;
  compared: number;
  differ: string[];
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
  const ratios: number[] = [], oursWall: number[] = [], baseWall: number[] = [];
  const notes: string[] = [];
  const ours = new Map<number, string>();
  const baseFound = new Set<string>();
  for (let round = 1; round <= p.rounds; round++) {
    // side by side, alternating, so a change of load hits both alike
    const t0 = Date.now();
    const r = await sweep({
      ...base,
      maxPoints: p.maxPoints,
      onOutcome: (point, cls, key, py) => ours.set(point, findingText(cls, key, py)),
    });
    const wall = (Date.now() - t0) / 1000;
    for (const w of r.warnings ?? []) notes.push(`${prog.label} round ${round}: ${w}`);
    if (r.stats.missing) notes.push(`${prog.label} round ${round}: ${r.stats.missing} points missing`);
    const b = await baseline(python, nomem, prog.argv, baseAll, p.jobs, prog.env, ctx.root);
    for (const f of b.findings) baseFound.add(f);
    ratios.push(b.wall / wall);
    oursWall.push(wall);
    baseWall.push(b.wall);
    ctx.print(
      `    ${prog.label} round ${round}/${p.rounds}: sweep ${
        wall.toFixed(1)
      } s, fresh python3 + set_nomemory ${b.wall.toFixed(1)} s (${
        (b.wall / wall).toFixed(1)
      }x), ${all.length} points each`,
    );
  }
  // early stop loses no finding: the same points swept with --thorough (children run to the end)
  const thorough = new Set<string>();
  const th = await sweep({
    ...base,
    maxPoints: p.maxPoints,
    thorough: true,
    confirm: false,
    onOutcome: (_pt, cls, key, py) => {
      const f = findingText(cls, key, py);
      if (f !== "-") thorough.add(f);
    },
  });
  const early = new Set([...ours.values()].filter((f) => f !== "-"));
  const lost = [...thorough].filter((f) => !early.has(f)), extra = [...early].filter((f) => !thorough.has(f));
  const earlySame = lost.length === 0 && extra.length === 0;
  ctx.print(
    `    ${prog.label}: --thorough ${(th.durationMs / 1000).toFixed(1)} s; early stop ${
      earlySame ? "finds the same" : `differs (lost {${lost.join("; ")}}, extra {${extra.join("; ")}})`
    }`,
  );
  // same findings: a fresh process per point with the same numbering, no early stop, on a sample
  const sample = all.filter((_, i) => i % Math.max(1, Math.ceil(all.length / p.freshSample)) === 0);
  const fresh = await freshOutcomes(base, sample);
  const differ = sample.filter((pt) => (ours.get(pt) ?? "missing") !== fresh.get(pt)).map((pt) =>
    `point ${pt}: sweep ${ours.get(pt) ?? "missing"}; fresh ${fresh.get(pt)}`
  );
  let same = differ.length === 0;
  if (prog.label === "loop" && !p.requirePlanted) {
    notes.push(`loop: ${all.length} of ${total} points swept (--quick): the planted bugs are not required`);
  } else if (prog.label === "loop") {
    // the set_nomemory baseline numbers calls differently: it and the sweep must find every planted bug
    const want = planted(prog.argv[0]);
    const found = [...ours.values()].map((f) =>
      `${f.split(" | ")[0]} line ${f.match(/oom_loop\.py:(\d+)/)?.[1] ?? ""}`
    );
    const missed = want.filter((x) => !baseFound.has(x) || !found.includes(x));
    if (missed.length) differ.push(`planted bugs missed by the sweep or the baseline: ${missed.join("; ")}`);
    same &&= missed.length === 0;
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
    findings: [...new Set([...ours.values()].filter((f) => f !== "-"))].sort(),
    same,
    earlySame,
    earlyDiff: earlySame ? "" : `lost {${lost.join("; ")}}, extra {${extra.join("; ")}}`,
    thoroughS: th.durationMs / 1000,
    compared: sample.length,
    differ,
    notes,
  };
}

export const faultSweep: Scenario = {
  name: "fault_sweep",
  description:
    "fault sweep (fork at each point, early stop) vs a fresh python3 + _testcapi.set_nomemory per point, wall clock, same jobs",
  // --quick proves the scenario runs and its output parses: every step on less (4 of the 16 points rerun
  // fresh, and the every-allocation sweep on `python3 -S -c pass`, ~420 allocations instead of ~1030)
  params: (quick) => ({
    maxPoints: quick ? 16 : 240,
    rounds: quick ? 1 : 3,
    freshSample: quick ? 4 : 48,
    jobs: 2,
    loopRounds: quick ? 60 : 600,
    // 16 points of ~3,000 need not reach the planted bugs: --quick compares with fresh runs only
    requirePlanted: quick ? 0 : 1,
    passArgv: quick ? ["-S", "-c", "pass"] : ["-c", "pass"],
  }),
  async run(ctx, p) {
    let fx;
    try {
      fx = buildFixtures();
    } catch (e) {
      // no python3 headers (or no compiler): nothing can be measured, and the report says why
      const why = `not measured: ${(e as Error).message.split("\n")[0]}`;
      ctx.print(`    ${why}`);
      return { rows: [], figures: {} as Record<string, number>, notes: [why] };
    }
    // the interpreter itself, not a wrapper such as pyenv's shim (a bash script that would bill the baseline)
    const python = spawnSync(ctx.python(), ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
      .stdout.trim();
    const programs: Program[] = [
      {
        label: "loop",
        argv: [join(ctx.root, "debug", "fixtures", "oom_loop.py"), String(p.loopRounds)],
        env: { PYTHONPATH: fx.dir },
      },
      { label: "email", argv: [join(ctx.root, "debug", "real", "email_message.py")], env: {} },
      { label: "regrtest", argv: ["-m", "unittest", "test.test_fnmatch"], env: {} },
    ];
    const measured: Measured[] = [];
    for (const prog of programs) measured.push(await measure(ctx, prog, p, python));
    // every allocation of `python3 -c pass` (`-S -c pass` in a quick run)
    const launch = launchSpec({ layers: [buildLayer("as_faults")] });
    const passName = `python3 ${p.passArgv.join(" ")}`;
    const t0 = Date.now();
    const pass = await sweep({ launch, argv: p.passArgv, jobs: p.jobs, cwd: ctx.root });
    const passS = (Date.now() - t0) / 1000;
    ctx.print(
      `    ${passName}: every one of ${pass.stats.planned} allocations swept in ${passS.toFixed(1)} s`,
    );
    const rows: Row[] = [];
    const figures: Record<string, number> = {};
    const spreads: Record<string, Summary> = {};
    for (const m of measured) {
      const ow = summarize(m.oursWall), bw = summarize(m.baseWall);
      const spread = (x: Summary) => ({ min: round(x.min), max: round(x.max), n: x.n });
      rows.push(
        {
          name: `${m.label}: sweep (${m.points} points of ${m.total})`,
          unit: "s",
          median: round(ow.median),
          ...spread(ow),
        },
        {
          name: `${m.label}: fresh python3 + set_nomemory per point`,
          unit: "s",
          median: round(bw.median),
          ...spread(bw),
        },
        {
          name: `${m.label}: speedup by the wall clock (per round)`,
          unit: "x",
          median: round(m.ratios.median),
          q1: round(m.ratios.q1),
          q3: round(m.ratios.q3),
          ...spread(m.ratios),
        },
      );
      figures[`fault_sweep_${m.label}_speedup`] = round(m.ratios.median);
      spreads[`fault_sweep_${m.label}_speedup`] = m.ratios;
      figures[`fault_sweep_${m.label}_same_findings`] = m.same ? 1 : 0;
      figures[`fault_sweep_${m.label}_early_stop_same`] = m.earlySame ? 1 : 0;
    }
    const worst = measured.reduce((w, m) => (m.ratios.median < w.ratios.median ? m : w));
    figures.fault_sweep_fork_vs_fresh = round(1 / worst.ratios.median);
    spreads.fault_sweep_fork_vs_fresh = summarize(worst.raw.map((r) => round(1 / r)));
    figures.fault_sweep_pass_all_s = round(passS);
    rows.push({
      name: `${passName}: all ${pass.stats.planned} allocations`,
      unit: "s",
      median: round(passS),
    });
    return {
      rows,
      figures,
      spreads,
      notes: [
        ...measured.map((m) =>
          `${m.label}: ${m.points} of ${m.total} points, ${m.raw.length} rounds; speedup ${
            m.raw.map((x) => x.toFixed(1)).join(", ")
          }x (goal >= 10x); findings {${
            m.findings.join("; ")
          }}; same findings as a fresh --fail-at N --thorough run on ${m.compared} of the points: ${
            m.same ? "yes" : `NO (${m.differ.join("; ")})`
          }`
        ),
        ...measured.flatMap((m) => m.notes),
        `${passName}: ${pass.stats.planned} allocations swept in ${
          passS.toFixed(1)
        } s (goal < 30 s), ${pass.findings.length} findings`,
      ],
    };
  },
};
