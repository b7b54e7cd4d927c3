/**
 * The worker pool: runs case runs in child processes of the same runtime, `jobs` at a time.
 *
 * - In-process runs go to a persistent worker (`worker.ts --serve`) per (target, environment); it runs
 *   them one at a time. A crash (signal or exit) or a hang (per-run timeout) of the worker makes THAT run
 *   ERROR; the worker is restarted and the batch goes on with the next run.
 * - Death runs each get their own child (`worker.ts --abort <run>`), judged by signal and stderr.
 * - SKIP / UNSUPPORTED runs are decided up front and never start a process.
 *
 * @example
 * ```ts
 * import { runPool } from "./pool.ts";
 * // const results = await runPool(items, { jobs: 2, timeoutMs: 20000, abi: "shipped", onResult: console.log });
 * ```
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Adapter } from "./adapter.ts";
import type { Case } from "./case.ts";
import { judgeDeath, type Result, result } from "./execute.ts";
import { type Disposition, runKey, type RunSpec } from "./plan.ts";
import { parseMessage, PROTO_FD } from "./protocol.ts";
import { controlledEnv } from "./child_env.ts";

/** One run to do. */
export interface WorkItem {
  target: string;
  adapter: Adapter;
  case: Case;
  run: RunSpec;
  disposition: Disposition;
  env?: Record<string, string>;
}

export interface PoolOptions {
  jobs: number;
  /** per run, ms (default 20000) */
  timeoutMs?: number;
  abi: "shipped" | "2013";
  onResult?: (r: Result, done: number, total: number) => void;
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** The command that runs `script` in this runtime. */
export function runtimeArgs(script: string, args: string[]): string[] {
  return (globalThis as any).Bun ? [script, ...args] : ["run", "-A", "--quiet", script, ...args];
}

type Reply = { result: Result } | { crash: string } | { timeout: true } | { bad: string };
type Pending = (r: Reply | { ready: true } | { fatal: string }) => void;

/** Every child the pool started and has not seen exit (for {@link terminateAll}). */
const live = new Set<ChildProcess>();
/** Set by {@link terminateAll}: no child is started any more and no result is reported. */
let stopping = false;

function track(child: ChildProcess): ChildProcess {
  if (stopping) child.kill("SIGKILL");
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

/**
 * Sends `signal` to every child the pool started, then SIGKILL to those still running after `graceMs`,
 * and resolves once every one has exited (so none is left behind, re-parented to PID 1).
 */
export async function terminateAll(signal: NodeJS.Signals = "SIGTERM", graceMs = 2000): Promise<void> {
  stopping = true;
  const kids = [...live];
  const exited = kids.map((c) =>
    new Promise<void>((res) => {
      if (c.exitCode !== null || c.signalCode !== null) return res();
      c.once("exit", () => res());
    })
  );
  for (const c of kids) c.kill(signal);
  const timer = setTimeout(() => {
    for (const c of kids) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }, graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
}

class Worker {
  #child: ChildProcess;
  #pending: Pending | null = null;
  #run: RunSpec | undefined;
  #stderr = "";
  #exited = false;
  #killed = false;
  /** run keys this worker has executed, in order (state a later case may see) */
  readonly history: string[] = [];
  constructor(target: string, abi: string, env: Record<string, string> | undefined) {
    this.#child = track(spawn(
      process.execPath,
      runtimeArgs(WORKER, ["--target", target, "--abi", abi, "--serve", "--proto-fd", String(PROTO_FD)]),
      { env: controlledEnv(env), stdio: ["pipe", "pipe", "pipe", "pipe"] },
    ));
    // the target may print anything on stdout: it is drained and ignored
    this.#child.stdout!.resume();
    const proto = this.#child.stdio[PROTO_FD] as Readable;
    const rl = createInterface({ input: proto, crlfDelay: Infinity });
    rl.on("line", (line) => {
      const p = this.#pending;
      this.#pending = null;
      const m = parseMessage(line, this.#run);
      if ("error" in m) {
        // a bad message costs the run in flight; the worker cannot be trusted any more
        this.kill();
        p?.({ bad: m.error });
        return;
      }
      if (!p) {
        this.kill(); // a message nobody asked for
        return;
      }
      p(m.ok);
    });
    this.#child.stderr!.on("data", (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.#child.stdin!.on("error", () => {/* the worker died; reported through exit */});
    this.#child.on("exit", (code, signal) => {
      this.#exited = true;
      const p = this.#pending;
      this.#pending = null;
      const tail = this.#stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 300);
      p?.({ crash: `${signal ? `signal ${signal}` : `exit ${code}`}${tail ? `; stderr: ${tail}` : ""}` });
    });
  }
  /** exited, or killed (the exit event may come later) */
  get exited(): boolean {
    return this.#exited || this.#killed;
  }
  #wait<T>(timeoutMs: number): Promise<T | { timeout: true }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending = null;
        this.kill();
        resolve({ timeout: true });
      }, timeoutMs);
      this.#pending = (m) => {
        clearTimeout(timer);
        resolve(m as T);
      };
    });
  }
  async ready(timeoutMs: number): Promise<string | undefined> {
    const r = await this.#wait<{ ready: true } | { fatal: string } | { crash: string } | { bad: string }>(
      timeoutMs,
    );
    if ("ready" in r) return undefined;
    if ("fatal" in r) return `worker failed to start: ${r.fatal}`;
    if ("crash" in r) return `worker failed to start: ${r.crash}`;
    if ("bad" in r) return `worker failed to start: ${r.bad}`;
    return `worker did not start within ${timeoutMs / 1000} s`;
  }
  run(run: RunSpec, timeoutMs: number): Promise<Reply> {
    this.#stderr = "";
    this.#run = run;
    this.history.push(runKey(run));
    const p = this.#wait<Reply | { fatal: string }>(timeoutMs).then((r): Reply =>
      "fatal" in r ? { crash: `worker error: ${r.fatal}` } : r
    );
    this.#child.stdin!.write(JSON.stringify(run) + "\n");
    return p;
  }
  kill(): void {
    this.#killed = true;
    this.#pending = null;
    if (!this.#exited) this.#child.kill("SIGKILL");
  }
  close(): void {
    if (!this.#exited) this.#child.stdin!.end();
  }
}

/** Runs a death child and judges it. */
function runDeath(item: WorkItem, abi: string, timeoutMs: number): Promise<Result> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = track(spawn(
      process.execPath,
      runtimeArgs(WORKER, ["--target", item.target, "--abi", abi, "--abort", JSON.stringify(item.run)]),
      {
        env: controlledEnv(item.env),
        stdio: ["ignore", "pipe", "pipe"],
      },
    ));
    let stdout = "", stderr = "", timedOut = false;
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - t0);
      if (timedOut) {
        resolve(
          result(
            item.adapter.label,
            item.case,
            item.run,
            "ERROR",
            `death child timed out after ${timeoutMs / 1000} s`,
            ms,
          ),
        );
        return;
      }
      const j = judgeDeath(item.case, { status, signal, stderr, stdout });
      resolve(result(item.adapter.label, item.case, item.run, j.status, j.message, ms));
    });
  });
}

/** Consecutive timeouts after which a target's remaining runs are not started. */
export const MAX_CONSECUTIVE_TIMEOUTS = 3;

/** Label of a FAIL/ERROR that reproduces in a fresh worker. */
export const ALONE = "reproduces alone";
/** Label of a FAIL/ERROR that does not reproduce in a fresh worker. */
export const NOT_ALONE = "only after earlier cases (state from the run)";

/**
 * Runs every item; results come back in item order.
 *
 * - A target that timed out {@link MAX_CONSECUTIVE_TIMEOUTS} times in a row is stopped: its remaining runs
 *   are ERROR with that reason (a target hanging in every case would otherwise cost timeout x runs).
 * - For targets that keep state across cases (`Adapter.keepsState`), every in-process FAIL and ERROR that
 *   ran after other cases in its worker is re-run alone in a fresh worker and labelled
 *   {@link ALONE} or {@link NOT_ALONE} (with the earlier cases named); `onResult` reports such results
 *   once labelled.
 */
export async function runPool(items: readonly WorkItem[], o: PoolOptions): Promise<Result[]> {
  const timeoutMs = o.timeoutMs ?? 20000;
  const out: Result[] = new Array(items.length);
  const earlier = new Map<number, string[]>();
  let done = 0;
  const report = (r: Result) => {
    if (stopping) return;
    done++;
    o.onResult?.(r, done, items.length);
  };
  const isolate = (i: number, r: Result) =>
    items[i].adapter.keepsState === true && items[i].disposition.kind === "in-process" &&
    (r.status === "FAIL" || r.status === "ERROR") && !r.message.startsWith("target stopped after");
  const finish = (i: number, r: Result, before?: string[]) => {
    out[i] = r;
    if (isolate(i, r)) {
      if (before && before.length) return earlier.set(i, before);
      r.alone = ALONE; // it ran first in a fresh worker: it was alone
    }
    report(r);
  };
  // consecutive timeouts per target
  const timeouts = new Map<string, number>();
  const stopped = new Map<string, string>();
  const noteTimeout = (it: WorkItem, timedOut: boolean) => {
    if (!timedOut) return void timeouts.set(it.target, 0);
    const n = (timeouts.get(it.target) ?? 0) + 1;
    timeouts.set(it.target, n);
    if (n >= MAX_CONSECUTIVE_TIMEOUTS && !stopped.has(it.target)) {
      stopped.set(
        it.target,
        `target stopped after ${n} consecutive timeouts (the last: ${
          runKey(it.run)
        }); this run was not started`,
      );
    }
  };
  const stoppedResult = (it: WorkItem) =>
    stopped.has(it.target)
      ? result(it.adapter.label, it.case, it.run, "ERROR", stopped.get(it.target)!)
      : undefined;
  // batches of indices sharing a worker key
  const groups = new Map<string, number[]>();
  items.forEach((it, i) => {
    const d = it.disposition;
    if (d.kind === "skip") return finish(i, result(it.adapter.label, it.case, it.run, d.status, d.reason));
    const key = JSON.stringify([d.kind, it.target, it.env ?? {}]);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(i);
  });
  const jobs = Math.max(1, o.jobs);
  const batches: number[][] = [];
  for (const idx of groups.values()) {
    const size = Math.max(8, Math.ceil(idx.length / jobs));
    for (let k = 0; k < idx.length; k += size) batches.push(idx.slice(k, k + size));
  }
  // longest batches first keeps the slots busy
  batches.sort((a, b) => b.length - a.length);
  const runBatch = async (batch: number[], fin: (i: number, r: Result, before?: string[]) => void) => {
    const first = items[batch[0]];
    if (first.disposition.kind === "death") {
      for (const i of batch) {
        const stop = stoppedResult(items[i]);
        if (stop) {
          fin(i, stop);
          continue;
        }
        const r = await runDeath(items[i], o.abi, timeoutMs);
        noteTimeout(items[i], r.message.startsWith("death child timed out"));
        fin(i, r);
      }
      return;
    }
    let w: Worker | undefined;
    for (const i of batch) {
      const it = items[i];
      const stop = stoppedResult(it);
      if (stop) {
        fin(i, stop);
        continue;
      }
      if (!w || w.exited) {
        w = new Worker(it.target, o.abi, it.env);
        const err = await w.ready(Math.min(Math.max(timeoutMs, 120000), 2 ** 31 - 1));
        if (err) {
          fin(i, result(it.adapter.label, it.case, it.run, "ERROR", err));
          w.kill();
          w = undefined;
          continue;
        }
      }
      const before = [...w.history];
      const fail = (msg: string, ms = 0) =>
        fin(i, result(it.adapter.label, it.case, it.run, "ERROR", msg, ms), before);
      const t0 = performance.now();
      const r = await w.run(it.run, timeoutMs);
      const ms = Math.round(performance.now() - t0);
      noteTimeout(it, "timeout" in r);
      if ("result" in r) fin(i, r.result, before);
      else if ("timeout" in r) {
        fail(`timed out after ${timeoutMs / 1000} s (target hung); worker restarted`, ms);
      } else if ("bad" in r) fail(`worker protocol: ${r.bad}; worker restarted`, ms);
      else fail(`target crashed: ${r.crash}; worker restarted`, ms);
    }
    w?.close();
  };
  const slot = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) await runBatch(batch, finish);
  };
  await Promise.all(Array.from({ length: jobs }, slot));
  // re-run alone, in a fresh worker each, what failed after earlier cases on a target that keeps state
  const again = [...earlier.keys()];
  const slot2 = async () => {
    for (let i = again.shift(); i !== undefined; i = again.shift()) {
      const before = earlier.get(i)!;
      if (stopped.has(items[i].target)) {
        out[i].alone = "not re-run alone: the target was stopped after repeated timeouts";
        out[i].earlier = before;
        report(out[i]);
        continue;
      }
      let aloneStatus = "ERROR" as Result["status"];
      await runBatch([i], (_j, r) => (aloneStatus = r.status));
      const r = out[i];
      const same = aloneStatus === "FAIL" || aloneStatus === "ERROR";
      r.alone = same ? ALONE : NOT_ALONE;
      if (!same) r.aloneStatus = aloneStatus;
      r.earlier = before;
      report(r);
    }
  };
  await Promise.all(Array.from({ length: jobs }, slot2));
  return out;
}
