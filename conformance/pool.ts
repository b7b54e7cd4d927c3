/**
 * The worker pool: runs case runs in child processes of the same runtime, `jobs` at a time.
 *
 * - In-process runs go to a persistent worker (`worker.ts --serve`) per (target, environment); it runs
 *   them one at a time. A crash (signal or exit) or a protocol error of the worker makes THAT run ERROR;
 *   the worker is restarted and the batch goes on with the next run.
 * - Death runs each get their own child (`worker.ts --abort`), judged by signal and stderr.
 * - SKIP / UNSUPPORTED runs are decided up front and never start a process.
 * - Budgets (budget.ts): a case gets `--timeout` x the load factor, counted from the moment its worker or
 *   death child is ready (starting one has a budget of its own). A run that times out in the parallel
 *   phase is held back and run again ALONE (nothing else of the run in flight) in a fresh process with
 *   ALONE_FACTOR x the budget, after replaying the runs that preceded it in its worker when the target keeps
 *   state; its verdict is that rerun's, and only a rerun alone that times out too is reported as a
 *   timeout. A target is stopped only after {@link MAX_CONFIRMED_TIMEOUTS} consecutive confirmed timeouts;
 *   after {@link SUSPEND_AFTER} consecutive timeouts in the parallel phase its remaining runs wait for the
 *   alone phase (a target that hangs in every case does not cost timeout x runs).
 * - The child processes themselves (protocol, process groups, reaping) are children.ts; what a result may
 *   carry from the worker is protocol.ts `trustedResult`.
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
import { judgeDeath, type Result, result } from "./execute.ts";
import { type Disposition, runKey, type RunSpec } from "./plan.ts";
import { trustedResult } from "./protocol.ts";
import { BudgetMeter } from "./budget.ts";
import { groupsGone, isStopping, runDeath, Worker } from "./children.ts";

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
  /** per run on an idle machine, ms (default 20000): the base of every budget (budget.ts) */
  timeoutMs?: number;
  abi: "shipped" | "2013";
  onResult?: (r: Result, done: number, total: number) => void;
  /** the run's budgets (default: a meter over `timeoutMs`); its report goes into the summary */
  budget?: BudgetMeter;
  /**
   * Re-run alone each in-process FAIL/ERROR of a target that keeps state, to label it {@link ALONE} or
   * {@link NOT_ALONE} (default true: what every command does). A fresh worker per such result; a caller
   * that judges only statuses and messages (the fixtures' teeth: one to six FAILs per fixture, each a
   * process start) may turn it off: the labels are then absent, the statuses and messages are the same.
   */
  isolateFailures?: boolean;
}

/** Consecutive parallel-phase timeouts after which a target's remaining runs wait for the alone phase. */
export const SUSPEND_AFTER = 3;
/** Consecutive timeouts confirmed alone after which a target's remaining runs are not started. */
export const MAX_CONFIRMED_TIMEOUTS = 2;

/** Label of a FAIL/ERROR that reproduces in a fresh worker. */
export const ALONE = "reproduces alone";
/** Label of a FAIL/ERROR that does not reproduce in a fresh worker. */
export const NOT_ALONE = "only after earlier cases (state from the run)";

const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** What running one item gave: a result, or a timeout (of the case, or of the start of its process). */
type Outcome = { result: Result } | { timeout: string };

/**
 * Runs every item; results come back in item order.
 *
 * For targets that keep state across cases (`Adapter.keepsState`), every in-process FAIL and ERROR that ran
 * after other cases in its worker is re-run alone in a fresh worker and labelled {@link ALONE} or
 * {@link NOT_ALONE} (with the earlier cases named); `onResult` reports such results once labelled.
 */
export async function runPool(items: readonly WorkItem[], o: PoolOptions): Promise<Result[]> {
  const meter = o.budget ?? new BudgetMeter(o.timeoutMs ?? 20000);
  const out: Result[] = new Array(items.length);
  const earlier = new Map<number, string[]>();
  let done = 0;
  const report = (r: Result) => {
    if (isStopping()) return;
    done++;
    o.onResult?.(r, done, items.length);
  };
  const isolate = (i: number, r: Result) =>
    o.isolateFailures !== false && items[i].adapter.keepsState === true &&
    items[i].disposition.kind === "in-process" &&
    (r.status === "FAIL" || r.status === "ERROR") && !r.message.startsWith("target stopped after");
  const finish = (i: number, r: Result, before?: string[]) => {
    out[i] = r;
    if (isolate(i, r)) {
      if (before && before.length) return earlier.set(i, before);
      r.alone = ALONE; // it ran first in a fresh worker: it was alone
    }
    report(r);
  };
  const expected = (it: WorkItem) => result(it.adapter.label, it.case, it.run, "PASS", "");
  const error = (it: WorkItem, msg: string, ms = 0) =>
    result(it.adapter.label, it.case, it.run, "ERROR", msg, ms);

  // parallel phase: timeouts are held back for the alone phase
  const held = new Map<number, { why: string; before: number[] }>();
  const deferred: number[] = [];
  const streak = new Map<string, number>();
  const suspended = new Set<string>();
  const noteTimeout = (it: WorkItem, timedOut: boolean) => {
    const n = timedOut ? (streak.get(it.target) ?? 0) + 1 : 0;
    streak.set(it.target, n);
    if (n >= SUSPEND_AFTER) suspended.add(it.target);
  };

  /** A run whose child died before it was ready and was started again: what happened first, on the result. */
  const startedAgain = (first: string | undefined, r: Result) => {
    if (first) r.rerunAlone = `${first}; run again in a fresh child: ${r.status}`;
    return r;
  };

  /** Runs `idx` (one batch of one worker key) in order; `alone` runs use the alone budget. */
  const runBatch = async (
    idx: number[],
    mode: { alone: boolean; replay?: number[] },
    fin: (i: number, o: Outcome, before: number[]) => void,
  ) => {
    const budgetMs = () => (mode.alone ? meter.aloneMs() : meter.caseMs());
    const first = items[idx[0]];
    if (first.disposition.kind === "death") {
      for (const i of idx) {
        const it = items[i];
        if (!mode.alone && suspended.has(it.target)) {
          deferred.push(i);
          continue;
        }
        const death = () => runDeath(it, o.abi, { startupMs: meter.startupMs(), budgetMs: budgetMs() });
        let { reply, ms } = await death();
        // A child that died before it said ready never ran the case: its runtime or the loading of the
        // target crashed (seen: Bun's crash handler, SIGABRT, in a child starting beside 24 busy
        // processes). Once more in a fresh child; that one's outcome is the verdict, and what happened
        // first stays on the result, as for a timeout run again alone.
        let first: string | undefined;
        if ("notReady" in reply && !/did not start within/.test(reply.notReady)) {
          first = reply.notReady;
          ({ reply, ms } = await death());
        }
        if ("timeout" in reply) fin(i, { timeout: `death child timed out after ${secs(budgetMs())}` }, []);
        else if ("notReady" in reply) {
          if (/did not start within/.test(reply.notReady)) fin(i, { timeout: reply.notReady }, []);
          else fin(i, { result: startedAgain(first, error(it, reply.notReady, ms)) }, []);
        } else {
          const j = judgeDeath(it.case, reply.outcome);
          fin(
            i,
            {
              result: startedAgain(first, result(it.adapter.label, it.case, it.run, j.status, j.message, ms)),
            },
            [],
          );
        }
      }
      return;
    }
    let w: Worker | undefined;
    let ran: number[] = [];
    const fresh = async (it: WorkItem): Promise<string | undefined> => {
      if (w) await w.close(0); // a worker that crashed or was killed: its group goes too
      w = new Worker(it.target, o.abi, it.env);
      ran = [];
      const err = await w.ready(meter.startupMs());
      if (err) {
        w.kill();
        w = undefined;
      }
      return err;
    };
    // a rerun alone of a target that keeps state replays what preceded the run in its worker first
    if (mode.replay?.length) {
      const err = await fresh(items[idx[0]]);
      for (const k of mode.replay) {
        if (err || !w || w.exited) break;
        await w.run(items[k].run, budgetMs());
        ran.push(k);
      }
    }
    for (const i of idx) {
      const it = items[i];
      if (!mode.alone && suspended.has(it.target)) {
        deferred.push(i);
        continue;
      }
      let first: string | undefined;
      if (!w || w.exited) {
        let err = await fresh(it);
        if (err && /ended before it was ready/.test(err)) {
          // it died before loading was done (as a death child can, above): once more, noted on the run
          first = err;
          err = await fresh(it);
        }
        if (err) {
          if (/did not start within/.test(err)) fin(i, { timeout: err }, []);
          else fin(i, { result: startedAgain(first, error(it, err)) }, []);
          continue;
        }
      }
      const before = [...ran];
      ran.push(i);
      const b = budgetMs();
      const t0 = performance.now();
      const r = await w!.run(it.run, b);
      const ms = Math.round(performance.now() - t0);
      if ("result" in r) {
        fin(i, { result: startedAgain(first, trustedResult(expected(it), r.result)) }, before);
      } else if ("timeout" in r) fin(i, { timeout: `timed out after ${secs(b)} (target hung)` }, before);
      else if ("bad" in r) {
        fin(i, { result: error(it, `worker protocol: ${r.bad}; worker restarted`, ms) }, before);
      } else fin(i, { result: error(it, `target crashed: ${r.crash}; worker restarted`, ms) }, before);
    }
    await w?.close();
  };

  // 1. parallel phase
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
  batches.sort((a, b) => b.length - a.length); // longest batches first keeps the slots busy
  const parallelFin = (i: number, oc: Outcome, before: number[]) => {
    noteTimeout(items[i], "timeout" in oc);
    if ("timeout" in oc) held.set(i, { why: oc.timeout, before });
    else finish(i, oc.result, before.map((k) => runKey(items[k].run)));
  };
  const slot = async () => {
    for (let b = batches.shift(); b; b = batches.shift()) await runBatch(b, { alone: false }, parallelFin);
  };
  await Promise.all(Array.from({ length: jobs }, slot));

  // 2. alone phase: held timeouts, then the runs deferred while their target was suspended, one at a time
  const confirmed = new Map<string, number>();
  const stopped = new Map<string, string>();
  const alone = [...held.keys(), ...deferred].sort((a, b) => a - b);
  for (const i of alone) {
    if (isStopping()) break;
    const it = items[i];
    const h = held.get(i);
    if (stopped.has(it.target)) {
      finish(i, error(it, stopped.get(it.target)!));
      continue;
    }
    if (h) meter.rerunAlone++;
    const replay = it.adapter.keepsState ? h?.before : undefined;
    let oc: Outcome | undefined;
    await runBatch([i], { alone: true, replay }, (_j, r) => (oc = r));
    const first = h ? `${h.why} with ${jobs} jobs in parallel` : undefined;
    if (!oc || "timeout" in oc) {
      meter.confirmedTimeouts++;
      const n = (confirmed.get(it.target) ?? 0) + 1;
      confirmed.set(it.target, n);
      const why = oc && "timeout" in oc ? oc.timeout : "no outcome";
      finish(i, error(it, first ? `${first}, and again when run alone: ${why}` : `run alone: ${why}`));
      if (n >= MAX_CONFIRMED_TIMEOUTS) {
        stopped.set(
          it.target,
          `target stopped after ${n} consecutive timeouts confirmed alone (the last: ${
            runKey(it.run)
          }); this run was not started`,
        );
      }
      continue;
    }
    confirmed.set(it.target, 0);
    const r = oc.result;
    if (first) r.rerunAlone = `${first}; run alone with ${secs(meter.aloneMs())}: ${r.status}`;
    finish(i, r, (replay ?? []).map((k) => runKey(items[k].run)));
  }

  // 3. re-run alone, in a fresh worker each, what failed after earlier cases on a target that keeps state
  const again = [...earlier.keys()];
  const slot2 = async () => {
    for (let i = again.shift(); i !== undefined; i = again.shift()) {
      const before = earlier.get(i)!;
      let aloneStatus = "ERROR" as Result["status"];
      await runBatch([i], { alone: false }, (_j, oc) => {
        aloneStatus = "result" in oc ? oc.result.status : "ERROR";
      });
      const r = out[i];
      const same = aloneStatus === "FAIL" || aloneStatus === "ERROR";
      r.alone = same ? ALONE : NOT_ALONE;
      if (!same) r.aloneStatus = aloneStatus;
      r.earlier = before;
      report(r);
    }
  };
  await Promise.all(Array.from({ length: jobs }, slot2));
  // nothing of the run outlives it: the groups of the children that exited (a target's forks) are gone
  await groupsGone();
  return out;
}
