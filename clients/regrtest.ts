/**
 * Runs CPython's regression tests (`-m test -j N --junit-xml`) on one allocator through the launcher and
 * collects everything the client report needs: per-module statuses and debug-hook violations from the
 * output (regrtest_output.ts), per-test-case results from the JUnit file (converted by the baseline
 * interpreter, junit_to_json.py), wall time, CPU time and peak RSS (regrtest_main.py's getrusage).
 *
 * @example
 * ```ts
 * import { runRegrtest } from "./regrtest.ts";
 * import { launchSpec } from "../targets/launcher.ts";
 * const run = runRegrtest(launchSpec({ target: "native", debugHooks: "cpython" }), ["test_json"], {
 *   jobs: 2,
 *   baseline: launchSpec({ target: "cpython" }),
 * });
 * console.log(run.counts);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LaunchSpec } from "../targets/launcher.ts";
import {
  type ModuleCheckViolation,
  type ModuleResult,
  parseRegrtestOutput,
  type Violation,
} from "./regrtest_output.ts";
import { printable } from "../debug/check/report.ts";

const MAIN = fileURLToPath(new URL("./regrtest_main.py", import.meta.url));
const JUNIT = fileURLToPath(new URL("./junit_to_json.py", import.meta.url));

/** One test case from the JUnit file. */
export interface CaseResult {
  id: string;
  status: "passed" | "failed" | "error" | "skipped";
  message: string;
}

/** Everything measured for one allocator. */
export interface RegrtestRun {
  allocator: string;
  exitStatus: number | null;
  signal: string | null;
  /** regrtest's verdict ("SUCCESS", "FAILURE", ...), undefined when it died before its summary */
  result: string | undefined;
  modules: Record<string, ModuleResult>;
  cases: CaseResult[];
  violations: Violation[];
  /**
   * the checking layer's violations (when the launch spec has it on): every process's JSON records
   * (test subprocesses included), attributed to the module whose output showed them
   */
  checkViolations: ModuleCheckViolation[];
  /** the launcher's line when an interpreter died by a signal (the last one seen) */
  crashLine: string | undefined;
  /** every such line, with its module */
  crashLines: { module: string; line: string }[];
  /** the command prefix that reruns a program on this allocator with the checking layer (before Python's args) */
  repro: string | undefined;
  counts: { run: number; passed: number; failed: number; skipped: number };
  wallMs: number;
  cpuS: number | undefined;
  peakRssKb: number | undefined;
  /** the last lines of output when regrtest died before its summary */
  tail: string;
}

/** Options of {@link runRegrtest}. */
export interface RegrtestOptions {
  /** regrtest -j */
  jobs: number;
  /** the interpreter on CPython's own allocators (converts the JUnit file) */
  baseline: LaunchSpec;
  /** regrtest --timeout per test module, seconds */
  timeoutS?: number;
  /** the allocator's name in the report (default: the resolved ALLOCSPEC_ALLOCATOR) */
  label?: string;
  /** extra regrtest arguments (e.g. ["-m", "test_pymem*"]) */
  extra?: string[];
}

/** Runs the tests (all of them when `tests` is empty) on `spec`. Never throws for a crashing target. */
export function runRegrtest(spec: LaunchSpec, tests: readonly string[], opts: RegrtestOptions): RegrtestRun {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-clients-"));
  const junit = join(dir, "junit.xml");
  const rusage = join(dir, "rusage.json");
  const checking = spec.env.ALLOCSPEC_CHECK === "1";
  const timeoutS = opts.timeoutS ?? 900;
  const args = [
    ...spec.argvPrefix,
    MAIN,
    `-j${opts.jobs}`,
    "--junit-xml",
    junit,
    `--timeout=${timeoutS}`,
    ...(opts.extra ?? []),
    ...tests,
  ];
  const started = performance.now();
  const r = spawnSync(spec.exe, args, {
    env: {
      ...spec.env,
      ALLOCSPEC_CLIENT_RUSAGE: rusage,
      PYTHONFAULTHANDLER: "1",
      ...(checking ? { ALLOCSPEC_CHECK_REPORT: join(dir, "check-%p.jsonl") } : {}),
    },
    encoding: "utf8",
    maxBuffer: 1 << 30,
    cwd: dir,
    // a hung interpreter costs this run, not the whole command
    timeout: (timeoutS * Math.max(1, Math.ceil((tests.length || 400) / opts.jobs)) + 120) * 1000,
  });
  const wallMs = performance.now() - started;
  const text = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  const parsed = parseRegrtestOutput(text, tests);
  const cases = existsSync(junit) ? readCases(opts.baseline, junit) : [];
  const checkViolations = checking ? mergeCheckRecords(parsed.checkViolations, dir) : [];
  let usage: { maxrss_self_kb: number; maxrss_children_kb: number; cpu_s: number } | undefined;
  try {
    usage = JSON.parse(readFileSync(rusage, "utf8"));
  } catch { /* the interpreter died before writing it */ }
  rmSync(dir, { recursive: true, force: true });
  const failed = cases.filter((c) => c.status === "failed" || c.status === "error").length;
  const skipped = cases.filter((c) => c.status === "skipped").length;
  return {
    allocator: opts.label ?? spec.allocator,
    exitStatus: r.status,
    signal: r.signal,
    result: parsed.result,
    modules: Object.fromEntries(parsed.modules),
    cases,
    violations: parsed.violations,
    checkViolations,
    crashLine: parsed.crashLine,
    crashLines: parsed.crashLines,
    repro: checking ? spec.env.ALLOCSPEC_CHECK_REPRO : undefined,
    counts: { run: cases.length, passed: cases.length - failed - skipped, failed, skipped },
    wallMs,
    cpuS: usage?.cpu_s,
    peakRssKb: usage ? Math.max(usage.maxrss_self_kb, usage.maxrss_children_kb) : undefined,
    tail: parsed.result ? "" : printable(text).trim().split("\n").slice(-12).join("\n"),
  };
}

/**
 * The checking layer's JSON records of every process of the run (check-<pid>.jsonl), each matched to a
 * violation seen in the output (which names its module); records no output showed (a test's own
 * subprocess, whose stderr the test captured) keep module "(a test's subprocess)".
 */
function mergeCheckRecords(seen: ModuleCheckViolation[], dir: string): ModuleCheckViolation[] {
  const out = [...seen];
  const unmatched = new Set(seen.map((_, i) => i));
  for (const f of readdirSync(dir).filter((f) => /^check-\d+\.jsonl$/.test(f)).sort()) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      let r: Record<string, string>;
      try {
        r = JSON.parse(line);
      } catch {
        continue;
      }
      if (r.event !== "violation") continue;
      const i = [...unmatched].find((k) => seen[k].rule === r.rule && seen[k].message === r.message);
      if (i !== undefined) {
        unmatched.delete(i);
        continue;
      }
      out.push({
        module: "(a test's subprocess)",
        rule: r.rule,
        domain: r.domain,
        message: printable(r.message ?? ""),
        call: printable(r.op ?? ""),
        cSite: printable(r.c_site ?? ""),
        python: printable(r.python ?? ""),
        reproduce: printable(r.repro ?? ""),
        conformance: printable(r.conformance ?? ""),
      });
    }
  }
  return out;
}

function readCases(baseline: LaunchSpec, junit: string): CaseResult[] {
  const r = spawnSync(baseline.exe, [...baseline.argvPrefix, JUNIT, junit], {
    env: baseline.env,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) return [];
  return r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as CaseResult);
}
