import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireBenchLock, BENCH_LOCK_ENV, isAlive, lockHolder } from "./bench_lock.ts";

const dir = mkdtempSync(join(tmpdir(), "allocspec-lock-"));

test("bench_lock: taken with this PID, released, and published to children", async () => {
  const path = join(dir, "a.lock");
  const lock = await acquireBenchLock({ path });
  assert.equal(lockHolder(path), process.pid);
  assert.equal(process.env[BENCH_LOCK_ENV], String(process.pid));
  const again = await acquireBenchLock({ path }); // a child of the holder (same env): no second lock
  assert.equal(again.inherited, true);
  lock.release();
  assert.equal(existsSync(path), false);
  assert.equal(process.env[BENCH_LOCK_ENV], undefined);
  lock.release(); // idempotent
});

test("bench_lock: a stale lock (dead PID) is taken over", async () => {
  const path = join(dir, "b.lock");
  const child = spawn("true");
  await new Promise((r) => child.on("exit", r));
  assert.equal(isAlive(child.pid!), false);
  writeFileSync(path, `${child.pid}\n`);
  const lock = await acquireBenchLock({ path });
  assert.equal(lockHolder(path), process.pid);
  lock.release();
});

test("bench_lock: a live holder is waited for, then the lock is taken", async () => {
  const path = join(dir, "c.lock");
  const sleeper = spawn("sleep", ["30"]);
  writeFileSync(path, `${sleeper.pid}\n`);
  const said: string[] = [];
  setTimeout(() => sleeper.kill("SIGKILL"), 300);
  const lock = await acquireBenchLock({ path, pollMs: 50, print: (s) => said.push(s) });
  assert.match(said[0], new RegExp(`waiting for another benchmark run \\(PID ${sleeper.pid}\\)`));
  assert.equal(isAlive(sleeper.pid!), false, "the lock was taken while its holder was alive");
  assert.equal(readFileSync(path, "utf8").trim(), String(process.pid));
  lock.release();
});

test("bench_lock: a holder that never leaves gives one line after the timeout", async () => {
  const path = join(dir, "d.lock");
  const sleeper = spawn("sleep", ["30"]);
  writeFileSync(path, `${sleeper.pid}\n`);
  try {
    await assert.rejects(
      acquireBenchLock({ path, pollMs: 20, timeoutMs: 100 }),
      (e: Error) => /another benchmark run \(PID \d+, lock .*\) has held the machine/.test(e.message),
    );
  } finally {
    sleeper.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
