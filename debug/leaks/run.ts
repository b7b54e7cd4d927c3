/**
 * Runs a Python program under the leak tracker (libas_leaks.so, a launcher layer) and returns its snapshots;
 * and runs the same program under tracemalloc for comparison.
 *
 * @example
 * ```ts ignore
 * import { launchSpec } from "../../targets/launcher.ts";
 * import { buildLayer } from "../layers.ts";
 * import { trackLeaks } from "./run.ts";
 * const { snapshots } = trackLeaks(launchSpec({ layers: [buildLayer("as_leaks")] }), ["script.py"]);
 * ```
 * @module
 */
import { spawnSync, type StdioOptions } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Launch } from "../faults/sweep.ts";
import { type LeakSnapshot, parseSnapshots } from "./report.ts";
import { userCwd } from "../../core/cwd.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** Result of one traced run. */
export interface LeakRun {
  snapshots: LeakSnapshot[];
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs `argv` with the tracer (the launch must include libas_leaks.so among its layers). */
export function trackLeaks(
  launch: Launch,
  argv: string[],
  opts: { env?: Record<string, string>; stdio?: StdioOptions; cwd?: string } = {},
): LeakRun {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-leaks-"));
  try {
    const out = join(dir, "snapshots");
    const r = spawnSync(launch.exe, [...launch.argvPrefix, ...argv], {
      env: { ...launch.env, ...opts.env, ALLOCSPEC_LEAKS_OUT: out },
      cwd: opts.cwd ?? userCwd(launch.env),
      stdio: opts.stdio ?? "pipe",
      encoding: "utf8",
      maxBuffer: 256 << 20,
    });
    const snapshots = existsSync(out) ? parseSnapshots(readFileSync(out, "utf8")) : [];
    return { snapshots, status: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line of tracemalloc's statistics('lineno'). */
export interface TracemallocLine {
  file: string;
  line: number;
  bytes: number;
  blocks: number;
}

/** Runs a script under `tracemalloc.start(1)` and returns its exit snapshot's lines (largest first). */
export function tracemallocTop(
  launch: Launch,
  script: string[],
  env: Record<string, string> = {},
): TracemallocLine[] {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-tracemalloc-"));
  try {
    const out = join(dir, "top.jsonl");
    const r = spawnSync(launch.exe, [...launch.argvPrefix, join(HERE, "tracemalloc_top.py"), ...script], {
      env: { ...launch.env, ...env, ALLOCSPEC_TRACEMALLOC_OUT: out },
      encoding: "utf8",
    });
    if (!existsSync(out)) throw new Error(`tracemalloc run wrote nothing (exit ${r.status}): ${r.stderr}`);
    return readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
