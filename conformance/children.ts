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
import type { Result } from "./execute.ts";
import { runKey, type RunSpec } from "./plan.ts";
import { newNonce, parseMessage, PROTO_FD } from "./protocol.ts";
import { spawnScript } from "../core/child.ts";
import { closePipes, groupGone, killGroup, signalGroup } from "../core/group.ts";

/** What a death child needs to know about its run. */
export interface DeathItem {
  target: string;
  adapter: Adapter;
  case: Case;
  run: RunSpec;
  env?: Record<string, string>;
}

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

/** Every child the pool started and has not seen exit (for {@link terminateAll}). */
const live = new Set<ChildProcess>();
/** Set by {@link terminateAll}: no child is started any more and no result is reported. */
let stopping = false;

/** True once {@link terminateAll} was called (the pool then reports nothing more). */
export function isStopping(): boolean {
  return stopping;
}

function track(child: ChildProcess): ChildProcess {
  if (stopping) killGroup(child);
  live.add(child);
  child.on("exit", () => {
    live.delete(child);
    // what the target forked goes with the child (a detached child leads its own group): core/group.ts
    signalGroup(child.pid, "SIGKILL");
    const gone: Promise<unknown> = groupGone(child.pid).finally(() => dying.delete(gone));
    dying.add(gone);
  });
  return child;
}

/** The groups of exited children, killed and not yet seen gone. */
const dying = new Set<Promise<unknown>>();

/**
 * Resolves once the process group of every child that has exited is gone (each waited for at most 5 s):
 * a target's fork sent SIGKILL is still alive until the kernel runs its exit, so a run that ends at once
 * would leave it behind for a moment, under load for longer (a hostile_trust_test failure in CI, 2026-12-06).
 */
export async function groupsGone(): Promise<void> {
  while (dying.size) await Promise.all([...dying]);
}

/**
 * Sends `signal` to the process group of every child the pool started (each leads its own: a target's
 * forks go too), then SIGKILL to those still running after `graceMs`, and resolves once every one has
 * exited (so none is left behind, re-parented to PID 1).
 */
export async function terminateAll(signal: NodeJS.Signals = "SIGTERM", graceMs = 2000): Promise<void> {
  stopping = true;
  const kids = [...live];
  const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const exited = kids.map((c) =>
    new Promise<void>((res) => {
      if (!running(c)) return res();
      c.once("exit", () => res());
    })
  );
  for (const c of kids) killGroup(c, signal);
  const timer = setTimeout(() => {
    for (const c of kids) if (running(c)) killGroup(c, "SIGKILL");
  }, graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
  await groupsGone();
}

/** A validated reply to a run (the pool keeps only status, message and ms of a result: protocol.ts). */
export type Reply = { result: Result } | { crash: string } | { timeout: true } | { bad: string };
type Pending = (r: Reply | { ready: true } | { fatal: string }) => void;

export class Worker {
  #child: ChildProcess;
  #pending: Pending | null = null;
  #run: RunSpec | undefined;
  #nonce: string | undefined;
  #stderr = "";
  #exited = false;
  #killed = false;
  /** run keys this worker has executed, in order (state a later case may see) */
  readonly history: string[] = [];
  constructor(target: string, abi: string, env: Record<string, string> | undefined) {
    // a process group of its own: at the budget, the worker and whatever the target forked are killed
    // together and our ends of its pipes closed (core/group.ts)
    this.#child = track(spawnScript(
      WORKER,
      ["--target", target, "--abi", abi, "--serve", "--proto-fd", String(PROTO_FD)],
      { env, stdio: ["pipe", "pipe", "pipe", "pipe"], group: true },
    ));
    // the target may print anything on stdout: it is drained and ignored
    this.#child.stdout!.resume();
    const proto = this.#child.stdio[PROTO_FD] as Readable;
    const rl = createInterface({ input: proto, crlfDelay: Infinity });
    rl.on("line", (line) => {
      const p = this.#pending;
      this.#pending = null;
      const nonce = this.#nonce;
      this.#nonce = undefined; // one result per request
      const m = parseMessage(line, this.#run, nonce);
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
    proto.on("error", () => {/* closed by kill() */});
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
    if ("crash" in r) return `worker ended before it was ready: ${r.crash}`;
    if ("bad" in r) return `worker failed to start: ${r.bad}`;
    return `worker did not start within ${Math.round(timeoutMs / 1000)} s`;
  }
  run(run: RunSpec, timeoutMs: number): Promise<Reply> {
    this.#stderr = "";
    this.#run = run;
    this.#nonce = newNonce();
    this.history.push(runKey(run));
    const p = this.#wait<Reply | { fatal: string }>(timeoutMs).then((r): Reply =>
      "fatal" in r ? { crash: `worker error: ${r.fatal}` } : r
    );
    this.#child.stdin!.write(JSON.stringify({ ...run, nonce: this.#nonce }) + "\n");
    return p;
  }
  kill(): void {
    this.#killed = true;
    this.#pending = null;
    killGroup(this.#child);
  }
  /**
   * Ends the worker (its stdin closes) and resolves once it has exited, its process group killed (what
   * the target forked goes too: track()); after `graceMs` the group is killed.
   */
  close(graceMs = 5000): Promise<void> {
    const c = this.#child;
    if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      const t = setTimeout(() => killGroup(c), graceMs);
      c.once("exit", () => {
        clearTimeout(t);
        res();
      });
      if (!this.#killed) c.stdin!.end();
    });
  }
}

/** How a death child went: its outcome once ready, or what kept it from being ready, or the budget. */
export type DeathReply =
  | { outcome: { status: number | null; signal: string | null; stdout: string; stderr: string } }
  | { timeout: true }
  | { notReady: string };

/**
 * Runs a death child (`worker.ts --abort`, a process group of its own): `startupMs` for it to load and
 * warm up the target and say ready on fd 3, then `budgetMs` for the case itself. Resolves once it has
 * exited and its output is read (or 2 s after it exited, when a grandchild holds the pipes).
 */
export function runDeath(
  item: DeathItem,
  abi: string,
  budget: { startupMs: number; budgetMs: number },
): Promise<{ reply: DeathReply; ms: number }> {
  return new Promise((resolve) => {
    const child = track(spawnScript(
      WORKER,
      [
        "--target",
        item.target,
        "--abi",
        abi,
        "--abort",
        JSON.stringify(item.run),
        "--proto-fd",
        String(PROTO_FD),
      ],
      { env: item.env, stdio: ["ignore", "pipe", "pipe", "pipe"], group: true },
    ));
    let stdout = "", stderr = "", ready = false, timedOut = false, done = false;
    let t0 = performance.now();
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const proto = child.stdio[PROTO_FD] as Readable;
    proto.on("error", () => {/* closed at the end */});
    let timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, budget.startupMs);
    createInterface({ input: proto, crlfDelay: Infinity }).on("line", (line) => {
      const m = parseMessage(line, undefined);
      if (ready || !("ok" in m) || !("ready" in m.ok)) return; // anything else: the outcome decides
      ready = true;
      clearTimeout(timer);
      t0 = performance.now();
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child);
      }, budget.budgetMs);
    });
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (status: number | null, signal: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      closePipes(child);
      const ms = Math.round(performance.now() - t0);
      if (timedOut && ready) return resolve({ reply: { timeout: true }, ms });
      if (!ready) {
        const how = timedOut
          ? `did not start within ${Math.round(budget.startupMs / 1000)} s`
          : `ended before it was ready (${signal ? `signal ${signal}` : `exit ${status}`})`;
        const tail = stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 300);
        return resolve({ reply: { notReady: `death child ${how}${tail ? `; stderr: ${tail}` : ""}` }, ms });
      }
      resolve({ reply: { outcome: { status, signal, stdout, stderr } }, ms });
    };
    child.on("exit", (status, signal) => {
      grace = setTimeout(() => finish(status, signal), 2000);
    });
    child.on("close", (status, signal) => finish(status, signal));
    child.on("error", (e) => {
      stderr += e.message;
      finish(null, null);
    });
  });
}
