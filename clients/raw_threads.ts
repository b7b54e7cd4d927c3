/**
 * The RAW-threads phase of a client run: `raw_threads.py` (CPython's own C code calling the RAW domain
 * without the GIL, from several threads at once: liblzma inside `_lzma`, zlib, thread exit,
 * PyGILState_Ensure from C threads) on one allocator through the launcher, with the checking layer's
 * JSON records and the launcher's crash line collected like regrtest's. CPython's regression tests run
 * those paths one thread at a time, so an allocator whose free lists are unlocked passes them; here two
 * calls meet inside the allocator and the layer names the thread-safety rule.
 *
 * @example
 * ```ts
 * import { runRawThreads } from "./raw_threads.ts";
 * import { launchSpec } from "../targets/launcher.ts";
 * import { checkLayerOptions } from "../debug/check/launch.ts";
 * const r = runRawThreads(launchSpec({ target: "native", check: checkLayerOptions() }));
 * console.log(r.module.status, r.checkViolations.length);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LaunchSpec } from "../targets/launcher.ts";
import { type ModuleCheckViolation, type ModuleResult, parseRegrtestOutput } from "./regrtest_output.ts";
import { CHECK_EXIT_STATUS, printable } from "../debug/check/report.ts";

/** The phase's name in reports (a pseudo test module). */
export const RAW_THREADS = "raw_threads";

const SCRIPT = fileURLToPath(new URL("./raw_threads.py", import.meta.url));

/** What the phase did. */
export interface RawThreadsRun {
  module: ModuleResult;
  checkViolations: ModuleCheckViolation[];
  crashLine: string | undefined;
}

/** Runs the phase (`rounds` per thread) on `spec`; never throws for a crashing target. */
export function runRawThreads(spec: LaunchSpec, rounds = 30, timeoutS = 600): RawThreadsRun {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-raw-threads-"));
  try {
    const checking = spec.env.ALLOCSPEC_CHECK === "1";
    const r = spawnSync(spec.exe, [...spec.argvPrefix, SCRIPT, String(rounds)], {
      env: {
        ...spec.env,
        PYTHONFAULTHANDLER: "1",
        ...(checking ? { ALLOCSPEC_CHECK_REPORT: join(dir, "check-%p.jsonl") } : {}),
      },
      encoding: "utf8",
      maxBuffer: 64 << 20,
      timeout: timeoutS * 1000,
    });
    const text = printable(`${r.stdout ?? ""}\n${r.stderr ?? ""}`);
    const parsed = parseRegrtestOutput(text);
    const seen = parsed.checkViolations.map((v) => ({ ...v, module: RAW_THREADS }));
    // records no output showed (a second violation after the first one's report, count mode)
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
      for (const line of readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.startsWith("{"))) {
        const rec = JSON.parse(line);
        if (rec.event !== "violation" || seen.some((v) => v.rule === rec.rule && v.message === rec.message)) {
          continue;
        }
        seen.push({
          module: RAW_THREADS,
          rule: rec.rule,
          domain: rec.domain,
          message: printable(rec.message ?? ""),
        });
      }
    }
    // `refused`: the allocator refused a request (MemoryError), which PEP 445 allows: not a crash
    const refusedLine = r.status === 0 ? text.match(/^raw_threads: refused: .*$/m)?.[0] : undefined;
    const ok = r.status === 0 && (/^raw_threads: ok$/m.test(text) || !!refusedLine);
    const how = r.error
      ? `timed out or could not run: ${r.error.message}`
      : r.signal ?? (r.status === CHECK_EXIT_STATUS ? "stopped by the checking layer" : `exit ${r.status}`);
    const last = r.status === CHECK_EXIT_STATUS
      ? ""
      : text.trim().split("\n").filter((l) => !l.startsWith("  ")).slice(-1)[0] ?? "";
    return {
      module: ok ? { status: "passed", detail: refusedLine ?? "" } : {
        status: r.error ? "timeout" : "crashed",
        detail: `(${how})${last ? ` ${last}` : ""}`.slice(0, 400),
      },
      checkViolations: seen,
      crashLine: parsed.crashLine,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
