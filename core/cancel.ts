/**
 * When a long-running command (the conformance CLI) must stop because whoever started it is gone, besides
 * the signals it handles itself (issue 17: "timeout and a CI cancel leave no process behind").
 *
 * A CI cancel often signals only the top process. Through npx, npm forwards it to the `sh -c` it started,
 * and sh dies without forwarding it; what sh started is then re-parented and runs on. Our own JS launchers
 * notice that themselves (tools/forward.cjs); a command started by a package-script runner we do not own
 * (`bun run conformance`) or by a launcher killed with SIGKILL cannot be told. So the command watches:
 *
 * - its launcher, when one of ours started it (`ALLOCSPEC_LAUNCHER_PID`, set by tools/forward.cjs): if it
 *   is no longer our parent, the run was cancelled;
 * - when its parent is a package-script runner (`bun run`, `npm run`, `deno task`: argv[1] is run,
 *   run-script or task), that runner's parent: if the runner was re-parented, the run was cancelled.
 *
 * Nothing is watched under `nohup` (SIGHUP ignored when the process started): the user asked the run to
 * outlive its terminal. Linux only (/proc); elsewhere this does nothing.
 *
 * @example
 * ```ts
 * import { hangupIgnored, watchCancel } from "./cancel.ts";
 * const stop = watchCancel((why) => console.error(`cancelled: ${why}`));
 * stop(); // no more watching
 * console.log(hangupIgnored());
 * ```
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";

/** The variable our JS launchers set to their pid in the environment of the program they run. */
export const LAUNCHER_ENV = "ALLOCSPEC_LAUNCHER_PID";

/** The parent pid of `pid` from /proc (undefined when it is gone). */
function ppidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** argv of `pid` from /proc ([] when unreadable). */
function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter((a) => a !== "");
  } catch {
    return [];
  }
}

/** True when this process started with SIGHUP ignored (`nohup`), read from /proc/self/status. */
export function hangupIgnored(): boolean {
  try {
    const m = readFileSync("/proc/self/status", "latin1").match(/^SigIgn:\s*([0-9a-f]+)$/m);
    return m ? (BigInt(`0x${m[1]}`) & 1n) === 1n : false;
  } catch {
    return false;
  }
}

/**
 * Calls `cancel(reason)` once when the run is cancelled by its launcher's or its script runner's going
 * away (module doc); polls every `pollMs`. Returns a function that stops watching.
 */
export function watchCancel(cancel: (reason: string) => void, pollMs = 250): () => void {
  if (!existsSync("/proc/self/stat") || hangupIgnored()) return () => {};
  const parent = process.ppid;
  const launcher = Number(process.env[LAUNCHER_ENV] ?? "");
  const ownLauncher = Number.isInteger(launcher) && launcher > 0 && launcher === parent;
  const runnerVerb = argvOf(parent)[1];
  const runnerParent = ["run", "run-script", "task"].includes(runnerVerb ?? "") ? ppidOf(parent) : undefined;
  if (!ownLauncher && runnerParent === undefined) return () => {};
  let fired = false;
  const timer = setInterval(() => {
    if (fired) return;
    let why: string | undefined;
    if (ownLauncher && process.ppid !== parent) why = "its launcher is gone";
    else if (runnerParent !== undefined && ppidOf(parent) !== runnerParent) {
      why = `whoever started \`${argvOf(parent).slice(0, 3).join(" ") || "its script runner"}\` is gone`;
    }
    if (why) {
      fired = true;
      clearInterval(timer);
      cancel(why);
    }
  }, pollMs);
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
