/**
 * Scenario `fault_sweep`: points per CPU second of the fault sweep (debug/faults: ONE run that forks at each
 * point, the child failing that call) against the one-subprocess-per-point baseline
 * (debug/faults/nomemory_point.py: a fresh `python3` per point with `_testcapi.set_nomemory(N, N+1)`), on the
 * same program, twice: debug/fixtures/oom_loop.py (the planted bugs among correct calls, in a loop) and the
 * same after a start-up prefix of stdlib imports (`--imports`, as real programs have). Both serial (`--jobs 1`
 * against one process at a time). Time per point is the CPU time (user + system) of every process involved
 * (the dry run, the sweep's parent and children, or each fresh python3: /proc/self/stat cutime + cstime of
 * this process), the bench's rule on a shared machine; the wall-clock rate is reported beside it. The two tools
 * number calls from slightly different starts and set_nomemory also counts the allocator's nested calls, so the
 * baseline sweeps 1..1.15 x our total (or an evenly spaced sample) and findings are compared as sets of
 * (class, line). Figures: `fault_sweep_fork_vs_fresh` = CPU per point forked / fresh on the plain loop (goal
 * <= 0.1, i.e. >= 10x), `fault_sweep_imports_speedup_cpu` (the same with the prefix, as a speedup),
 * `fault_sweep_same_findings` / `fault_sweep_imports_same_findings` (1 = both found every planted bug; other
 * findings, which depend on the rare points a sample meets, are listed in the notes).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { launchSpec } from "../../targets/launcher.ts";
import { buildFixtures } from "../../debug/fixtures/build.ts";
import { classifyPoint } from "../../core/outcome.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import { countCalls, sweep } from "../../debug/faults/sweep.ts";
import { buildLayer } from "../../debug/layers.ts";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { round } from "../stats.ts";
import { signalNumber } from "../../core/signals.ts";

/** CPU seconds (user + system) of every child this process has reaped so far, with their own reaped
 * children (/proc/self/stat cutime + cstime, clock ticks of 1/100 s). */
function childrenCpuS(): number {
  const f = readFileSync("/proc/self/stat", "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (+rest[13] + +rest[14]) / 100;
}

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

/** One program measured both ways. */
interface Measured {
  label: string;
  total: number;
  points: number;
  oursCpuPt: number;
  baseCpuPt: number;
  oursPps: number;
  basePps: number;
  ours: string[];
  base: string[];
  same: boolean;
}

async function measure(
  ctx: ScenarioContext,
  label: string,
  argv: string[],
  p: Record<string, number>,
  env: Record<string, string>,
  python: string,
): Promise<Measured> {
  const launch = launchSpec({ layers: [buildLayer("as_faults")] });
  const driverLine = (text: string) => {
    const m = [...text.matchAll(/oom_loop\.py"?[,:] line (\d+)|oom_loop\.py:(\d+)/g)];
    return m.map((x) => x[1] ?? x[2]).sort().join(",");
  };
  // ours
  const t0 = Date.now(), c0 = childrenCpuS();
  const r = await sweep({ launch, argv, env, jobs: p.jobs, maxPoints: p.maxPoints, timeoutS: 60 });
  const oursS = (Date.now() - t0) / 1000, oursCpu = childrenCpuS() - c0;
  const ours = new Set(r.findings.map((f) => `${f.cls} line ${driverLine(f.py.join(" "))}`));
  // baseline: the same point numbers, one fresh python3 each
  // set_nomemory also counts the allocator's own nested calls (pymalloc's fallback to PyMem_RawMalloc), so
  // the baseline's numbering runs longer than ours: it sweeps 15% more points to cover the same program
  const total = countCalls({ launch, argv, env }).counts.total;
  const points = choosePoints(Math.ceil(total * 1.15), p.maxPoints);
  const base = new Set<string>();
  const t1 = Date.now(), c1 = childrenCpuS();
  for (const n of points) {
    const b = spawnSync(
      python,
      [join(ctx.root, "debug", "faults", "nomemory_point.py"), String(n), ...argv],
      {
        env: { ...process.env, ...env, PYTHONFAULTHANDLER: "1", PYTHONHASHSEED: "0" },
        encoding: "utf8",
        timeout: 60_000,
        killSignal: "SIGABRT",
      },
    );
    const c = classifyPoint({
      code: b.status ?? -1,
      signal: signalNumber(b.signal, 99),
      timedOut: (b.error as { code?: string } | undefined)?.code === "ETIMEDOUT",
      stderr: b.stderr ?? "",
    });
    if (!["ok", "handled"].includes(c.cls)) base.add(`${c.cls} line ${driverLine(b.stderr ?? "")}`);
  }
  const baseS = (Date.now() - t1) / 1000, baseCpu = childrenCpuS() - c1;
  const m: Measured = {
    label,
    total,
    points: points.length,
    oursCpuPt: oursCpu / r.stats.run,
    baseCpuPt: baseCpu / points.length,
    oursPps: r.stats.run / oursS,
    basePps: points.length / baseS,
    ours: [...ours].sort(),
    base: [...base].sort(),
    // the planted bugs (each behind many points, so any sample meets them) must be found by both; other
    // findings depend on which rare points a sample meets under each tool's numbering and are listed apart
    same: planted(argv[0]).every((x) => ours.has(x) && base.has(x)),
  };
  ctx.print(
    `    ${label}: CPU per point fork ${(m.oursCpuPt * 1000).toFixed(1)} ms vs fresh ${
      (m.baseCpuPt * 1000).toFixed(1)
    } ms (${(m.baseCpuPt / m.oursCpuPt).toFixed(1)}x); wall ${m.oursPps.toFixed(1)} vs ${
      m.basePps.toFixed(1)
    } points/s; findings {${m.ours.join("; ")}} vs {${m.base.join("; ")}}`,
  );
  return m;
}

export const faultSweep: Scenario = {
  name: "fault_sweep",
  description: "fault sweep forking at each point vs a fresh python3 + _testcapi.set_nomemory per point",
  params: (quick) => ({ maxPoints: quick ? 24 : 300, jobs: 1, rounds: quick ? 60 : 600 }),
  async run(ctx, p) {
    const fx = buildFixtures();
    // the interpreter itself, not a wrapper such as pyenv's shim (a bash script that would bill the baseline)
    const python = spawnSync(ctx.python(), ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" })
      .stdout.trim();
    const env = { PYTHONPATH: fx.dir };
    const prog = join(ctx.root, "debug", "fixtures", "oom_loop.py");
    const plain = await measure(ctx, "loop", [prog, String(p.rounds)], p, env, python);
    const imports = await measure(
      ctx,
      "imports + loop",
      [prog, String(p.rounds), "--imports"],
      p,
      env,
      python,
    );
    const rows: Row[] = [];
    for (const m of [plain, imports]) {
      rows.push(
        {
          name: `${m.label}: fork sweep, CPU per point (all processes)`,
          unit: "ms",
          median: round(m.oursCpuPt * 1000),
        },
        {
          name: `${m.label}: fresh python3 + set_nomemory, CPU per point`,
          unit: "ms",
          median: round(m.baseCpuPt * 1000),
        },
        { name: `${m.label}: fork sweep (wall)`, unit: "points/s", median: round(m.oursPps) },
        {
          name: `${m.label}: fresh python3 + set_nomemory (wall)`,
          unit: "points/s",
          median: round(m.basePps),
        },
      );
    }
    return {
      rows,
      figures: {
        fault_sweep_fork_vs_fresh: round(plain.oursCpuPt / plain.baseCpuPt),
        fault_sweep_speedup_cpu: round(plain.baseCpuPt / plain.oursCpuPt),
        fault_sweep_speedup_wall: round(plain.oursPps / plain.basePps),
        fault_sweep_same_findings: plain.same ? 1 : 0,
        fault_sweep_imports_speedup_cpu: round(imports.baseCpuPt / imports.oursCpuPt),
        fault_sweep_imports_same_findings: imports.same ? 1 : 0,
      },
      notes: [plain, imports].map((m) =>
        `fault sweep (${m.label}): ${m.total} points in the program, ${m.points} swept each way; findings (class, line): fork {${
          m.ours.join("; ")
        }} vs fresh {${m.base.join("; ")}}; goal >= 10x the points per CPU second`
      ),
    };
  },
};
