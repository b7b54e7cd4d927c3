/**
 * One benchmark run at a time on this machine: no scenario is measured while another bench process
 * (a second `bun bench`, a `--quick` test, a leftover child of a killed run) competes for the cores.
 *
 * The top-level bench process takes a lock file in the system temporary directory (shared by every
 * checkout) with its PID, and publishes itself in {@link BENCH_LOCK_ENV}; its children (the other
 * runtime's `--child` run, the allocator children, Python) inherit that variable and do not lock again.
 * A lock whose PID is dead is stale and taken over. A live holder is waited for, saying so.
 *
 * @example
 * ```ts
 * import { acquireBenchLock } from "./bench_lock.ts";
 * const lock = await acquireBenchLock({ print: console.log });
 * try {
 *   // measure
 * } finally {
 *   lock.release();
 * }
 * ```
 * @module
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Set (to the holder's PID) in the environment of every process a locked bench run starts. */
export const BENCH_LOCK_ENV = "ALLOCSPEC_BENCH_LOCK_HOLDER";

/** Options of {@link acquireBenchLock}. */
export interface BenchLockOptions {
  /** lock file (default `<tmpdir>/allocspec-bench.lock`) */
  path?: string;
  /** give up after this long (default 30 minutes) */
  timeoutMs?: number;
  /** poll interval while waiting (default 1 s) */
  pollMs?: number;
  print?: (s: string) => void;
}

/** A held lock; `release()` is idempotent. `inherited` when an ancestor bench process holds it. */
export interface BenchLock {
  readonly path: string;
  readonly inherited: boolean;
  /** milliseconds spent waiting for another bench run */
  readonly waitedMs: number;
  release(): void;
}

/** The PID written in the lock file, or null when there is no readable lock. */
export function lockHolder(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` exists (signal 0: no signal sent, only the check). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Take the machine-wide bench lock, waiting for a live holder; throws one line after the timeout. */
export async function acquireBenchLock(o: BenchLockOptions = {}): Promise<BenchLock> {
  const path = o.path ?? join(tmpdir(), "allocspec-bench.lock");
  const holder = process.env[BENCH_LOCK_ENV];
  if (holder && isAlive(Number(holder)) && lockHolder(path) === Number(holder)) {
    return { path, inherited: true, waitedMs: 0, release() {} };
  }
  const t0 = Date.now(), timeout = o.timeoutMs ?? 30 * 60_000, poll = o.pollMs ?? 1000;
  let said = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const pid = lockHolder(path);
    if (pid === null || !isAlive(pid)) {
      rmSync(path, { force: true }); // stale: its holder is gone (or the file is garbage)
      continue;
    }
    if (Date.now() - t0 > timeout) {
      throw new Error(
        `another benchmark run (PID ${pid}, lock ${path}) has held the machine for ${
          Math.round((Date.now() - t0) / 1000)
        } s: wait for it to finish or stop it`,
      );
    }
    if (!said) {
      o.print?.(`bench: waiting for another benchmark run (PID ${pid}) to finish before measuring`);
      said = true;
    }
    await new Promise((r) => setTimeout(r, poll));
  }
  process.env[BENCH_LOCK_ENV] = String(process.pid);
  let held = true;
  return {
    path,
    inherited: false,
    waitedMs: Date.now() - t0,
    release() {
      if (!held) return;
      held = false;
      if (lockHolder(path) === process.pid) rmSync(path, { force: true });
      delete process.env[BENCH_LOCK_ENV];
    },
  };
}
