/**
 * The fault sweep of one library on one target, on the one fault engine (debug/faults, compiled into
 * every harness by build.ts; the harness asks `as_faults_should_fail(AS_FAULTS_EXT, size)` before each
 * allocation its library makes), in ONE driver process per (target, library) that forks at every point.
 *
 * 1. Dry run (engine mode `count`): the number of allocation points P of the sweep workload (no threads,
 *    OpenSSL's random stream seeded, the libraries' clock fixed: driver.c "Determinism").
 * 2. Sweep run (engine mode `sweep`, debug/faults/engine_run.ts): libs-driver runs the workload once; at
 *    each chosen point (all of 1..P when P <= max, else a quarter of the budget on the first points and
 *    the rest evenly spaced) the engine forks: the child fails exactly that call and runs the rest of the
 *    workload from exactly the parent's state (a single-threaded C process: driver.c; the engine isolates
 *    its descriptors and keeps its parent's lock ownership), its output in `p<N>.out/.err/.site`; the
 *    parent lets the call succeed and goes on, `jobs` children at a time. A point reached while another
 *    thread was alive, or whose child the engine's guard stopped, is rerun in a fresh process (FAIL mode,
 *    `FAIL_AT=N`). The sweep run's calls are compared with the dry run's call log: where it left that
 *    path is reported (a warning), as is a count that differs.
 * 3. Oracles, in order: killed at the time limit = `hang`; no result line = `crash` (or `violation` when
 *    the debug hooks spoke, with the C frames of where it died); debug-hook
 *    violations = `violation`; blocks live after the library's cleanup = `leak`; otherwise the failure
 *    was `reported` (the library's out-of-memory error reached the caller: Z_MEM_ERROR,
 *    XML_ERROR_NO_MEMORY, ERR_R_MALLOC_FAILURE, libxml2's "Memory allocation failed", SQLITE_NOMEM),
 *    `absorbed` (every check still passed: the library recovered or the allocation was optional) or
 *    `unreported` (a check failed and no such error surfaced: a silent failure, a finding).
 *    Findings are deduplicated by (class, site of the failed call).
 * 4. Confirmation (issue 18 item 2): each finding's smallest point is rerun in a fresh driver with
 *    `FAIL_AT`; it is `confirmed` when the rerun gives the same class at the same site, else it is kept,
 *    labelled "not reproduced", and never counted. The reproducer printed is the command of that rerun.
 *
 * @example
 * ```ts
 * import { OOM_ERROR } from "./sweep.ts";
 * OOM_ERROR.zlib.test("inflateInit: insufficient memory (-4)"); // true
 * ```
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import {
  type EngineCommand,
  type EngineConfig,
  type PointOutcome,
  runEngineCount,
  runEngineFresh,
  runEngineSweep,
} from "../../debug/faults/engine_run.ts";
import { parseSite, type RawSite, siteKey, Symbolizer } from "../../debug/faults/site.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import type { DriverLaunch, DriverOutcome } from "./driver.ts";
import { type FaultSweep, judge, type PointClass, type Scenario, type SweepWorkload } from "./judge.ts";

export type { FaultSweep, PointClass, SweepFinding, SweepWorkload } from "./judge.ts";

/**
 * The share of a sampled sweep's budget spent on the first points (library initialisation, where a
 * failure leaves global state half-built: the OpenSSL crashes are there); the rest is stratified over the
 * whole run (debug/faults/points.ts). Every point is swept when the budget allows.
 */
export const LIBS_HEAD_SHARE = 0.25;

/** The out-of-memory error each library must report (matched against the harness's library_errors). */
export const OOM_ERROR: Readonly<Record<string, RegExp>> = {
  zlib: /insufficient memory|\(-4\)/,
  expat: /out of memory|XML_ParserCreate_MM returned NULL/,
  openssl: /malloc failure/,
  libxml2: /Memory allocation failed|out of memory|libxml2 error 2:/i, // 2 = XML_ERR_NO_MEMORY
  sqlite: /out of memory|\(7\)/,
};

/** The harness options of sweep and `--fail-at` runs (no threads: a fork keeps one thread). */
export function sweepOptions(workload: SweepWorkload = "tiny"): string {
  return `${workload} nothreads seeded`;
}

/** A point's outcome: how its process ended, and the engine's site file of the failed call. */
interface Outcome extends DriverOutcome {
  site?: RawSite;
}

/** The engine command of a (target, library) sweep workload: libs-driver HARNESS.so OPTIONS. */
function engineCommand(launch: DriverLaunch, so: string, workload: SweepWorkload): EngineCommand {
  return { exe: launch.exe, args: [so, sweepOptions(workload)], env: launch.env };
}

/**
 * The engine's settings: only the library's own allocations (domain EXT: the harness asks the engine
 * before each call its library makes), and every child runs to the end (`thorough`): the leak oracle
 * needs the library's cleanup.
 */
const ENGINE: EngineConfig = { domains: ["ext"], thorough: true };

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([k, v]) => [v as number, k]));

/** The engine runner's outcome in the shape `judge` reads. */
function outcomeOf(o: PointOutcome): Outcome {
  return {
    status: o.signal ? null : o.code,
    signal: o.signal ? SIGNAL_NAMES.get(o.signal) ?? `signal ${o.signal}` : null,
    stdout: o.stdout,
    stderr: o.stderr,
    timedOut: o.timedOut,
    site: o.site ? parseSite(o.site) : undefined,
  };
}

/**
 * Frames that are never the site: the harness itself (libs_<library>.so: hooks, tracking, the engine) and
 * the driver that called it; and the libraries' own malloc wrappers (OpenSSL's CRYPTO_*alloc).
 */
const HARNESS_MODULE = /\/libs_[a-z0-9]+\.so$|\/libs-driver$/;
const WRAPPER_FRAME = /^CRYPTO_(malloc|zalloc|realloc|clear_realloc|strdup|strndup|memdup|secure_\w+) \(/;

/**
 * The site of the failed call: the engine's C frames (debug/faults/site.ts: symbolized, allocator frames
 * dropped, harness frames dropped here) as its dedup key, else the harness's hook name (OpenSSL: the
 * source file it passes).
 */
export function siteOf(
  site: RawSite | undefined,
  hookSite: string | undefined,
  symbolizer: Symbolizer,
): string {
  if (site?.c.length) {
    const raw = { ...site, c: site.c.filter((f) => !HARNESS_MODULE.test(f.module)) };
    const s = symbolizer.site(raw);
    const key = siteKey({ ...s, c: s.c.filter((f) => !WRAPPER_FRAME.test(f)) });
    if (key !== "unknown site") return hookSite ? `${key} [${hookSite}]` : key;
  }
  return hookSite ?? "?";
}

/** Classifies one point's outcome without its site (the class and what shows it, plus the hook's site). */
function classOf(
  target: string,
  sc: Scenario,
  child: Outcome,
  symbolizer: Symbolizer,
): { cls: PointClass; detail: string; hook?: string } {
  const r = judge(target, sc, child, 0);
  const res = r.result;
  const hook = res?.fault_site as string | undefined;
  if (!res) {
    const died = child.site?.crash.length
      ? ` (died in ${symbolizer.kept(child.site.crash).slice(0, 3).join(" < ")})`
      : "";
    if (child.timedOut) return { cls: "hang", detail: `${r.message}${died}` };
    return { cls: r.violations ? "violation" : "crash", detail: `${r.message}${died}` };
  }
  if (res.violations.count) return { cls: "violation", detail: r.violationText ?? r.message, hook };
  if (res.leaks.blocks) {
    const g = res.leaks.groups.map((x) => `${x.count} x ${x.size} B at ${x.site}`).join(", ");
    return {
      cls: "leak",
      detail: `${res.leaks.blocks} block(s), ${res.leaks.bytes} B live after cleanup (${g})`,
      hook,
    };
  }
  if (!res.checks_failed.count) return { cls: "absorbed", detail: "", hook };
  const errors = ((res.library_errors as { texts?: string[] } | undefined)?.texts ?? []).join("; ");
  if (OOM_ERROR[sc.lib]?.test(errors)) return { cls: "reported", detail: errors, hook };
  return {
    cls: "unreported",
    detail: `no out-of-memory error reached the caller: ${res.checks_failed.texts[0]}${
      errors ? ` (errors: ${errors})` : ""
    }`,
    hook,
  };
}

/** Classifies one point's outcome, with its site. */
export function classify(
  target: string,
  sc: Scenario,
  child: Outcome,
  symbolizer: Symbolizer = new Symbolizer(),
): { cls: PointClass; site: string; detail: string } {
  const c = classOf(target, sc, child, symbolizer);
  return { cls: c.cls, detail: c.detail, site: siteOf(child.site, c.hook, symbolizer) };
}

/** The counter of each class in {@link FaultSweep}. */
const COUNTER = {
  crash: "crashes",
  hang: "hangs",
  violation: "violations",
  leak: "leaks",
  unreported: "unreported",
  reported: "reported",
  absorbed: "absorbed",
} as const satisfies Record<PointClass, keyof FaultSweep>;

/** Options of {@link sweep}. */
export interface SweepRun {
  launch: DriverLaunch;
  sc: Scenario;
  so: string;
  /** at most this many points */
  max: number;
  /** children at once (default 2) */
  jobs?: number;
  workload?: SweepWorkload;
  /** rerun each finding's first point fresh to confirm it (default true; the bench turns it off) */
  confirm?: boolean;
  /** called as points finish */
  onProgress?: (done: number, total: number) => void;
  /** every point's class and site (handled points' sites are symbolized too), in point order */
  onPoint?: (point: number, cls: PointClass, site: string) => void;
}

/** The sweep: dry run, one forking run, fresh reruns of skipped points, confirmation of each finding. */
export async function sweep(o: SweepRun): Promise<FaultSweep> {
  const { launch, sc, so } = o;
  const jobs = Math.max(1, o.jobs ?? 2), workload = o.workload ?? "tiny";
  const cmd = engineCommand(launch, so, workload);
  const out: FaultSweep = {
    points: 0,
    swept: 0,
    tried: 0,
    handled: 0,
    reported: 0,
    absorbed: 0,
    crashes: 0,
    hangs: 0,
    leaks: 0,
    violations: 0,
    unreported: 0,
    fresh: 0,
    missing: 0,
    seconds: 0,
    pointsPerSecond: 0,
    childCpuMs: 0,
    warnings: [],
    findings: [],
  };
  const dir = mkdtempSync(join(tmpdir(), "libs-sweep-"));
  const trace = join(dir, "trace");
  const outcomes = new Map<number, Outcome>();
  let timeoutMs = 10_000;
  try {
    // the dry run writes the call log the sweep run is compared with
    const dryRun = runEngineCount(cmd, ENGINE, { trace });
    const dry = judge(
      launch.target,
      sc,
      outcomeOf({ ...dryRun, point: 0, timedOut: false, site: null, rerun: null, code: dryRun.code ?? -1 }),
      dryRun.ms / 1000,
    );
    out.points = dryRun.counts.ext ?? 0;
    if (!dry.result) {
      out.warnings.push(`the dry run gave no result (${dry.message}): nothing swept`);
      return out;
    }
    const chosen = choosePoints(out.points, o.max, LIBS_HEAD_SHARE);
    // a child may run the whole workload: 10 x the dry run, at least 10 s (a loaded machine stretches both)
    timeoutMs = Math.max(10_000, 10 * dryRun.ms);
    let cpuUs = 0, forked = 0;
    const started = Date.now();
    const r = await runEngineSweep({
      cmd,
      cfg: ENGINE,
      points: chosen,
      jobs,
      timeoutMs,
      trace,
      onPoint: (p) => {
        outcomes.set(p.point, outcomeOf(p));
        cpuUs += p.cpuUs ?? 0;
        forked++;
      },
      onProgress: (done) => o.onProgress?.(done, chosen.length),
    });
    out.seconds = (Date.now() - started) / 1000;
    out.childCpuMs = forked ? cpuUs / forked / 1000 : 0;
    out.swept = r.counts.ext ?? 0;
    if (r.diverged) {
      out.warnings.push(
        `the sweep run left the dry run's path at call ${r.diverged.call} (expected ${r.diverged.expected}, got ${r.diverged.got})`,
      );
    } else if (out.swept !== out.points) {
      out.warnings.push(
        `the sweep's parent counted ${out.swept} allocation points, the dry run ${out.points}`,
      );
    }
    // points not forked (another thread alive) or whose child asked for it: a fresh process each
    await pool(r.rerun, jobs, async ({ point }) => {
      outcomes.set(point, outcomeOf(await runEngineFresh(cmd, ENGINE, point, timeoutMs)));
      out.fresh++;
    });
    out.pointsPerSecond = out.seconds ? outcomes.size / out.seconds : 0;
    out.missing = chosen.filter((k) => !outcomes.has(k)).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // classify, then symbolize the findings' sites in one addr2line run per module
  const symbolizer = new Symbolizer();
  const found: { point: number; cls: PointClass; detail: string; hook?: string; raw?: RawSite }[] = [];
  for (const k of [...outcomes.keys()].sort((a, b) => a - b)) {
    const child = outcomes.get(k)!;
    const c = classOf(launch.target, sc, child, symbolizer);
    out.tried++;
    out[COUNTER[c.cls]]++;
    if (c.cls !== "reported" && c.cls !== "absorbed") found.push({ point: k, ...c, raw: child.site });
    if (o.onPoint) o.onPoint(k, c.cls, siteOf(child.site, c.hook, symbolizer));
  }
  out.handled = out.reported + out.absorbed;
  symbolizer.prime(found.flatMap((f) => f.raw?.c ?? []));
  for (const f of found) {
    const site = siteOf(f.raw, f.hook, symbolizer);
    const same = out.findings.find((x) => x.cls === f.cls && x.site === site);
    if (same) same.count++;
    else {out.findings.push({
        cls: f.cls,
        site,
        point: f.point,
        count: 1,
        detail: f.detail,
        confirmed: false,
      });}
  }
  await pool(o.confirm === false ? [] : out.findings, jobs, async (f) => {
    const again = classify(
      launch.target,
      sc,
      await freshPoint(launch, so, f.point, workload, timeoutMs),
      symbolizer,
    );
    f.confirmed = again.cls === f.cls && again.site === f.site;
    if (!f.confirmed) f.rerun = `${again.cls} at ${again.site}${again.detail ? `: ${again.detail}` : ""}`;
  });
  return out;
}

/** One point in a fresh driver (FAIL mode): exactly call `point` fails. */
export async function freshPoint(
  launch: DriverLaunch,
  so: string,
  point: number,
  workload: SweepWorkload,
  timeoutMs = 120_000,
): Promise<Outcome> {
  return outcomeOf(await runEngineFresh(engineCommand(launch, so, workload), ENGINE, point, timeoutMs));
}

/** Runs `fn` over `items`, `jobs` at a time. */
async function pool<T>(items: readonly T[], jobs: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}
