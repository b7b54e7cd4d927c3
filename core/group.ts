/**
 * A child's process group, for children that run code the runner does not trust (a target library: its
 * constructor or its malloc may fork, keep our pipes open, ignore signals). Issue 17: "a probe or worker
 * that forks gets its whole process group killed and its pipes closed at the budget".
 *
 * - An asynchronous child started with `group: true` (core/child.ts) is spawned `detached`: it leads a new
 *   process group (and session), and everything it forks stays in that group unless it leaves on purpose.
 *   {@link killGroup} sends a signal to the whole group and closes our ends of its pipes, so a grandchild
 *   holding them cannot keep the runner waiting. {@link groupGone} waits until the group is empty: a
 *   process sent SIGKILL lives on until the kernel runs its exit, so a caller that promises to leave
 *   nothing behind (conformance/children.ts `groupsGone`, at the end of every pool run) waits for it.
 * - Every such child gets {@link PARENT_ENV} (the runner's pid): a child of ours that can call libc makes
 *   the kernel kill it when the runner ends (native/ffi/lifetime.ts `dieWithParent`), whatever the way.
 *
 * Signals go through `process.kill`, never `ChildProcess.kill()`: under Deno 2.9 a ChildProcess ignores
 * every kill() after its first one (measured), so a SIGTERM-then-SIGKILL escalation never killed.
 *
 * @example
 * ```ts
 * import { killGroup } from "./group.ts";
 * // const child = spawnScript(worker, args, { group: true }); ... killGroup(child);
 * ```
 * @module
 */
import type { ChildProcess } from "node:child_process";
import process from "node:process";
import type { Readable, Writable } from "node:stream";

/** The variable carrying the runner's pid to the children it starts. */
export const PARENT_ENV = "ALLOCSPEC_PARENT_PID";

/**
 * Sends `signal` to the process group led by `pid` (a `detached` child), and, with `orPid` and no such
 * group, to `pid` itself (only while it is certainly ours: not yet reaped). Returns false when nothing got
 * the signal.
 */
export function signalGroup(
  pid: number | undefined,
  signal: NodeJS.Signals = "SIGKILL",
  orPid = false,
): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch { /* no such group: the child did not lead one, or everything in it is gone */ }
  if (!orPid) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves `true` once no process of the group `pid` leads is left (`kill(-pid, 0)` fails), `false` after
 * `timeoutMs`. A process sent SIGKILL is still there until the kernel schedules its exit, which on a loaded
 * machine takes a while: whoever promises that nothing outlives it waits for this after the kill.
 */
export async function groupGone(pid: number | undefined, timeoutMs = 5000): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (groupExists(pid)) {
    if (performance.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** True while a process group led by `pid` has a member (`kill(-pid, 0)`; ESRCH: none). */
export function groupExists(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false; // ESRCH (EPERM cannot happen: a group of our own children)
  }
}

/** Signals the child's group (default SIGKILL) and closes our ends of every pipe of the child. */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  const running = child.exitCode === null && child.signalCode === null;
  signalGroup(child.pid, signal, running);
  if (signal === "SIGKILL") closePipes(child);
}

/** Closes our ends of the child's pipes (a grandchild may hold the other ends open forever). */
export function closePipes(child: ChildProcess): void {
  for (const s of child.stdio) {
    try {
      (s as Readable | Writable | null)?.destroy();
    } catch { /* already closed */ }
  }
}
