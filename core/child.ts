/**
 * The one way allocspec runs a child: a TypeScript file in a fresh process of the current runtime
 * ({@link runScript} synchronously, {@link runScriptAsync} asynchronously, {@link spawnScript} for a
 * long-lived child such as a conformance worker), or any other program with the same environment rules
 * ({@link runProgram}, {@link runProgramAsync}). Like CPython's `test.support.script_helper`: the command
 * line comes from `core/runtime.ts`, the environment from `core/env.ts`, and the outcome is one shape
 * ({@link ChildOutcome}) that callers judge.
 *
 * Environment: the controlled environment by default (`controlledEnv`: this process's variables without
 * those that change how a target allocates or dies) plus `env`; `inherit: true` starts from this process's
 * environment unfiltered instead (a user's program, a CLI under test). In both, an `env` value of ""
 * removes the variable and `NO_COLOR=1` is set; `baseEnv` starts from exactly the environment given. Synchronous runs get the Deno spawnSync workaround
 * (`forSpawnSync`) so a removed variable stays removed.
 *
 * A timeout kills the child with `killSignal` (default SIGKILL) and sets `timedOut`. The asynchronous
 * runs resolve when the child has exited and its output is read, or 2 s after it exited when a
 * grandchild keeps its stdout or stderr open (a forking library constructor cannot hang the caller).
 *
 * @example
 * ```ts
 * import { runScript } from "./child.ts";
 * const r = runScript("conformance/death_child.ts", ["cpython", "overflow", "MEM"], {
 *   env: { PYTHONMALLOC: "debug" },
 *   timeoutMs: 60_000,
 * });
 * console.log(r.status, r.signal, r.timedOut, r.stderr);
 * ```
 * @module
 */
import { type ChildProcess, spawn, spawnSync, type StdioOptions } from "node:child_process";
import process from "node:process";
import { controlledEnv, forSpawnSync } from "./env.ts";
import { runtimeCommand, type RuntimeCommandOptions } from "./runtime.ts";

/** How a child ended. */
export interface ChildOutcome {
  /** exit status, null when a signal ended it */
  status: number | null;
  /** the signal that ended it (e.g. "SIGABRT"), else null */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** true when the child was killed after `timeoutMs` */
  timedOut: boolean;
  /** the child could not be started (no such program): its message; status is then null */
  error?: string;
}

/** Options of every run. */
export interface ChildOptions extends RuntimeCommandOptions {
  /** variables on top of the base environment ("" removes one) */
  env?: Readonly<Record<string, string>>;
  /** start from this process's environment unfiltered (default: the controlled environment) */
  inherit?: boolean;
  /** start from exactly this environment, unfiltered (a test's hand-made environment) */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** kill the child after this long (default 60 s; 0: never) */
  timeoutMs?: number;
  /** the signal of a timeout (default SIGKILL) */
  killSignal?: NodeJS.Signals;
  /** sync runs: the most output kept per stream (default 64 MiB) */
  maxBuffer?: number;
  /** text written to the child's stdin (default: no stdin) */
  input?: string;
  /** how output bytes are decoded (default utf8) */
  encoding?: BufferEncoding;
  /** sync runs: "inherit" shows the child's stdout and stderr as they come (the outcome's are then "") */
  output?: "pipe" | "inherit";
}

/** The environment a child gets (module doc). */
export function childEnv(
  opts: Pick<ChildOptions, "env" | "inherit" | "baseEnv"> = {},
): Record<string, string> {
  if (!opts.inherit && !opts.baseEnv) return controlledEnv(opts.env ?? {});
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv ?? process.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  env.NO_COLOR = "1";
  return env;
}

/** Runs `cmd args` to its end (synchronously); see {@link ChildOptions}. */
export function runProgram(cmd: string, args: readonly string[], opts: ChildOptions = {}): ChildOutcome {
  const timeout = opts.timeoutMs ?? 60_000;
  const r = spawnSync(cmd, args, {
    encoding: opts.encoding ?? "utf8",
    env: forSpawnSync(childEnv(opts)),
    cwd: opts.cwd,
    timeout: timeout > 0 ? timeout : undefined,
    killSignal: opts.killSignal ?? "SIGKILL",
    maxBuffer: opts.maxBuffer ?? 64 << 20,
    input: opts.input,
    stdio: [opts.input === undefined ? "ignore" : "pipe", opts.output ?? "pipe", opts.output ?? "pipe"],
  });
  const err = r.error as NodeJS.ErrnoException | undefined;
  const timedOut = err?.code === "ETIMEDOUT";
  return {
    status: r.status,
    signal: r.signal ?? null,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    timedOut,
    ...(err && !timedOut ? { error: err.message } : {}),
  };
}

/** Runs a TypeScript file in a fresh process of the current runtime (or `opts.runtime`), synchronously. */
export function runScript(
  script: string,
  args: readonly string[] = [],
  opts: ChildOptions = {},
): ChildOutcome {
  const c = runtimeCommand(script, args, opts);
  return runProgram(c.cmd, c.args, opts);
}

/** Options of the asynchronous runs. */
export interface AsyncChildOptions extends ChildOptions {
  /** called with the child once started (e.g. to track it for a clean shutdown) */
  onSpawn?: (child: ChildProcess) => void;
}

/** Starts `cmd args` and resolves with its outcome; see {@link ChildOptions} and the module doc. */
export function runProgramAsync(
  cmd: string,
  args: readonly string[],
  opts: AsyncChildOptions = {},
): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], {
      env: childEnv(opts),
      cwd: opts.cwd,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    opts.onSpawn?.(child);
    const enc = opts.encoding ?? "utf8";
    const out: Buffer[] = [], err: Buffer[] = [];
    let timedOut = false, done = false, error: string | undefined;
    child.stdout!.on("data", (d: Buffer) => out.push(d));
    child.stderr!.on("data", (d: Buffer) => err.push(d));
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => {/* the child did not read it all */});
      child.stdin!.end(opts.input);
    }
    const timeout = opts.timeoutMs ?? 60_000;
    const timer = timeout > 0
      ? setTimeout(() => {
        timedOut = true;
        child.kill(opts.killSignal ?? "SIGKILL");
      }, timeout)
      : undefined;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (status: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(out).toString(enc),
        stderr: Buffer.concat(err).toString(enc),
        timedOut,
        ...(error ? { error } : {}),
      });
    };
    child.on("error", (e) => {
      error = e.message;
      finish(null, null);
    });
    child.on("exit", (status, signal) => {
      // a grandchild holding stdout/stderr open must not keep us waiting for "close"
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(status, signal);
      }, 2000);
    });
    child.on("close", (status, signal) => finish(status, signal));
  });
}

/** Runs a TypeScript file in a fresh process of the current runtime (or `opts.runtime`), asynchronously. */
export function runScriptAsync(
  script: string,
  args: readonly string[] = [],
  opts: AsyncChildOptions = {},
): Promise<ChildOutcome> {
  const c = runtimeCommand(script, args, opts);
  return runProgramAsync(c.cmd, c.args, opts);
}

/**
 * Starts a TypeScript file in the current runtime and returns the child as is (a long-lived worker that
 * the caller talks to, e.g. over an extra pipe in `stdio`); the environment follows the module doc.
 */
export function spawnScript(
  script: string,
  args: readonly string[],
  opts: Pick<ChildOptions, "env" | "inherit" | "baseEnv" | "cwd" | "runtime" | "exposeGc"> & {
    stdio?: StdioOptions;
  } = {},
): ChildProcess {
  const c = runtimeCommand(script, args, opts);
  return spawn(c.cmd, c.args, { env: childEnv(opts), cwd: opts.cwd, stdio: opts.stdio ?? "pipe" });
}

/** Drops what the runtime appends after the program's own stderr (Bun's crash banner). */
export function programStderr(stderr: string): string {
  const i = stderr.search(/^=+\nBun v\d|^panic\(main thread\)/m);
  return i < 0 ? stderr : stderr.slice(0, i);
}
