/**
 * Traces on demand in bench/traces/ (git-ignored, never committed):
 * - `pybench-s<scale>.a445`: the Python workloads traced in the machine's real CPython by the
 *   native tracing hook installed on all three domains through libpython's PyMem_GetAllocator /
 *   PyMem_SetAllocator (PEP 445 use case 3 in C; bench/workloads/driver.py explains why python3 +
 *   ctypes). Re-captured when the workloads or the native library are newer than the file.
 * - `synthetic-<ops>-s<seed>.a445`: bench/synthetic.ts.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { synthesizeTrace } from "./synthetic.ts";
import { isFresh } from "../core/cbuild.ts";
import { readTrace } from "./trace.ts";
import { traceStats } from "./trace_check.ts";
import type { TraceInput } from "./scenario.ts";

export const SYNTHETIC_SEED = 445;

/** bench/traces, or $ALLOCSPEC_CACHE_DIR/bench/traces for an installed package (cli/allocspec.cjs). */
export function tracesDir(root: string): string {
  const cache = process.env.ALLOCSPEC_CACHE_DIR;
  const d = cache ? join(cache, "bench", "traces") : join(root, "bench", "traces");
  mkdirSync(d, { recursive: true });
  return d;
}

/** A synthetic trace of `ops` records, cached on disk. */
export function syntheticTrace(root: string, ops: number, seed = SYNTHETIC_SEED): TraceInput {
  // a live set of 1/50 of the trace (at most 20k blocks) so most of the trace is steady state, not growth
  const maxLive = Math.max(100, Math.min(20_000, Math.floor(ops / 50)));
  const path = join(tracesDir(root), `synthetic-${ops}-s${seed}-l${maxLive}.a445`);
  let bytes: Uint8Array;
  if (existsSync(path)) bytes = new Uint8Array(readFileSync(path));
  else {
    bytes = synthesizeTrace({ ops, seed, maxLive });
    writeFileSync(`${path}.tmp-${process.pid}`, bytes);
    renameSync(`${path}.tmp-${process.pid}`, path);
  }
  return {
    label: `synthetic ${ops}`,
    path,
    trace: readTrace(bytes),
    source: `bench/synthetic.ts seed ${seed}, ${ops} ops, at most ${maxLive} live blocks`,
  };
}

/**
 * Capture (or reuse) the workload trace at `scale` with the native library at `libPath`.
 * Throws one line naming what failed (python, the driver, the library).
 */
export function captureWorkloadTrace(
  root: string,
  python: string,
  libPath: string,
  scale: number,
): TraceInput {
  const wdir = join(root, "bench", "workloads");
  const path = join(tracesDir(root), `pybench-s${scale}.a445`);
  const inputs = [...readdirSync(wdir).filter((f) => f.endsWith(".py")).map((f) => join(wdir, f)), libPath];
  let info = "";
  if (!isFresh(path, inputs)) {
    // capture into a private file and rename: a concurrent run never reads a half-written trace
    const tmp = `${path}.tmp-${process.pid}`;
    const r = spawnSync(python, [
      join(wdir, "driver.py"),
      "trace",
      "--lib",
      libPath,
      "--out",
      tmp,
      "--scale",
      String(scale),
    ], {
      encoding: "utf8",
      timeout: 300_000,
    });
    if (r.status !== 0) {
      const why = (r.stderr || r.stdout || `signal ${r.signal}`).trim().split("\n").slice(-1)[0];
      rmSync(tmp, { force: true });
      throw new Error(`trace capture failed (python driver.py trace, exit ${r.status ?? r.signal}): ${why}`);
    }
    renameSync(tmp, path);
    info = r.stdout.trim();
  }
  const bytes = new Uint8Array(readFileSync(path));
  const trace = readTrace(bytes);
  const st = traceStats(bytes, 1);
  let python_ = "";
  try {
    python_ = info ? JSON.parse(info).python : "";
  } catch { /* old trace */ }
  return {
    label: `pybench s${scale}`,
    path,
    trace,
    source:
      `captured from bench/workloads (scale ${scale}${
        python_ ? `, CPython ${python_}` : ""
      }): ${st.nops} ops, ` +
      `peak live ${st.peakLiveBytes} B, ${st.freeOfNull} free(NULL)${
        st.problemCount ? `, ${st.problemCount} INVALID records (first: ${st.problems[0]})` : ""
      }`,
  };
}
