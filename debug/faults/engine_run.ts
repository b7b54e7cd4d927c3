/**
 * Runs a command under the fault engine (faults.h) in its three modes, for any program whose process
 * carries the engine: the launcher with libas_faults.so (Python programs, sweep.ts), or a C driver that
 * compiled the engine in (clients/libs). Every run gets the same stdio: stdin /dev/null, stdout and
 * stderr to files, as the engine gives each forked child, so the dry run, the sweep run, each child and
 * each fresh rerun see the same kind of descriptors.
 *
 * - {@link runEngineCount}: the dry run (COUNT): matching calls per domain, and the call log
 *   (`ALLOCSPEC_FAULTS_TRACE`) the sweep run is compared with;
 * - {@link runEngineSweep}: ONE run that forks at each point (SWEEP), children in parallel; each reaped
 *   child is handed to `onPoint` as it finishes; points not forked (threads alive, isolation impossible)
 *   and children that asked to be rerun (the guard stopped a side effect) come back in `rerun`;
 *   a difference from the dry run's calls comes back in `diverged`;
 * - {@link runEngineFresh}: one point in a fresh process (FAIL mode), for reruns and confirmations.
 *
 * @example
 * ```ts ignore
 * import { runEngineCount, runEngineSweep } from "./engine_run.ts";
 * const cmd = { exe: "./driver", args: ["zlib"], env: {} };
 * const dry = runEngineCount(cmd, { domains: ["ext"] });
 * await runEngineSweep({ cmd, cfg: { domains: ["ext"] }, points: [1, 2, 3], jobs: 2, timeoutMs: 10_000,
 *   onPoint: (o) => console.log(o.point, o.code, o.signal) });
 * ```
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SIGNALS } from "../../core/outcome.ts";
import { parseSite, type RawSite } from "./site.ts";

/** Exit status of a child that asked to be rerun fresh (faults.h AS_FAULTS_RERUN_EXIT). */
export const RERUN_EXIT = 125;

/** A command whose process carries the fault engine. */
export interface EngineCommand {
  exe: string;
  args: string[];
  /** the whole environment of the program (ALLOCSPEC_FAULTS_* are added per run) */
  env: Record<string, string>;
  cwd?: string;
}

/** What the engine fails (faults.h as_faults_config; every option that changes the numbering). */
export interface EngineConfig {
  /** raw, mem, obj, ext (default raw, mem, obj) */
  domains?: string[];
  sizeMin?: number;
  sizeMax?: number;
  inLibrary?: string;
  inModule?: string;
  persistent?: boolean;
  /** the failing process runs to its end (no early stop) */
  thorough?: boolean;
  /** false: children share descriptors and mappings with the parent (the old behaviour) */
  isolation?: boolean;
  /** generation collected before an early stop (default 0) */
  settleGc?: number;
}

/** The ALLOCSPEC_FAULTS_* variables of one run. */
export function engineVars(c: EngineConfig, mode: string, dir: string): Record<string, string> {
  const env: Record<string, string> = {
    ALLOCSPEC_FAULTS_MODE: mode,
    ALLOCSPEC_FAULTS_DIR: dir,
    ALLOCSPEC_FAULTS_DOMAINS: (c.domains ?? ["raw", "mem", "obj"]).join(","),
    ALLOCSPEC_FAULTS_PERSISTENT: c.persistent ? "1" : "0",
    ALLOCSPEC_FAULTS_THOROUGH: c.thorough ? "1" : "0",
    ALLOCSPEC_FAULTS_ISOLATION: c.isolation === false ? "off" : "on",
  };
  if (c.sizeMin !== undefined) env.ALLOCSPEC_FAULTS_SIZE_MIN = String(c.sizeMin);
  if (c.sizeMax !== undefined) env.ALLOCSPEC_FAULTS_SIZE_MAX = String(c.sizeMax);
  if (c.inLibrary) env.ALLOCSPEC_FAULTS_IN_LIBRARY = c.inLibrary;
  if (c.inModule) env.ALLOCSPEC_FAULTS_IN_MODULE = c.inModule;
  if (c.settleGc !== undefined) env.ALLOCSPEC_FAULTS_SETTLE_GC = String(c.settleGc);
  return env;
}

function envOf(cmd: EngineCommand, vars: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(cmd.env)) {
    if (v !== undefined && !k.startsWith("ALLOCSPEC_FAULTS_")) base[k] = v;
  }
  return { ...base, ...vars };
}

function readOpt(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** Matching calls per domain as the engine wrote them (`total`, `raw`, ..., `skipped_threads`). */
export function readCounts(dir: string): Record<string, number> {
  const text = readOpt(join(dir, "counts"));
  if (!text) return {};
  return Object.fromEntries(text.trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, +v]));
}

/** stdin /dev/null, stdout and stderr to files in dir: the stdio every engine process gets. */
function stdioFiles(
  dir: string,
  name: string,
): { fds: ["ignore", number, number]; read: () => [string, string] } {
  const out = join(dir, `${name}.out`), err = join(dir, `${name}.err`);
  const fds: ["ignore", number, number] = ["ignore", openSync(out, "w"), openSync(err, "w")];
  return {
    fds,
    read: () => {
      closeSync(fds[1]);
      closeSync(fds[2]);
      return [readOpt(out) ?? "", readOpt(err) ?? ""];
    },
  };
}

/** The dry run: counts, and the call log at `trace` when given. */
export function runEngineCount(
  cmd: EngineCommand,
  cfg: EngineConfig,
  opts: { trace?: string; siteAt?: number } = {},
): {
  counts: Record<string, number>;
  ms: number;
  code: number | null;
  signal: number;
  stdout: string;
  stderr: string;
  site: RawSite | null;
} {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-count-"));
  try {
    const vars = engineVars(cfg, "count", dir);
    if (opts.trace) vars.ALLOCSPEC_FAULTS_TRACE = opts.trace;
    if (opts.siteAt) vars.ALLOCSPEC_FAULTS_SITE_AT = String(opts.siteAt);
    const io = stdioFiles(dir, "run");
    const t0 = Date.now();
    const r = spawnSync(cmd.exe, cmd.args, { env: envOf(cmd, vars), cwd: cmd.cwd, stdio: io.fds });
    const ms = Date.now() - t0;
    const [stdout, stderr] = io.read();
    const site = opts.siteAt ? readOpt(join(dir, `p${opts.siteAt}.site`)) : null;
    return {
      counts: readCounts(dir),
      ms,
      code: r.status,
      signal: r.signal ? SIGNALS[r.signal] ?? 99 : 0,
      stdout,
      stderr,
      site: site ? parseSite(site) : null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One finished point, from a forked child or a fresh process. */
export interface PointOutcome {
  point: number;
  /** exit status, -1 when killed by a signal */
  code: number;
  /** terminating signal number, 0 when it exited */
  signal: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** the engine's p<N>.site text (null when the failing call was never reached) */
  site: string | null;
  /** the child asked to be rerun fresh (the guard stopped a side effect): the reason */
  rerun: string | null;
  /** CPU time of the process (forked children: from wait4) */
  cpuUs?: number;
  /** where a fresh run's calls first differed from the dry run's, before its point */
  diverged?: Divergence;
}

/** The first call where a run differed from the dry run. */
export interface Divergence {
  call: number;
  expected: string;
  got: string;
  /** the differing run's stack at that call (none when it ended before it) */
  site: RawSite | null;
}

/** Parses <dir>/diverged (trace.c). */
export function readDivergence(dir: string): Divergence | null {
  const text = readOpt(join(dir, "diverged"));
  if (!text) return null;
  const lines = text.split("\n");
  const field = (k: string) => lines.find((l) => l.startsWith(`${k} `))?.slice(k.length + 1) ?? "";
  const siteText = lines.filter((l) => /^(point|domain|size|c|py|end)\b/.test(l)).join("\n");
  return {
    call: +field("call"),
    expected: field("expected"),
    got: field("got"),
    site: siteText.includes("\npoint") || siteText.startsWith("point") ? parseSite(siteText) : null,
  };
}

function rerunReason(code: number, signal: number, site: string | null): string | null {
  const line = site?.split("\n").find((l) => l.startsWith("rerun "));
  if (line && (code === RERUN_EXIT || signal)) return line.slice(6);
  // a trapped system call whose SIGSYS the program blocked or ignored: the kernel killed the child
  if (signal === SIGNALS.SIGSYS) return "guard (SIGSYS)";
  return null;
}

/** One point in a fresh process (FAIL mode); the timeout sends SIGABRT (faulthandler), SIGKILL 2 s later. */
export function runEngineFresh(
  cmd: EngineCommand,
  cfg: EngineConfig,
  point: number,
  timeoutMs: number,
  opts: { trace?: string } = {},
): Promise<PointOutcome> {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-one-"));
  const vars = engineVars(cfg, "fail", dir);
  vars.ALLOCSPEC_FAULTS_FAIL_AT = String(point);
  if (opts.trace) vars.ALLOCSPEC_FAULTS_TRACE = opts.trace;
  const io = stdioFiles(dir, "run");
  return new Promise((resolve) => {
    const p = spawn(cmd.exe, cmd.args, { env: envOf(cmd, vars), cwd: cmd.cwd, stdio: io.fds });
    let timedOut = false;
    const kill = setTimeout(() => {
      timedOut = true;
      p.kill("SIGABRT");
      setTimeout(() => p.kill("SIGKILL"), 2000).unref?.();
    }, timeoutMs);
    const done = (code: number | null, sig: string | null) => {
      clearTimeout(kill);
      const [stdout, stderr] = io.read();
      const site = readOpt(join(dir, `p${point}.site`));
      const signal = sig ? SIGNALS[sig] ?? 99 : 0;
      const c = code ?? -1;
      const out: PointOutcome = {
        point,
        code: c,
        signal,
        timedOut,
        stdout,
        stderr,
        site,
        rerun: null,
      };
      const d = readDivergence(dir);
      if (d) out.diverged = d;
      rmSync(dir, { recursive: true, force: true });
      resolve(out);
    };
    p.on("error", () => done(-1, null));
    p.on("close", done);
  });
}

/** Options of {@link runEngineSweep}. */
export interface EngineSweepOptions {
  cmd: EngineCommand;
  cfg: EngineConfig;
  /** sorted, distinct, >= 1 */
  points: number[];
  jobs: number;
  timeoutMs: number;
  /** the dry run's call log: the sweep run is compared with it */
  trace?: string;
  /** each child as it is reaped (not the reruns) */
  onPoint: (o: PointOutcome) => void;
  /** progress: points settled so far (reaped, skipped or rerun requested) */
  onProgress?: (done: number) => void;
}

/** What a sweep run left besides its points. */
export interface EngineSweepResult {
  /** calls the sweep run counted */
  counts: Record<string, number>;
  /** points to rerun in a fresh process, with why (threads, isolation, a side effect the guard stopped) */
  rerun: { point: number; reason: string }[];
  diverged: Divergence | null;
  /** the sweep run's own exit */
  code: number | null;
  signal: number;
  stderr: string;
}

/** The sweep run: one process forking at each point (SWEEP mode). */
export async function runEngineSweep(o: EngineSweepOptions): Promise<EngineSweepResult> {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-faults-sweep-"));
  try {
    writeFileSync(join(dir, "points"), o.points.join("\n") + "\n");
    const out = join(dir, "out");
    mkdirSync(out);
    const vars = engineVars(o.cfg, "sweep", out);
    vars.ALLOCSPEC_FAULTS_POINTS = join(dir, "points");
    vars.ALLOCSPEC_FAULTS_JOBS = String(o.jobs);
    vars.ALLOCSPEC_FAULTS_TIMEOUT_MS = String(o.timeoutMs);
    if (o.trace) vars.ALLOCSPEC_FAULTS_TRACE = o.trace;
    const io = stdioFiles(dir, "parent");
    const parent = spawn(o.cmd.exe, o.cmd.args, { env: envOf(o.cmd, vars), cwd: o.cmd.cwd, stdio: io.fds });
    const rerun: { point: number; reason: string }[] = [];
    let done = 0, offset = 0;
    const drain = () => {
      const text = readOpt(join(out, "results")) ?? "";
      const complete = text.slice(offset).split("\n").slice(0, -1);
      offset += complete.reduce((n, l) => n + l.length + 1, 0);
      for (const l of complete) {
        const f = l.split(" ");
        const point = +f[0];
        done++;
        if (f[1] === "skip") {
          rerun.push({ point, reason: f.slice(2).join(" ") });
          continue;
        }
        const base = join(out, `p${point}`);
        const code = +f[1], signal = +f[2];
        const site = readOpt(`${base}.site`);
        const outcome: PointOutcome = {
          point,
          code,
          signal,
          timedOut: f[3] === "1",
          stdout: readOpt(`${base}.out`) ?? "",
          stderr: readOpt(`${base}.err`) ?? "",
          site,
          rerun: rerunReason(code, signal, site),
          cpuUs: +f[5],
        };
        for (const ext of ["err", "out", "site"]) rmSync(`${base}.${ext}`, { force: true });
        if (outcome.rerun) rerun.push({ point, reason: outcome.rerun });
        else o.onPoint(outcome);
      }
      o.onProgress?.(done);
    };
    const exit = new Promise<[number | null, string | null]>((res) => {
      parent.on("error", () => res([-1, null]));
      parent.on("close", (c, s) => res([c, s]));
    });
    let finished: [number | null, string | null] | undefined;
    exit.then((r) => (finished = r));
    while (!finished) {
      await new Promise((res) => setTimeout(res, 100));
      drain();
    }
    drain();
    const [, stderr] = io.read();
    return {
      counts: readCounts(out),
      rerun,
      diverged: readDivergence(out),
      code: finished[0],
      signal: finished[1] ? SIGNALS[finished[1]] ?? 99 : 0,
      stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
