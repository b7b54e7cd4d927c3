/**
 * The one classifier of a child's outcome (used by the fault sweep in debug/faults, the libs harness runs
 * in clients/libs and the fault-sweep benchmark): what happened to a process, typically after one
 * allocation call failed.
 *
 * In order: a per-point timeout is a `hang`; a violation reported by a checking layer (the check layer's
 * `allocspec check: violation of <rule> [<DOMAIN>] ...` line, or its exit status 86) or by CPython's debug
 * hooks ("Debug memory block at address", bad pad byte, API id mismatch) is a `violation` (with the rule
 * id when one is named); a fatal signal other than SIGABRT is a `crash`, and so is a heap the engine's check
 * found corrupted before an early stop (a full run would crash later, in the allocator); SIGABRT (`Fatal Python error`,
 * `abort()`) is an `abort`; `SystemError: ... returned NULL without setting an exception` / `... returned a
 * result with an exception set` / `error return without exception set` is a `lost-exception`, whether it
 * was printed (stderr) or only seen in flight by the engine (an `exc` line of the site file: the program
 * caught it). Anything else is not a finding: `ok` (the failure was absorbed: no exception, exit 0) or
 * `handled` (an exception was raised and caught, or printed; a clean error exit).
 *
 * The process may have stopped early (debug/faults/settle.c): its site file then ends with
 * `settled <how> <status>` (caught, absorbed, top, end, driver), which decides between ok and handled.
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

/** Signal numbers by name (Linux), for runtimes that report a child's signal by name. */
export const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSYS: 31,
};

/** Exit status of the check layer's stop mode (debug/check: AS_CHECK_EXIT_STATUS). */
export const CHECK_EXIT_STATUS = 86;

/** What a point's process did. */
export interface PointRun {
  /** exit status, -1 when killed by a signal */
  code: number;
  /** terminating signal number, 0 when it exited */
  signal: number;
  timedOut: boolean;
  stderr: string;
  /** the engine's site file (its `exc` and `settled` lines are evidence too) */
  site?: string | null;
}

/** The check layer's report line (its published format): rule id, domain, message. */
export const CHECK_VIOLATION = /^allocspec check: violation of (\S+) \[(RAW|MEM|OBJ)\] (.*)$/m;
/**
 * CPython's debug-hook diagnostics on stderr (`_PyObject_DebugDumpAddress`'s dump, the `Fatal Python error:
 * _PyMem_Debug...` lines: bad pad bytes, API id mismatch, no GIL): a PEP 445 violation was detected.
 */
export const DEBUG_HOOK_DIAGNOSTIC: RegExp =
  /Debug memory block at address|bad (leading|trailing) pad byte|bad ID: Allocated using API|Fatal Python error: _PyMem_Debug|_PyMem_Debug\w+: Python memory allocator called without holding the GIL/;
const LOST =
  /SystemError: .*(returned NULL without setting an (exception|error)|returned a result with an (exception|error) set)|SystemError: error return without exception set/;

/** The classified outcome, the line of evidence (the first line that decided it) and, for a violation
 * named by a checking layer, its rule id. */
export function classifyPoint(r: PointRun): { cls: Outcome; evidence: string; rule?: string } {
  const line = (re: RegExp) => r.stderr.split("\n").find((l) => re.test(l))?.trim() ?? "";
  const site = (r.site ?? "").split("\n");
  if (r.timedOut) return { cls: "hang", evidence: "timed out (SIGABRT sent: Python stack above, if any)" };
  const check = CHECK_VIOLATION.exec(r.stderr);
  if (check) return { cls: "violation", evidence: check[0].trim(), rule: check[1] };
  const v = line(DEBUG_HOOK_DIAGNOSTIC);
  if (v) return { cls: "violation", evidence: v };
  if (r.code === CHECK_EXIT_STATUS && /allocspec check:/.test(r.stderr)) {
    return { cls: "violation", evidence: line(/allocspec check:/) };
  }
  // the engine's allocator check before an early stop found the heap corrupted (heapcheck.c): a full run
  // crashes later in the allocator (a crash, as thorough mode reports it)
  const heap = site.find((s) => s.startsWith("heap-corrupt "));
  if (heap) {
    return {
      cls: "crash",
      evidence: line(/allocspec faults: heap corrupted/) || `heap corrupted: ${heap.slice(13)}`,
    };
  }
  if (r.signal && r.signal !== 6) {
    return { cls: "crash", evidence: line(/Fatal Python error/) || `killed by signal ${r.signal}` };
  }
  if (r.signal === 6) {
    return { cls: "abort", evidence: line(/Fatal Python error|Assertion|abort/) || "SIGABRT" };
  }
  const l = line(LOST) || (site.find((s) => s.startsWith("exc ") && LOST.test(s))?.slice(4) ?? "");
  if (l) return { cls: "lost-exception", evidence: l };
  const settled = site.find((s) => s.startsWith("settled "))?.split(" ");
  const raised = site.find((s) => s.startsWith("exc "))?.slice(4);
  if (settled) {
    const [, how, status] = settled;
    if (how === "absorbed" || (how === "end" && status === "0" && !raised)) {
      return { cls: "ok", evidence: "" };
    }
    return { cls: "handled", evidence: raised ? `${raised} (${how})` : `exit ${status} (${how})` };
  }
  if (r.code === 0) return { cls: "ok", evidence: "" };
  const last = r.stderr.trim().split("\n").pop()?.trim() ?? "";
  return { cls: "handled", evidence: last || `exit ${r.code}` };
}
