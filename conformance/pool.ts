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
import { fileURLToPath } from "node:url";
import type { Adapter } from "./adapter.ts";
import type { Case } from "./case.ts";
import { judgeDeath, type Result, result } from "./execute.ts";
import type { Disposition, RunSpec } from "./plan.ts";
import { MARK } from "./worker.ts";
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

type Reply = { result: Result } | { crash: string } | { timeout: true };

class Worker {
  #child: ChildProcess;
  #pending: ((r: Reply | { ready: true } | { fatal: string }) => void) | null = null;
  #stderr = "";
  #exited = false;
  #killed = false;
  constructor(target: string, abi: string, env: Record<string, string> | undefined) {
    this.#child = spawn(
      process.execPath,
      runtimeArgs(WORKER, ["--target", target, "--abi", abi, "--serve"]),
      {
        env: controlledEnv(env),
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const rl = createInterface({ input: this.#child.stdout!, crlfDelay: Infinity });
    rl.on("line", (line) => {
      // the target may have printed text without a newline just before a protocol line
      const at = line.indexOf(MARK);
      if (at < 0) return;
      const msg = JSON.parse(line.slice(at + MARK.length));
      const p = this.#pending;
      this.#pending = null;
      p?.(msg);
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
    const r = await this.#wait<{ ready: true } | { fatal: string } | { crash: string }>(timeoutMs);
    if ("ready" in r) return undefined;
    if ("fatal" in r) return `worker failed to start: ${r.fatal}`;
    if ("crash" in r) return `worker failed to start: ${r.crash}`;
    return `worker did not start within ${timeoutMs / 1000} s`;
  }
  run(run: RunSpec, timeoutMs: number): Promise<Reply> {
    this.#stderr = "";
    const p = this.#wait<Reply>(timeoutMs);
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
    const child = spawn(
      process.execPath,
      runtimeArgs(WORKER, ["--target", item.target, "--abi", abi, "--abort", JSON.stringify(item.run)]),
      {
        env: controlledEnv(item.env),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
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

/** Runs every item; results come back in item order. */
export async function runPool(items: readonly WorkItem[], o: PoolOptions): Promise<Result[]> {
  const timeoutMs = o.timeoutMs ?? 20000;
  const out: Result[] = new Array(items.length);
  let done = 0;
  const finish = (i: number, r: Result) => {
    out[i] = r;
    done++;
    o.onResult?.(r, done, items.length);
  };
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
  const slot = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      const first = items[batch[0]];
      if (first.disposition.kind === "death") {
        for (const i of batch) finish(i, await runDeath(items[i], o.abi, timeoutMs));
        continue;
      }
      let w: Worker | undefined;
      for (const i of batch) {
        const it = items[i];
        if (!w || w.exited) {
          w = new Worker(it.target, o.abi, it.env);
          const err = await w.ready(Math.max(timeoutMs, 120000));
          if (err) {
            finish(i, result(it.adapter.label, it.case, it.run, "ERROR", err));
            w.kill();
            w = undefined;
            continue;
          }
        }
        const t0 = performance.now();
        const r = await w.run(it.run, timeoutMs);
        const ms = Math.round(performance.now() - t0);
        if ("result" in r) finish(i, r.result);
        else if ("timeout" in r) {
          finish(
            i,
            result(
              it.adapter.label,
              it.case,
              it.run,
              "ERROR",
              `timed out after ${timeoutMs / 1000} s (target hung); worker restarted`,
              ms,
            ),
          );
        } else {finish(
            i,
            result(
              it.adapter.label,
              it.case,
              it.run,
              "ERROR",
              `target crashed: ${r.crash}; worker restarted`,
              ms,
            ),
          );}
      }
      w?.close();
    }
  };
  await Promise.all(Array.from({ length: jobs }, slot));
  return out;
}
