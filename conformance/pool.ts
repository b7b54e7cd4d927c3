/**
 * The worker pool: runs case runs in child processes of the same runtime, `jobs` at a time.
 *
 * - In-process runs go to a persistent worker (`worker.ts --serve`) per (target, environment); it runs
 *   them one at a time. A crash (signal or exit) or a hang (per-run timeout) of the worker makes THAT run
 *   ERROR; the worker is restarted and the batch goes on with the next run.
 * - Death runs each get their own child (`worker.ts --abort <run>`), judged by signal and stderr.
 * - SKIP / UNSUPPORTED runs are decided up front and never start a process.
 * - The child processes themselves (protocol, controlled environment, reaping) are children.ts.
 *
 * @example
 * ```ts
 * import { runPool } from "./pool.ts";
 * // const results = await runPool(items, { jobs: 2, timeoutMs: 20000, abi: "shipped", onResult: console.log });
 * ```
 * @module
 */
import type { Adapter } from "./adapter.ts";
import type { Case } from "./case.ts";
import { type Result, result } from "./execute.ts";
import { type Disposition, runKey, type RunSpec } from "./plan.ts";
import { isStopping, runDeath, Worker } from "./children.ts";

export { terminateAll } from "./children.ts";

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
    if (isStopping()) return;
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
