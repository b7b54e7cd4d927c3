/**
 * A fault sweep over one Python program, driven through the fault engine (libas_faults.so, a launcher
 * layer; engine_run.ts runs it): a dry run counts the matching calls and logs them, ONE run forks at each
 * chosen point (exact: isolated children, compared call by call with the dry run), children in parallel
 * and stopped as soon as the failure's consequence is settled; each outcome is classified (core/outcome.ts),
 * findings are grouped by C site and Python site (site.ts, report.ts), and each Python site's smallest
 * point is rerun in a fresh process to confirm it. Points reached while other threads were alive, and
 * children the guard stopped before a side effect, are rerun in a fresh process (FAIL mode), as are
 * single points (`failAt`).
 *
 * @example
 * ```ts ignore
 * import { sweep } from "./sweep.ts";
 * const report = await sweep({ launch, argv: ["-c", "import json; json.dumps([1])"] });
 * console.log(report.findings.length);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { classifyPoint, type FindingClass, type Outcome } from "../../core/outcome.ts";
import { userCwd } from "../../core/cwd.ts";
import {
  type Divergence,
  type EngineCommand,
  type EngineConfig,
  type PointOutcome,
  runEngineCount,
  runEngineFresh,
  runEngineSweep,
} from "./engine_run.ts";
import { choosePoints, type Shard, shardPoints } from "./points.ts";
import { addFinding, countConfirmations, emptyReport, type FaultsReport, sortFindings } from "./report.ts";
import { parseSite, pythonSite, type RawSite, siteKey, type StdlibDirs, Symbolizer } from "./site.ts";

/** How to start Python on the chosen allocator (the launcher's `launchSpec` result). */
export interface Launch {
  exe: string;
  env: Record<string, string>;
  argvPrefix: string[];
}

/**
 * Options of {@link sweep} and {@link failAt}: what the engine fails ({@link EngineConfig}: domains raw,
 * mem, obj here, sizes, library, module, persistent, thorough, isolation), then the Python program's side.
 */
export interface SweepOptions extends Omit<EngineConfig, "settleGc"> {
  /** from the launcher's launchSpec, with libas_faults.so among its layers */
  launch: Launch;
  /** python arguments (script, -c, -m ...) */
  argv: string[];
  maxPoints?: number;
  jobs?: number;
  /** per point, seconds (default: max(10, 5 x the dry run)) */
  timeoutS?: number;
  shard?: Shard;
  /** working directory of the program (default: the user's, core/cwd.ts: ALLOCSPEC_CWD, INIT_CWD) */
  cwd?: string;
  /** extra environment for the program (PYTHONPATH ...) */
  env?: Record<string, string>;
  /** the command line that reproduces one point (`--fail-at N` and every option that numbers points) */
  reproducer?: (point: number) => string;
  /** rerun each Python site's smallest point fresh before reporting (default true) */
  confirm?: boolean;
  onProgress?: (done: number, total: number, findings: number) => void;
  /** every point's outcome once classified: class, C site key and Python site ("" for ok points) */
  onOutcome?: (point: number, cls: Outcome, key: string, pySite: string) => void;
}

function commandOf(o: SweepOptions): EngineCommand {
  return {
    exe: o.launch.exe,
    args: [...o.launch.argvPrefix, ...o.argv],
    env: {
      ...o.launch.env,
      ...o.env,
      // same hashing in the dry run, the sweep and a reproducer: the same calls get the same numbers
      PYTHONHASHSEED: o.env?.PYTHONHASHSEED ?? o.launch.env.PYTHONHASHSEED ?? "0",
      PYTHONFAULTHANDLER: "1",
    },
    cwd: o.cwd ?? userCwd(o.launch.env),
  };
}

function configOf(o: SweepOptions): EngineConfig {
  return {
    domains: o.domains,
    sizeMin: o.sizeMin,
    sizeMax: o.sizeMax,
    inLibrary: o.inLibrary,
    inModule: o.inModule,
    persistent: o.persistent,
    thorough: o.thorough,
    isolation: o.isolation,
  };
}

const stdlibCache = new Map<string, StdlibDirs>();
/** The standard library's directories of the Python the launcher runs (asked once per interpreter). */
export function stdlibDirs(o: SweepOptions): StdlibDirs {
  const key = `${o.launch.exe} ${o.launch.env.ALLOCSPEC_LIBPYTHON ?? ""}`;
  const hit = stdlibCache.get(key);
  if (hit) return hit;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.launch.env)) if (!k.startsWith("ALLOCSPEC_FAULTS_")) env[k] = v;
  const r = spawnSync(o.launch.exe, [
    ...o.launch.argvPrefix,
    "-c",
    "import sysconfig as s; p = s.get_paths(); print(p['stdlib']); print(p['platstdlib'])",
  ], { env, encoding: "utf8" });
  const dirs = r.status === 0 ? [...new Set(r.stdout.trim().split("\n").filter(Boolean))] : [];
  stdlibCache.set(key, dirs);
  return dirs;
}

/** Runs the program once with the engine counting (dry run). */
export function countCalls(
  o: SweepOptions,
  trace?: string,
): { counts: Record<string, number>; ms: number; code: number | null } {
  const r = runEngineCount(commandOf(o), configOf(o), { trace });
  if (!("total" in r.counts)) {
    throw new Error(
      `faults: the dry run wrote no counts (exit ${r.code ?? `signal ${r.signal}`}): ${
        r.stderr.trim().split("\n").slice(-3).join(" | ")
      }`,
    );
  }
  return { counts: r.counts, ms: r.ms, code: r.code };
}

/** A classified point whose site is still to be symbolized (handled points and findings). */
interface Pending {
  point: number;
  cls: Outcome;
  evidence: string;
  rule?: string;
  raw: RawSite;
}

/** Classifies one finished point: counted at once when ok, else kept for {@link settle}. */
function classifyOne(
  r: FaultsReport,
  o: PointOutcome,
  onOutcome?: SweepOptions["onOutcome"],
): Pending | null {
  const { cls, evidence, rule } = classifyPoint({ ...o, site: o.site });
  r.stats.run++;
  if (cls === "ok") {
    r.stats.ok++;
    onOutcome?.(o.point, cls, "", "");
    return null;
  }
  const raw: RawSite = o.site
    ? parseSite(o.site)
    : { point: o.point, domain: "?", size: 0, c: [], py: [], complete: false, crash: [] };
  return { point: o.point, cls, evidence, rule, raw };
}

/** Symbolizes every pending site in one addr2line run per module, then groups them into the report. */
function settle(
  r: FaultsReport,
  o: SweepOptions,
  pending: Pending[],
  stdlib: StdlibDirs,
  sym = new Symbolizer(),
): void {
  sym.prime(pending.flatMap((p) => [...p.raw.c, ...p.raw.crash]));
  for (const { point, cls, evidence, rule, raw } of pending) {
    const site = sym.site(raw);
    const key = siteKey(site);
    o.onOutcome?.(point, cls, key, pythonSite(site.py, stdlib));
    if (cls === "handled") {
      r.stats.handled++;
      r.handled[key] = (r.handled[key] ?? 0) + 1;
      continue;
    }
    r.stats.findings++;
    addFinding(r, {
      cls: cls as FindingClass,
      rule,
      key,
      domain: site.domain,
      size: site.size,
      c: site.c.slice(0, 8),
      py: site.py.slice(0, 8),
      pySite: pythonSite(site.py, stdlib),
      crash: site.crash.slice(0, 5),
      evidence,
      reproducer: o.reproducer?.(point) ?? `--fail-at ${point}`,
    }, point);
  }
}

/** Runs one point in a fresh process (FAIL mode), compared with the dry run's calls when `trace` is given. */
export function runPointFresh(
  o: SweepOptions,
  point: number,
  timeoutS: number,
  trace?: string,
): Promise<PointOutcome> {
  return runEngineFresh(commandOf(o), configOf(o), point, timeoutS * 1000, { trace });
}

/** Runs `items` through `fn` with at most `jobs` at once, in order of completion. */
async function pool<T>(items: T[], jobs: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}

function describeStack(sym: Symbolizer, raw: RawSite | null): string {
  if (!raw) return "(no stack: the run had ended)";
  const s = sym.site(raw);
  const c = s.c.slice(0, 4).join(" < ") || "(no C frame kept)";
  return s.py.length ? `${c}; Python: ${s.py.slice(0, 3).join(" < ")}` : c;
}

/**
 * Says where the sweep run first differed from the dry run, with both stacks. The dry run's stack at that
 * call comes from a second dry run, whose own calls are compared with the first's: when the two dry runs
 * part earlier, the program does not repeat itself (files its first run wrote, time, pids, randomness), and
 * the warning says so and where, rather than blaming the sweep.
 */
function divergenceWarning(o: SweepOptions, d: Divergence, trace: string, work: string): string {
  const again = join(work, "calls-again");
  const dry = runEngineCount(commandOf(o), configOf(o), { siteAt: d.call, trace: again });
  const sym = new Symbolizer();
  sym.prime([...(dry.site?.c ?? []), ...(d.site?.c ?? [])]);
  const a = readFileSync(trace), b = readFileSync(again);
  let first = 0;
  for (let i = 0; i + 8 <= Math.min(a.length, b.length) && !first; i += 8) {
    if (Buffer.compare(a.subarray(i, i + 8), b.subarray(i, i + 8)) !== 0) first = i / 8 + 1;
  }
  if (!first && a.length !== b.length) first = Math.min(a.length, b.length) / 8 + 1;
  if (first && first <= d.call) {
    return `the program does not repeat itself: two dry runs (no failure injected) differ from call ${first} on ` +
      `(what one run leaves for the next: files it writes; or time, pids, randomness); the sweep run left the ` +
      `first dry run's path at call ${d.call}: ${d.got} at ${describeStack(sym, d.site)}`;
  }
  return `the sweep run diverged from the dry run at call ${d.call} (points after it may not be the dry run's): ` +
    `dry run: ${d.expected} at ${describeStack(sym, dry.site)}; sweep run: ${d.got} at ${
      describeStack(sym, d.site)
    }`;
}

/** Reruns each Python site's smallest point fresh: confirmed (same class, same C site) or not reproduced. */
async function confirm(
  r: FaultsReport,
  o: SweepOptions,
  timeoutS: number,
  stdlib: StdlibDirs,
  trace?: string,
) {
  // the fresh run must fail the same way at the same C site, reached from the same Python site
  const todo = r.findings.flatMap((f) => f.python.map((p) => ({ f, p })));
  const sym = new Symbolizer();
  await pool(todo, o.jobs ?? 2, async ({ f, p }) => {
    const point = p.points[0];
    const one = await runPointFresh(o, point, timeoutS, trace);
    const { cls, rule } = classifyPoint(one);
    const raw = one.site ? parseSite(one.site) : null;
    const site = raw ? sym.site(raw) : null;
    const key = site ? siteKey(site) : "no site (the fresh run never reached the point)";
    const from = site ? pythonSite(site.py, stdlib) : "";
    if (cls === f.cls && (rule ?? "") === (f.rule ?? "") && key === f.key && from === p.site) {
      p.status = "confirmed";
      return;
    }
    p.status = "not reproduced";
    const why = one.diverged ? `; the fresh run diverged from the dry run at call ${one.diverged.call}` : "";
    const at = key === f.key && from !== p.site ? `the same C site from ${from || "no Python frame"}` : key;
    p.confirmation = `fresh run: ${cls}${rule ? `: ${rule}` : ""} at ${at}${why}`;
  });
  countConfirmations(r);
}

/** The whole sweep: dry run, forked sweep, fresh reruns, classification, grouping, confirmation. */
export async function sweep(o: SweepOptions): Promise<FaultsReport> {
  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), "allocspec-faults-"));
  try {
    const trace = join(work, "calls");
    const phases: Record<string, number> = {};
    let tPhase = Date.now();
    const phase = (name: string) => {
      phases[name] = Date.now() - tPhase;
      tPhase = Date.now();
    };
    const dry = countCalls(o, trace);
    phase("dry run");
    const all = choosePoints(dry.counts.total, o.maxPoints ?? 0);
    const points = shardPoints(all, o.shard);
    const timeoutS = o.timeoutS ?? Math.max(10, Math.ceil((5 * dry.ms) / 1000));
    const stdlib = stdlibDirs(o);
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
    const done = new Set<number>();
    const pending: Pending[] = [];
    let found = 0;
    const take = (one: PointOutcome) => {
      done.add(one.point);
      const p = classifyOne(report, one, o.onOutcome);
      if (p) {
        pending.push(p);
        if (p.cls !== "handled") found++;
      }
    };
    const jobs = o.jobs ?? 2;
    const res = await runEngineSweep({
      cmd: commandOf(o),
      cfg: configOf(o),
      points,
      jobs,
      timeoutMs: timeoutS * 1000,
      trace,
      onPoint: take,
      onProgress: (n) => o.onProgress?.(n, points.length, found),
    });
    phase("sweep run");
    // fresh reruns: points not forked (threads alive...) in parallel; children the guard stopped before a
    // side effect one at a time (their fresh runs do that side effect: two at once could see each other's)
    const threads = res.rerun.filter((x) => x.reason === "threads");
    const effects = res.rerun.filter((x) => x.reason !== "threads");
    const fresh = async (x: { point: number }) => {
      take(await runPointFresh(o, x.point, timeoutS, trace));
      report.stats.fresh++;
      o.onProgress?.(done.size, points.length, found);
    };
    await pool(threads, jobs, fresh);
    await pool(effects, 1, fresh);
    phase("fresh reruns");
    report.stats.missing = points.filter((p) => !done.has(p)).length;
    if (res.diverged) warn(divergenceWarning(o, res.diverged, trace, work));
    else if (res.counts.total !== undefined && res.counts.total !== dry.counts.total) {
      warn(`the sweep run counted ${res.counts.total} calls, the dry run ${dry.counts.total}`);
    }
    if (res.code === null && res.signal) warn(`the sweep run itself was killed by signal ${res.signal}`);
    settle(report, o, pending, stdlib);
    phase("symbolizing");
    if (o.confirm !== false) await confirm(report, o, timeoutS, stdlib, trace);
    phase("confirmation");
    sortFindings(report);
    report.phases = phases;
    report.durationMs = Date.now() - t0;
    return report;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Classifies one point run fresh (the reproducer's path): the report holds it as a finding or not. */
export async function failAt(
  o: SweepOptions,
  point: number,
  timeoutS = 60,
): Promise<{ report: FaultsReport; stdout: string; stderr: string }> {
  const report = emptyReport(o.argv);
  report.stats.planned = 1;
  report.shards = [`fail-at ${point}`];
  const one = await runPointFresh(o, point, timeoutS);
  const p = classifyOne(report, one);
  if (p) settle(report, o, [p], stdlibDirs(o));
  // this run is the fresh run: what it shows is what reproduces
  for (const f of report.findings) for (const s of f.python) s.status = "confirmed";
  countConfirmations(report);
  if (!one.site) report.stats.missing = 1;
  return { report, stdout: one.stdout, stderr: one.stderr };
}
