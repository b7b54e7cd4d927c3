/**
 * A fault sweep over one Python program, driven through the fault engine (libas_faults.so, a launcher
 * layer): a dry run counts the matching calls, then ONE run forks at each chosen point (the engine's SWEEP
 * mode), children in parallel; each child's outcome is classified (classify.ts) and each finding is
 * deduplicated by the site of its failing call (site.ts, report.ts). Points reached while other threads
 * were alive are rerun in a fresh process (FAIL mode), as are single points (`failAt`).
 *
 * @example
 * ```ts ignore
 * import { sweep } from "./sweep.ts";
 * const report = await sweep({ launch, argv: ["-c", "import json; json.dumps([1])"] });
 * console.log(report.findings.length);
 * ```
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifyPoint, type FindingClass, type Outcome, type PointRun } from "../../core/outcome.ts";
import { choosePoints, type Shard, shardPoints } from "./points.ts";
import { addFinding, emptyReport, type FaultsReport, sortFindings } from "./report.ts";
import { parseSite, type RawSite, siteKey, Symbolizer } from "./site.ts";
import { signalNumber } from "../../core/signals.ts";
import { userCwd } from "../../core/cwd.ts";

/** How to start Python on the chosen allocator (the launcher's `launchSpec` result). */
export interface Launch {
  exe: string;
  env: Record<string, string>;
  argvPrefix: string[];
}

/** Options of {@link sweep} and {@link failAt}. */
export interface SweepOptions {
  /** from the launcher's launchSpec, with libas_faults.so among its layers */
  launch: Launch;
  /** python arguments (script, -c, -m ...) */
  argv: string[];
  /** raw, mem, obj (default all) */
  domains?: string[];
  sizeMin?: number;
  sizeMax?: number;
  inLibrary?: string;
  inModule?: string;
  persistent?: boolean;
  maxPoints?: number;
  jobs?: number;
  /** per point, seconds (default: max(10, 5 x the dry run)) */
  timeoutS?: number;
  shard?: Shard;
  /** working directory of the program (default: the user's, core/cwd.ts: ALLOCSPEC_CWD, INIT_CWD) */
  cwd?: string;
  /** extra environment for the program (PYTHONPATH ...) */
  env?: Record<string, string>;
  /** the command line that reproduces one point, without `--fail-at N`; `{N}` placeholder not needed */
  reproducer?: (point: number) => string;
  onProgress?: (done: number, total: number, findings: number) => void;
}

function engineEnv(o: SweepOptions, mode: string, dir: string): Record<string, string> {
  const env: Record<string, string> = {
    ...o.env,
    // same hashing in the dry run, the sweep and a reproducer: the same calls get the same numbers
    PYTHONHASHSEED: o.env?.PYTHONHASHSEED ?? "0",
    PYTHONFAULTHANDLER: "1",
    ALLOCSPEC_FAULTS_MODE: mode,
    ALLOCSPEC_FAULTS_DIR: dir,
    ALLOCSPEC_FAULTS_DOMAINS: (o.domains ?? ["raw", "mem", "obj"]).join(","),
    ALLOCSPEC_FAULTS_PERSISTENT: o.persistent ? "1" : "0",
  };
  if (o.sizeMin !== undefined) env.ALLOCSPEC_FAULTS_SIZE_MIN = String(o.sizeMin);
  if (o.sizeMax !== undefined) env.ALLOCSPEC_FAULTS_SIZE_MAX = String(o.sizeMax);
  if (o.inLibrary) env.ALLOCSPEC_FAULTS_IN_LIBRARY = o.inLibrary;
  if (o.inModule) env.ALLOCSPEC_FAULTS_IN_MODULE = o.inModule;
  return env;
}

function childEnv(o: SweepOptions, extra: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.launch.env)) {
    if (v !== undefined && !k.startsWith("ALLOCSPEC_FAULTS_")) base[k] = v;
  }
  return { ...base, ...extra };
}

function cwdOf(o: SweepOptions): string {
  return o.cwd ?? userCwd(o.launch.env);
}

function readCounts(dir: string): Record<string, number> {
  const f = join(dir, "counts");
  if (!existsSync(f)) return {};
  return Object.fromEntries(
    readFileSync(f, "utf8").trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, +v]),
  );
}

/** Runs the program once with the engine counting (dry run). */
export function countCalls(
  o: SweepOptions,
): { counts: Record<string, number>; ms: number; code: number | null } {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-count-"));
  try {
    const t0 = Date.now();
    const r = spawnSync(o.launch.exe, [...o.launch.argvPrefix, ...o.argv], {
      env: childEnv(o, engineEnv(o, "count", dir)),
      cwd: cwdOf(o),
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const counts = readCounts(dir);
    if (!("total" in counts)) {
      throw new Error(
        `faults: the dry run wrote no counts (exit ${r.status ?? r.signal}): ${
          (r.stderr ?? "").trim().split("\n").slice(-3).join(" | ")
        }`,
      );
    }
    return { counts, ms: Date.now() - t0, code: r.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A classified point whose site is still to be symbolized (handled points and findings). */
interface Pending {
  point: number;
  cls: Outcome;
  evidence: string;
  raw: RawSite;
}

/** Classifies one finished point: counted at once when ok, else kept for {@link settle}. */
function classifyOne(r: FaultsReport, point: number, run: PointRun, siteText: string | null): Pending | null {
  const { cls, evidence } = classifyPoint(run);
  r.stats.run++;
  if (cls === "ok") {
    r.stats.ok++;
    return null;
  }
  const raw: RawSite = siteText
    ? parseSite(siteText)
    : { point, domain: "?", size: 0, c: [], py: [], complete: false, crash: [] };
  return { point, cls, evidence, raw };
}

/** Symbolizes every pending site in one addr2line run per module, then dedups into the report. */
function settle(r: FaultsReport, o: SweepOptions, pending: Pending[], sym = new Symbolizer()): void {
  sym.prime(pending.flatMap((p) => [...p.raw.c, ...p.raw.crash]));
  for (const { point, cls, evidence, raw } of pending) {
    const site = sym.site(raw);
    const key = siteKey(site);
    if (cls === "handled") {
      r.stats.handled++;
      r.handled[key] = (r.handled[key] ?? 0) + 1;
      continue;
    }
    r.stats.findings++;
    addFinding(r, {
      cls: cls as FindingClass,
      key,
      domain: site.domain,
      size: site.size,
      c: site.c.slice(0, 8),
      py: site.py.slice(0, 8),
      crash: site.crash.slice(0, 5),
      evidence,
      reproducer: o.reproducer?.(point) ?? `--fail-at ${point}`,
    }, point);
  }
}

function readOpt(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Runs one point in a fresh process (FAIL mode). */
export function runPointFresh(
  o: SweepOptions,
  point: number,
  timeoutS: number,
): { run: PointRun; site: string | null; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-one-"));
  try {
    const env = engineEnv(o, "fail", dir);
    env.ALLOCSPEC_FAULTS_FAIL_AT = String(point);
    const r = spawnSync(o.launch.exe, [...o.launch.argvPrefix, ...o.argv], {
      env: childEnv(o, env),
      cwd: cwdOf(o),
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      timeout: timeoutS * 1000,
      killSignal: "SIGABRT",
      maxBuffer: 64 << 20,
    });
    const timedOut = (r.error as { code?: string } | undefined)?.code === "ETIMEDOUT";
    const sig = signalNumber(r.signal, 99);
    return {
      run: { code: r.status ?? -1, signal: sig, timedOut, stderr: r.stderr ?? "" },
      site: readOpt(join(dir, `p${point}.site`)),
      stdout: r.stdout ?? "",
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The whole sweep: dry run, forked sweep, fresh reruns, classification, dedup. */
export async function sweep(o: SweepOptions): Promise<FaultsReport> {
  const t0 = Date.now();
  const dry = countCalls(o);
  const all = choosePoints(dry.counts.total, o.maxPoints ?? 0);
  const points = shardPoints(all, o.shard);
  const timeoutS = o.timeoutS ?? Math.max(10, Math.ceil((5 * dry.ms) / 1000));
  const report = emptyReport(o.argv);
  report.counts = dry.counts;
  const warn = (w: string) => (report.warnings ??= []).push(w);
  if (dry.code !== 0) {
    warn(
      `the dry run (no failure injected) exited with ${dry.code}: outcomes other than crashes and lost exceptions are not comparable`,
    );
  }
  report.shards = [o.shard ? `${o.shard.k}/${o.shard.n}` : "1/1"];
  report.stats.planned = points.length;
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-sweep-"));
  try {
    writeFileSync(join(dir, "points"), points.join("\n") + "\n");
    const out = join(dir, "out");
    mkdirSync(out);
    const env = engineEnv(o, "sweep", out);
    env.ALLOCSPEC_FAULTS_POINTS = join(dir, "points");
    env.ALLOCSPEC_FAULTS_JOBS = String(o.jobs ?? 2);
    env.ALLOCSPEC_FAULTS_TIMEOUT_MS = String(timeoutS * 1000);
    const parent = spawn(o.launch.exe, [...o.launch.argvPrefix, ...o.argv], {
      env: childEnv(o, env),
      cwd: cwdOf(o),
      stdio: ["ignore", "ignore", "ignore"],
    });
    const done = new Set<number>();
    const pending: Pending[] = [];
    let found = 0;
    const fresh: number[] = [];
    let offset = 0;
    const drain = () => {
      const text = readOpt(join(out, "results")) ?? "";
      const lines = text.slice(offset).split("\n");
      const complete = lines.slice(0, -1);
      offset += complete.reduce((n, l) => n + l.length + 1, 0);
      for (const l of complete) {
        const f = l.split(" ");
        const point = +f[0];
        if (f[1] === "skip") {
          fresh.push(point);
          continue;
        }
        done.add(point);
        const run: PointRun = {
          code: +f[1],
          signal: +f[2],
          timedOut: f[3] === "1",
          stderr: readOpt(join(out, `p${point}.err`)) ?? "",
        };
        const p = classifyOne(report, point, run, readOpt(join(out, `p${point}.site`)));
        if (p) {
          pending.push(p);
          if (p.cls !== "handled") found++;
        }
        for (const ext of ["err", "out", "site"]) rmSync(join(out, `p${point}.${ext}`), { force: true });
      }
      o.onProgress?.(done.size + fresh.length, points.length, found);
    };
    const exited = new Promise<void>((res) => parent.on("close", () => res()));
    let running = true;
    exited.then(() => (running = false));
    while (running) {
      await new Promise((res) => setTimeout(res, 100));
      drain();
    }
    drain();
    for (const p of fresh) {
      const one = runPointFresh(o, p, timeoutS);
      report.stats.fresh++;
      done.add(p);
      const pend = classifyOne(report, p, one.run, one.site);
      if (pend) pending.push(pend);
      o.onProgress?.(done.size, points.length, found);
    }
    report.stats.missing = points.filter((p) => !done.has(p)).length;
    const swept = readCounts(out).total;
    if (swept !== undefined && swept !== dry.counts.total) {
      warn(
        `the sweep run counted ${swept} calls, the dry run ${dry.counts.total}: the program is not deterministic`,
      );
    }
    settle(report, o, pending);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  sortFindings(report);
  report.durationMs = Date.now() - t0;
  return report;
}

/** Classifies one point run fresh (the reproducer's path): the report holds it as a finding or not. */
export function failAt(
  o: SweepOptions,
  point: number,
  timeoutS = 60,
): { report: FaultsReport; stdout: string; stderr: string } {
  const report = emptyReport(o.argv);
  report.stats.planned = 1;
  report.shards = [`fail-at ${point}`];
  const one = runPointFresh(o, point, timeoutS);
  const p = classifyOne(report, point, one.run, one.site);
  if (p) settle(report, o, [p]);
  return { report, stdout: one.stdout, stderr: one.run.stderr };
}
