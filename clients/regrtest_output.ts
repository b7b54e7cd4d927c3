/**
 * Parses what regrtest (`python -m test -j N`) prints: one status line per test module, the output of a
 * failed or crashed worker after its status line, the final "== Tests result: ... ==". Debug-hook
 * violations are found by CPython's own text ("Debug memory block at address p=...", "Fatal Python error:
 * _PyMem_DebugRawFree: bad ID: ..."), which liballocspec's hooks print identically; the checking layer's
 * violation blocks (debug/check/report.ts) are attributed to the module whose output they follow, and
 * the launcher's one line on a signal death is kept. Everything returned is printable text.
 *
 * @example
 * ```ts
 * import { parseRegrtestOutput } from "./regrtest_output.ts";
 * const r = parseRegrtestOutput("0:00:01 load avg: 1.0 [1/1] test_json passed\n== Tests result: SUCCESS ==\n");
 * r.modules.get("test_json")?.status; // "passed"
 * ```
 * @module
 */
import {
  type CheckViolation,
  CRASH_LINE,
  parseCheckViolations,
  printable,
  VIOLATION_LINE,
} from "../debug/check/report.ts";

/** What happened to one test module. */
export type ModuleStatus =
  | "passed"
  | "failed"
  | "env_changed"
  | "crashed"
  | "timeout"
  | "skipped"
  | "resource_denied"
  | "no_tests"
  | "interrupted"
  | "not_run";

/** Statuses that count as a problem of the module. */
export const BAD_MODULE_STATUSES: ReadonlySet<ModuleStatus> = new Set([
  "failed",
  "env_changed",
  "crashed",
  "timeout",
  "interrupted",
  "not_run",
]);

export interface ModuleResult {
  status: ModuleStatus;
  /** the rest of the status line, e.g. "(Exit code -11)", plus a Fatal Python error line when there is one */
  detail: string;
}

export interface Violation {
  module: string;
  /** CPython's text: the "Debug memory block" dump and the "Fatal Python error" line */
  text: string;
}

/** A checking-layer violation and the test module whose output it was in ("(startup)" before any). */
export interface ModuleCheckViolation extends CheckViolation {
  module: string;
}

export interface RegrtestOutput {
  modules: Map<string, ModuleResult>;
  violations: Violation[];
  checkViolations: ModuleCheckViolation[];
  /** the launcher's line when the top interpreter (or a worker) died by a signal: the last one */
  crashLine: string | undefined;
  /** every such line, with the module whose output it was in ("(startup)" before any) */
  crashLines: { module: string; line: string }[];
  /** "SUCCESS", "FAILURE", ... or undefined when regrtest never got to its summary (it died) */
  result: string | undefined;
}

const STATUS_LINE = /^(?:\d+:\d+:\d+ )?(?:load avg: [\d.]+ )?\[\s*\d+\/\d+(?:\/\d+)?\] (test[\w.]*) (.*)$/;
const FATAL = /^Fatal Python error: (.*)$/;
const VIOLATION = /_PyMem_Debug|_PyObject_Debug|bad ID|bad (leading|trailing) pad|without holding the GIL/;

function statusOf(rest: string): ModuleStatus {
  if (rest.startsWith("passed")) return "passed";
  if (rest.startsWith("failed (env changed)")) return "env_changed";
  if (/^failed \(?timeout|^timed out|timeout/.test(rest)) return "timeout";
  if (
    rest.startsWith("crashed") || rest.startsWith("worker non-zero exit code") || /Exit code -?\d/.test(rest)
  ) {
    return "crashed";
  }
  if (rest.startsWith("skipped (resource denied)") || rest.startsWith("skipped -- resource")) {
    return "resource_denied";
  }
  if (rest.startsWith("skipped")) return "skipped";
  if (rest.startsWith("run no tests")) return "no_tests";
  if (rest.startsWith("interrupted")) return "interrupted";
  return "failed";
}

/** Parses regrtest's combined output (`expected` modules not seen become "not_run"). */
export function parseRegrtestOutput(text: string, expected: readonly string[] = []): RegrtestOutput {
  text = printable(text);
  const modules = new Map<string, ModuleResult>();
  const violations: Violation[] = [];
  const checkViolations: ModuleCheckViolation[] = [];
  let checkBlock: string[] = []; // a checking-layer report being collected
  let checkModule = "(startup)";
  let crashLine: string | undefined;
  const crashLines: { module: string; line: string }[] = [];
  const flushCheck = () => {
    for (const v of parseCheckViolations(checkBlock.join("\n"))) {
      checkViolations.push({ module: checkModule, ...v });
    }
    checkBlock = [];
  };
  let current: string | undefined;
  let block: string[] = []; // a "Debug memory block" dump being collected
  let result: string | undefined;
  // a dump the process did not live to finish (it crashed while printing it) still counts
  const flush = () => {
    if (block.length) violations.push({ module: current ?? "(startup)", text: block.join("\n").trim() });
    block = [];
  };
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (VIOLATION_LINE.test(line)) {
      flushCheck();
      checkBlock = [line];
      checkModule = current ?? "(startup)";
      continue;
    }
    if (checkBlock.length && /^ {2}\S/.test(line)) {
      checkBlock.push(line);
      continue;
    }
    flushCheck();
    if (CRASH_LINE.test(line)) {
      crashLine = line;
      crashLines.push({ module: current ?? "(startup)", line });
    }
    const m = STATUS_LINE.exec(line);
    if (m) {
      flush();
      current = m[1];
      modules.set(current, {
        status: statusOf(m[2]),
        detail: m[2].replace(/^(passed|failed|crashed|skipped|worker non-zero exit code)\s*/, "").trim(),
      });
      continue;
    }
    const r = /^== Tests result: (.*) ==$/.exec(line);
    if (r) result = r[1];
    if (/^Debug memory block at address/.test(line)) {
      flush();
      block = [line];
      continue;
    }
    const f = FATAL.exec(line);
    if (f) {
      if (block.length || VIOLATION.test(f[1])) {
        block.push(line);
        flush();
      }
      const mod = current ? modules.get(current) : undefined;
      if (mod && !mod.detail.includes(line)) mod.detail = `${mod.detail} ${line}`.trim();
      continue;
    }
    if (block.length) {
      if (/^(Current thread|Thread) 0x|^Stack \(most recent/.test(line)) flush(); // faulthandler: dump over
      else if (block.length < 40) block.push(line);
    }
  }
  flush();
  flushCheck();
  for (const name of expected) if (!modules.has(name)) modules.set(name, { status: "not_run", detail: "" });
  return { modules, violations, checkViolations, crashLine, crashLines, result };
}
