/**
 * Death tests: judge how a child of the SAME runtime (Deno or Bun, run by core/child.ts `runScript` in the
 * controlled environment plus a chosen one) died (signal) and what it printed (stderr).
 *
 * Used for misuse that aborts the process: CPython's debug-hook violations (`PYTHONMALLOC=debug`,
 * cpython-facts.md §2.4-2.6, §3) and the native target in violation mode "abort". Both runtimes report
 * an abort as `status null, signal "SIGABRT"` (deno-bun-facts.md §6). Bun appends its own crash banner
 * ("panic(main thread): abort() called ... oh no: Bun has crashed") AFTER the program's stderr, so
 * stderr is matched with regular expressions (search, not equality), never compared whole.
 *
 * @example
 * ```ts
 * import { runScript } from "../core/child.ts";
 * import { judgeChild } from "./death.ts";
 * const child = runScript(new URL("./death_child.ts", import.meta.url).pathname, ["cpython", "overflow", "MEM"],
 *   { env: { PYTHONMALLOC: "debug" } });
 * const verdict = judgeChild(child, { signal: "SIGABRT", stderr: [/bad trailing pad byte/] });
 * console.log(verdict.ok, verdict.message);
 * ```
 * @module
 */
import { type ChildOutcome, programStderr } from "../core/child.ts";

/** What a death test expects. */
export interface DeathExpectation {
  /** the signal that must end the child, e.g. "SIGABRT" (null: a normal exit is expected) */
  signal: string | null;
  /** every pattern must match somewhere in stderr (Bun's crash banner may follow the program's text) */
  stderr?: readonly RegExp[];
  /** patterns that must NOT match stderr */
  notStderr?: readonly RegExp[];
  /** with signal null: the expected exit status (default 0) */
  status?: number;
  /**
   * A second failure that may follow the expected one and end the child with another signal: accepted
   * only when every `stderr` pattern matched and `after` matches the stderr that follows the first
   * `Fatal Python error:` line (what the process did AFTER the diagnostic under test). For CPython's
   * hooks installed at run time: its fatal-error path frees blocks allocated before the hooks through
   * them, and the second dump may read a garbage size and crash (conformance/adapters/cpython.ts).
   */
  secondary?: { signal: string; after: RegExp; why: string };
}

/** Judges a child against an expectation: `ok`, and a one-line `message` saying what differed. */
export function judgeChild(child: ChildOutcome, want: DeathExpectation): { ok: boolean; message: string } {
  const tail = JSON.stringify(programStderr(child.stderr).slice(-400));
  if (child.timedOut) return { ok: false, message: `the child hung and was killed (stderr ${tail})` };
  const how = child.signal ? `signal ${child.signal}` : `exit ${child.status}`;
  if (want.signal !== null && child.signal !== want.signal && !secondaryFailure(child, want)) {
    return {
      ok: false,
      message: `expected death by ${want.signal}, the child ended with ${how} (stderr ${tail})`,
    };
  }
  if (want.signal === null && (child.signal !== null || child.status !== (want.status ?? 0))) {
    return {
      ok: false,
      message: `expected exit ${want.status ?? 0}, the child ended with ${how} (stderr ${tail})`,
    };
  }
  for (const re of want.stderr ?? []) {
    if (!re.test(child.stderr)) {
      return { ok: false, message: `ended with ${how} but stderr does not match ${re}: ${tail}` };
    }
  }
  for (const re of want.notStderr ?? []) {
    if (re.test(child.stderr)) {
      return { ok: false, message: `ended with ${how} but stderr matches ${re}: ${tail}` };
    }
  }
  if (want.secondary && child.signal !== want.signal) {
    return { ok: true, message: `ended with ${how} after the expected diagnostic: ${want.secondary.why}` };
  }
  return { ok: true, message: "" };
}

/** Whether the child ended by `want.secondary`'s signal after the expected diagnostic, as it allows. */
function secondaryFailure(child: ChildOutcome, want: DeathExpectation): boolean {
  const sec = want.secondary;
  if (!sec || child.signal !== sec.signal) return false;
  if (!(want.stderr ?? []).every((re) => re.test(child.stderr))) return false;
  const first = child.stderr.search(/^Fatal Python error: .*$/m);
  if (first < 0) return false;
  const rest = child.stderr.slice(first).replace(/^.*\n/, "");
  return sec.after.test(rest);
}

/**
 * Normalises CPython's diagnostic text for comparison (cpython-facts.md §7): addresses become ADDR,
 * line numbers N, and everything from "Current thread" on (and "Extension modules:") is dropped.
 */
export function normalizeFatal(stderr: string): string {
  let s = programStderr(stderr).replace(/(p=|tail=|thread )(?:0x)?[0-9a-fA-F]+/g, "$1ADDR").replace(
    /line \d+/g,
    "line N",
  );
  const cut = s.search(/^Current thread /m);
  if (cut >= 0) s = s.slice(0, cut);
  return s.replace(/^Extension modules:.*\n?/m, "");
}
