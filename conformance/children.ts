/**
 * The child processes of the worker pool (pool.ts): a persistent worker ({@link Worker}, `worker.ts
 * --serve`, protocol on fd 3, protocol.ts), a death child ({@link runDeath}, `worker.ts --abort`), and the
 * bookkeeping that lets the runner stop and reap every one of them ({@link terminateAll}). Every child
 * is started by core/child.ts in the controlled environment (core/env.ts) plus the adapter's `childEnv`.
 *
 * @example
 * ```ts
 * import { terminateAll } from "./children.ts";
 * process.on("SIGTERM", () => terminateAll("SIGTERM").finally(() => process.exit(143)));
 * ```
 * @module
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Adapter } from "./adapter.ts";
import type { Case } from "./case.ts";
import { judgeDeath, type Result, result } from "./execute.ts";
import { runKey, type RunSpec } from "./plan.ts";
import { parseMessage, PROTO_FD } from "./protocol.ts";
import { runScriptAsync, spawnScript } from "../core/child.ts";

/** What a death child needs to know about its run. */
export interface DeathItem {
  target: string;
  adapter: Adapter;
  case: Case;
  run: RunSpec;
  env?: Record<string, string>;
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

export type Reply = { result: Result } | { crash: string } | { timeout: true } | { bad: string };
type Pending = (r: Reply | { ready: true } | { fatal: string }) => void;

/** Every child the pool started and has not seen exit (for {@link terminateAll}). */
const live = new Set<ChildProcess>();
/** Set by {@link terminateAll}: no child is started any more and no result is reported. */
let stopping = false;

/** True once {@link terminateAll} was called (the pool then reports nothing more). */
export function isStopping(): boolean {
  return stopping;
}

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

export class Worker {
  #child: ChildProcess;
  #pending: Pending | null = null;
  #run: RunSpec | undefined;
  #stderr = "";
  #exited = false;
  #killed = false;
  /** run keys this worker has executed, in order (state a later case may see) */
  readonly history: string[] = [];
  constructor(target: string, abi: string, env: Record<string, string> | undefined) {
    this.#child = track(spawnScript(
      WORKER,
      ["--target", target, "--abi", abi, "--serve", "--proto-fd", String(PROTO_FD)],
      { env, stdio: ["pipe", "pipe", "pipe", "pipe"] },
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
export async function runDeath(item: DeathItem, abi: string, timeoutMs: number): Promise<Result> {
  const t0 = performance.now();
  const r = await runScriptAsync(
    WORKER,
    ["--target", item.target, "--abi", abi, "--abort", JSON.stringify(item.run)],
    { env: item.env, timeoutMs, onSpawn: track },
  );
  const ms = Math.round(performance.now() - t0);
  if (r.timedOut) {
    return result(
      item.adapter.label,
      item.case,
      item.run,
      "ERROR",
      `death child timed out after ${timeoutMs / 1000} s`,
      ms,
    );
  }
  const j = judgeDeath(item.case, r);
  return result(item.adapter.label, item.case, item.run, j.status, j.message, ms);
}
