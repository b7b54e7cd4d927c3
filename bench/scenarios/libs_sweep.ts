/**
 * Scenario `libs_sweep`: the external libraries' fault sweeps (clients/libs, issue 18 item 5) forking at
 * each point of ONE driver process per library, against one fresh driver process per point (the engine's
 * FAIL mode, `FAIL_AT=N`: what `--fail-at` runs, and what every point cost before the driver existed, plus
 * the start of a Deno/Bun child then), on the same points of the same sweep workload, with the same number
 * of jobs, side by side per library (zlib, expat, SQLite, OpenSSL; the order of the two ways alternates).
 *
 * Figures: `libs_sweep_ms_per_point_per_job` = the largest over the libraries of wall milliseconds per point
 * and job of the forking sweep (goal <= 50, i.e. >= 20 points/s per job; on a loaded machine a job waits for
 * a core, so `libs_sweep_cpu_ms_per_point`, the largest CPU time per point, says what an idle one gives); `libs_sweep_speedup_wall` and
 * `libs_sweep_speedup_cpu` (the smallest over the libraries of fresh / fork; CPU = user + system time of
 * every process involved, from /proc/self/stat's cutime + cstime, the bench's rule on a shared machine);
 * `libs_sweep_same_findings` (1 when both ways found the same (class, site) set on every library).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { buildHarness, HARNESSES } from "../../clients/libs/build.ts";
import { missing, type PackageName } from "../../core/optional.ts";
import { driverLaunch } from "../../clients/libs/driver.ts";
import { type Scenario as LibsScenario } from "../../clients/libs/run.ts";
import { classify, freshPoint, LIBS_HEAD_SHARE, sweep } from "../../clients/libs/sweep.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import { Symbolizer } from "../../debug/faults/site.ts";
import type { Row, Scenario, ScenarioContext } from "../scenario.ts";
import { round } from "../stats.ts";

/** CPU seconds (user + system) of every reaped child of this process, with their reaped children. */
function childrenCpuS(): number {
  const f = readFileSync("/proc/self/stat", "utf8");
  const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (+rest[13] + +rest[14]) / 100;
}

interface Way {
  wallS: number;
  cpuS: number;
  findings: Set<string>;
}

interface Measured {
  lib: string;
  points: number;
  swept: number;
  fork: Way;
  fresh: Way;
}

async function measureLib(ctx: ScenarioContext, lib: string, max: number, jobs: number, forkFirst: boolean) {
  const launch = driverLaunch("native", false); // as the sweeps run: no checking layer
  const so = buildHarness(lib);
  const sc: LibsScenario = { id: lib, lib, options: "" };
  const fork = async (): Promise<Way & { points: number; chosen: number[] }> => {
    const c0 = childrenCpuS(); // the dry run included: the fork side pays it, the fresh side does not
    const r = await sweep({ launch, sc, so, max, jobs, confirm: false });
    return {
      wallS: r.seconds, // the forking run alone
      cpuS: childrenCpuS() - c0,
      findings: new Set(r.findings.map((f) => `${f.cls} at ${f.site}`)),
      points: r.points,
      chosen: choosePoints(r.points, max, LIBS_HEAD_SHARE),
    };
  };
  const fresh = async (chosen: number[]): Promise<Way> => {
    const t0 = Date.now(), c0 = childrenCpuS();
    const found = new Set<string>();
    const symbolizer = new Symbolizer();
    let next = 0;
    const worker = async () => {
      while (next < chosen.length) {
        const k = chosen[next++];
        const c = classify(launch.target, sc, await freshPoint(launch, so, k, "tiny"), symbolizer);
        if (c.cls !== "reported" && c.cls !== "absorbed") found.add(`${c.cls} at ${c.site}`);
      }
    };
    await Promise.all(Array.from({ length: jobs }, worker));
    return { wallS: (Date.now() - t0) / 1000, cpuS: childrenCpuS() - c0, findings: found };
  };
  let f, b;
  if (forkFirst) {
    f = await fork();
    b = await fresh(f.chosen);
  } else {
    // the fresh side needs the points first: the dry run of a sweep gives them (not timed)
    const probe = await sweep({ launch, sc, so, max: 1, jobs: 1, confirm: false });
    const chosen = choosePoints(probe.points, max, LIBS_HEAD_SHARE);
    b = await fresh(chosen);
    f = await fork();
  }
  const m: Measured = { lib, points: f.points, swept: f.chosen.length, fork: f, fresh: b };
  const pps = (w: Way) => m.swept / w.wallS;
  ctx.print(
    `    ${lib}: ${m.swept} of ${m.points} points, ${jobs} jobs: fork ${pps(f).toFixed(1)} points/s (${
      (f.cpuS * 1000 / m.swept).toFixed(1)
    } ms CPU/point) vs fresh ${pps(b).toFixed(1)} points/s (${
      (b.cpuS * 1000 / m.swept).toFixed(1)
    } ms CPU/point)`,
  );
  return m;
}

const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

export const libsSweep: Scenario = {
  name: "libs_sweep",
  description:
    "libs fault sweeps forking in one C driver vs one fresh driver per point (same points, same jobs)",
  // --quick: two libraries, a few points (it only proves the scenario runs; never read its numbers)
  params: (quick) => ({
    maxPoints: quick ? 6 : 200,
    jobs: 2,
    libs: quick ? "zlib,sqlite" : "zlib,expat,sqlite,openssl",
  }),
  async run(ctx, p) {
    const rows: Row[] = [];
    const all: Measured[] = [];
    const libs = String(p.libs).split(",");
    // the harnesses build against the libraries' -dev packages: without one, nothing is measured (said)
    const lack = missing(...libs.map((l) => HARNESSES[l].debian as PackageName));
    if (lack.length) {
      const why = `not measured: the ${libs.join(", ")} harnesses need ${lack.join(", ")} (apt-get install ${
        lack.join(" ")
      })`;
      ctx.print(`    ${why}`);
      return { rows, figures: {} as Record<string, number>, notes: [why] };
    }
    for (const [i, lib] of libs.entries()) {
      const m = await measureLib(ctx, lib, Number(p.maxPoints), Number(p.jobs), i % 2 === 0);
      all.push(m);
      rows.push(
        { name: `${lib}: fork sweep (wall)`, unit: "points/s", median: round(m.swept / m.fork.wallS) },
        {
          name: `${lib}: fresh driver per point (wall)`,
          unit: "points/s",
          median: round(m.swept / m.fresh.wallS),
        },
        {
          name: `${lib}: fork sweep, CPU per point`,
          unit: "ms",
          median: round((m.fork.cpuS * 1000) / m.swept),
        },
        {
          name: `${lib}: fresh driver per point, CPU per point`,
          unit: "ms",
          median: round((m.fresh.cpuS * 1000) / m.swept),
        },
      );
    }
    const msPerPointPerJob = Math.max(...all.map((m) => (m.fork.wallS * 1000 * Number(p.jobs)) / m.swept));
    return {
      rows,
      figures: {
        libs_sweep_ms_per_point_per_job: round(msPerPointPerJob),
        // what one point costs in CPU (all processes): on an idle machine a job's wall time per point
        libs_sweep_cpu_ms_per_point: round(Math.max(...all.map((m) => (m.fork.cpuS * 1000) / m.swept))),
        libs_sweep_speedup_wall: round(Math.min(...all.map((m) => m.fresh.wallS / m.fork.wallS))),
        libs_sweep_speedup_cpu: round(
          Math.min(...all.map((m) => m.fresh.cpuS / Math.max(0.01, m.fork.cpuS))),
        ),
        libs_sweep_same_findings: all.every((m) => same(m.fork.findings, m.fresh.findings)) ? 1 : 0,
      },
      notes: all.map((m) =>
        `libs sweep ${m.lib}: ${m.points} points in the tiny workload, ${m.swept} swept each way; ${m.fork.findings.size} findings (class, site) forked, ${m.fresh.findings.size} fresh, ${
          same(m.fork.findings, m.fresh.findings)
            ? "the same"
            : `different: fork only {${
              [...m.fork.findings].filter((x) => !m.fresh.findings.has(x)).join("; ")
            }}, fresh only {${[...m.fresh.findings].filter((x) => !m.fork.findings.has(x)).join("; ")}}`
        }; goal >= 20 points/s per job`
      ),
    };
  },
};
