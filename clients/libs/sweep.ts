/**
 * The fault sweep of one library on one target, on the one fault engine (debug/faults, compiled into
 * every harness by build.ts; the harness asks `as_faults_should_fail(AS_FAULTS_EXT, size)` before each
 * allocation its library makes).
 *
 * 1. Dry run (engine mode `count`): the number of allocation points P of the workload.
 * 2. Each chosen point k (all of 1..P when P <= max, else `max` evenly spaced ones) runs in a fresh child
 *    with mode `fail`, `FAIL_AT=k`: exactly that call returns NULL. Quick workload, no threads, so the
 *    points of zlib, expat and SQLite are the same in every run (OpenSSL's and libxml2's vary slightly:
 *    random keys, randomised hash seeds).
 * 3. Oracles, in order: no result line = `crash` (or `violation` when the debug hooks spoke); debug-hook
 *    violations = `violation`; blocks live after the library's cleanup = `leak`; otherwise the failure
 *    was `reported` (the library's out-of-memory error reached the caller: Z_MEM_ERROR,
 *    XML_ERROR_NO_MEMORY, ERR_R_MALLOC_FAILURE, libxml2's "Memory allocation failed", SQLITE_NOMEM),
 *    `absorbed` (every check still passed: the library recovered or the allocation was optional) or
 *    `unreported` (a check failed and no such error surfaced: a silent failure, a finding).
 *    Findings are deduplicated by (class, site of the failed call).
 *
 * Why fresh processes and not the engine's fork-at-the-point sweep: the harness runs inside a Deno/Bun
 * child, which always has several threads; the engine rightly refuses to fork such a process.
 *
 * @example
 * ```ts
 * import { OOM_ERROR } from "./sweep.ts";
 * OOM_ERROR.zlib.test("inflateInit: insufficient memory (-4)"); // true
 * ```
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ChildOutcome, runScriptAsync } from "../../core/child.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import { parseSite, type RawSite, siteKey, Symbolizer } from "../../debug/faults/site.ts";
import { type FaultSweep, judge, type PointClass, type Scenario, type SweepWorkload } from "./judge.ts";

export type { FaultSweep, PointClass, SweepWorkload } from "./judge.ts";

/** The out-of-memory error each library must report (matched against the harness's library_errors). */
export const OOM_ERROR: Readonly<Record<string, RegExp>> = {
  zlib: /insufficient memory|\(-4\)/,
  expat: /out of memory|XML_ParserCreate_MM returned NULL/,
  openssl: /malloc failure/,
  libxml2: /Memory allocation failed|out of memory|libxml2 error 2:/i, // 2 = XML_ERR_NO_MEMORY
  sqlite: /out of memory|\(7\)/,
};

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

interface Outcome extends ChildOutcome {
  /** the engine's site file of the failed call (mode fail), when it was written */
  site?: RawSite;
}

/** Runs the scenario once with the engine configured by `faultEnv` (a fresh engine directory each time). */
export async function faultRun(
  target: string,
  sc: Scenario,
  so: string,
  env: Record<string, string>,
  faultEnv: Record<string, string>,
  workload: SweepWorkload = "quick",
): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "libs-faults-"));
  try {
    const out: Outcome = await runScriptAsync(CHILD, [target, sc.lib, so, `${workload} nothreads`, "hooks"], {
      env: { ...env, ...faultEnv, ALLOCSPEC_FAULTS_DIR: dir },
      timeoutMs: 120_000,
    });
    const at = faultEnv.ALLOCSPEC_FAULTS_FAIL_AT;
    const file = join(dir, `p${at}.site`);
    if (at && existsSync(file)) out.site = parseSite(readFileSync(file, "utf8"));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The points to try (debug/faults/points.ts, the one chooser): all of 1..points when they fit in `max`;
 * else the first quarter of the budget on the first points (library initialisation, where a failure leaves
 * global state half-built: the OpenSSL crashes below were all there) and the rest stratified over the
 * remaining points.
 */
export const LIBS_HEAD_SHARE = 0.25;

const symbolizer = new Symbolizer();
/**
 * Frames that are never the site: the harness itself (libs_<library>.so: hooks, tracking, the engine) and
 * the runtime executable that called it; and the libraries' own malloc wrappers (OpenSSL's CRYPTO_*alloc).
 */
const HARNESS_MODULE = /\/libs_[a-z0-9]+\.so$|\/(deno|bun|bun\.exe)$/;
const WRAPPER_FRAME = /^CRYPTO_(malloc|zalloc|realloc|clear_realloc|strdup|strndup|memdup|secure_\w+) \(/;

/**
 * The site of the failed call: the engine's C frames (debug/faults/site.ts: symbolized, allocator frames
 * dropped, harness frames dropped here) as its dedup key, else the harness's hook name (OpenSSL: the
 * source file it passes).
 */
export function siteOf(child: Outcome, hookSite: string | undefined): string {
  if (child.site?.c.length) {
    const raw = { ...child.site, c: child.site.c.filter((f) => !HARNESS_MODULE.test(f.module)) };
    const site = symbolizer.site(raw);
    const key = siteKey({ ...site, c: site.c.filter((f) => !WRAPPER_FRAME.test(f)) });
    if (key !== "unknown site") return hookSite ? `${key} [${hookSite}]` : key;
  }
  return hookSite ?? "?";
}

/** Classifies one point's child. */
export function classify(
  target: string,
  sc: Scenario,
  child: Outcome,
): { cls: PointClass; site: string; detail: string } {
  const r = judge(target, sc, child, 0);
  const res = r.result;
  const site = siteOf(child, res?.fault_site as string | undefined);
  if (!res) return { cls: r.violations ? "violation" : "crash", site, detail: r.message };
  if (res.violations.count) return { cls: "violation", site, detail: r.violationText ?? r.message };
  if (res.leaks.blocks) {
    const g = res.leaks.groups.map((x) => `${x.count} x ${x.size} B at ${x.site}`).join(", ");
    return {
      cls: "leak",
      site,
      detail: `${res.leaks.blocks} block(s), ${res.leaks.bytes} B live after cleanup (${g})`,
    };
  }
  if (!res.checks_failed.count) return { cls: "absorbed", site, detail: "" };
  const errors = ((res.library_errors as { texts?: string[] } | undefined)?.texts ?? []).join("; ");
  if (OOM_ERROR[sc.lib]?.test(errors)) return { cls: "reported", site, detail: errors };
  return {
    cls: "unreported",
    site,
    detail: `no out-of-memory error reached the caller: ${res.checks_failed.texts[0]}${
      errors ? ` (errors: ${errors})` : ""
    }`,
  };
}

/** The sweep: dry run, then the chosen points, `jobs` children at a time. */
export async function sweep(
  target: string,
  sc: Scenario,
  so: string,
  env: Record<string, string>,
  max: number,
  jobs = 2,
  workload: SweepWorkload = "quick",
): Promise<FaultSweep> {
  const dry = judge(
    target,
    sc,
    await faultRun(target, sc, so, env, { ALLOCSPEC_FAULTS_MODE: "count" }, workload),
    0,
  );
  const points = Number(dry.result?.fault_points ?? 0);
  const out: FaultSweep = {
    points,
    tried: 0,
    handled: 0,
    reported: 0,
    absorbed: 0,
    crashes: 0,
    leaks: 0,
    violations: 0,
    unreported: 0,
    findings: [],
  };
  const queue = choosePoints(points, max, LIBS_HEAD_SHARE);
  const results = new Map<number, ReturnType<typeof classify>>();
  const worker = async () => {
    for (let k = queue.shift(); k !== undefined; k = queue.shift()) {
      const child = await faultRun(target, sc, so, env, {
        ALLOCSPEC_FAULTS_MODE: "fail",
        ALLOCSPEC_FAULTS_FAIL_AT: String(k),
      }, workload);
      results.set(k, classify(target, sc, child));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  for (const k of [...results.keys()].sort((a, b) => a - b)) {
    const c = results.get(k)!;
    out.tried++;
    if (c.cls === "reported") out.reported++;
    else if (c.cls === "absorbed") out.absorbed++;
    else if (c.cls === "crash") out.crashes++;
    else if (c.cls === "leak") out.leaks++;
    else if (c.cls === "violation") out.violations++;
    else out.unreported++;
    if (c.cls === "reported" || c.cls === "absorbed") continue;
    const same = out.findings.find((f) => f.cls === c.cls && f.site === c.site);
    if (same) same.count++;
    else out.findings.push({ cls: c.cls, site: c.site, point: k, count: 1, detail: c.detail });
  }
  out.handled = out.reported + out.absorbed;
  return out;
}
