/**
 * The one signal table: names and numbers as this platform defines them (`os.constants.signals`, the
 * same table Node, Deno and Bun use), and the shell's convention for a process killed by a signal
 * (exit status 128 + N).
 *
 * @example
 * ```ts
 * import { exitStatusOf, signalName, signalNumber } from "./signals.ts";
 * signalNumber("SIGSEGV"); // 11 on Linux
 * signalName(6); // "SIGABRT"
 * exitStatusOf({ status: null, signal: "SIGSEGV" }); // 139
 * ```
 * @module
 */
import { constants } from "node:os";

const TABLE = constants.signals as Readonly<Record<string, number>>;

/** The number of a signal name (e.g. "SIGSEGV" -> 11); `unknown` (default 0) for a name this platform lacks. */
export function signalNumber(name: string | null | undefined, unknown = 0): number {
  return name ? TABLE[name] ?? unknown : 0;
}

/** The name of a signal number (e.g. 6 -> "SIGABRT"); `SIG<n>` for a number this platform does not name. */
export function signalName(n: number): string {
  for (const [k, v] of Object.entries(TABLE)) if (v === n) return k;
  return `SIG${n}`;
}

/** The status a shell reports for a child: its exit status, or 128 + the signal's number. */
export function exitStatusOf(r: { status: number | null; signal: string | null }): number {
  if (r.signal) return 128 + signalNumber(r.signal);
  return r.status ?? 1;
}
