/**
 * The one classifier of a child's outcome (used by the fault sweep in debug/faults, the libs harness runs
 * in clients/libs and the fault-sweep benchmark): what happened to a process, typically after one
 * allocation call failed.
 *
 * In order: a per-point timeout is a `hang`; a debug-hook diagnostic (CPython's "Debug memory block at
 * address" / bad pad byte / API id mismatch) is a `violation`; a fatal signal other than SIGABRT is a
 * `crash`; SIGABRT (`Fatal Python error`, `abort()`) is an `abort`; `SystemError: ... returned NULL without
 * setting an exception` / `... returned a result with an exception set` is a `lost-exception`. Anything else
 * is not a finding: exit 0 is `ok` (the failure was absorbed), another exit status is `handled` (a
 * MemoryError, a clean error exit).
 *
 * @example
 * ```ts
 * import { classifyPoint } from "./outcome.ts";
 * classifyPoint({ code: -1, signal: 11, timedOut: false, stderr: "" }).cls; // "crash"
 * ```
 * @module
 */

/** A finding's class. */
export type FindingClass = "crash" | "abort" | "lost-exception" | "hang" | "violation";
/** Every outcome of a point. */
export type Outcome = FindingClass | "handled" | "ok";

/** The classes that are findings. */
export const FINDING_CLASSES: readonly FindingClass[] = [
  "crash",
  "abort",
  "lost-exception",
  "hang",
  "violation",
];

/** What a point's process did. */
export interface PointRun {
  /** exit status, -1 when killed by a signal */
  code: number;
  /** terminating signal number, 0 when it exited */
  signal: number;
  timedOut: boolean;
  stderr: string;
}

/**
 * CPython's debug-hook diagnostics on stderr (`_PyObject_DebugDumpAddress`'s dump, the `Fatal Python error:
 * _PyMem_Debug...` lines: bad pad bytes, API id mismatch, no GIL): a PEP 445 violation was detected.
 */
export const DEBUG_HOOK_DIAGNOSTIC: RegExp =
  /Debug memory block at address|bad (leading|trailing) pad byte|bad ID: Allocated using API|Fatal Python error: _PyMem_Debug|_PyMem_Debug\w+: Python memory allocator called without holding the GIL/;
const LOST =
  /SystemError: .*(returned NULL without setting an (exception|error)|returned a result with an (exception|error) set)|SystemError: error return without exception set/;

/** The classified outcome and the line of evidence (the first line that decided it). */
export function classifyPoint(r: PointRun): { cls: Outcome; evidence: string } {
  const line = (re: RegExp) => r.stderr.split("\n").find((l) => re.test(l))?.trim() ?? "";
  if (r.timedOut) return { cls: "hang", evidence: "timed out (SIGABRT sent: Python stack above, if any)" };
  const v = line(DEBUG_HOOK_DIAGNOSTIC);
  if (v) return { cls: "violation", evidence: v };
  if (r.signal && r.signal !== 6) {
    return { cls: "crash", evidence: line(/Fatal Python error/) || `killed by signal ${r.signal}` };
  }
  if (r.signal === 6) {
    return { cls: "abort", evidence: line(/Fatal Python error|Assertion|abort/) || "SIGABRT" };
  }
  const l = line(LOST);
  if (l) return { cls: "lost-exception", evidence: l };
  if (r.code === 0) return { cls: "ok", evidence: "" };
  const last = r.stderr.trim().split("\n").pop()?.trim() ?? "";
  return { cls: "handled", evidence: last || `exit ${r.code}` };
}
