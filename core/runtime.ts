/**
 * Which JS runtime runs us, where the other one is, and the command line that runs a TypeScript file in
 * a fresh process of a runtime. Every child script allocspec starts is started through
 * {@link runtimeCommand} (usually by way of `core/child.ts`), so the flags are the same everywhere:
 *
 * - Deno: `deno run -A --quiet SCRIPT ARGS` (`--quiet`: no "Check"/"Download" lines on the child's
 *   stderr, which callers match with regular expressions; Deno 2 does not type-check on `run`);
 *   `exposeGc` adds `--v8-flags=--expose-gc` (the benchmarks).
 * - Bun: `bun SCRIPT ARGS` (Bun has `Bun.gc()`; `exposeGc` changes nothing).
 *
 * The project pins both runtimes as npm devDependencies: Bun's binary is node_modules/bun/bin/bun.exe,
 * Deno's is node_modules/@deno/<platform>/deno (node_modules/.bin/deno is a JS launcher, see
 * tools/link_deno.cjs, so the binary is used directly). The current runtime is always `process.execPath`.
 *
 * @example
 * ```ts
 * import { currentRuntime, runtimeCommand } from "./runtime.ts";
 * const { cmd, args } = runtimeCommand("bench/main.ts", ["--quick"]);
 * console.log(currentRuntime(), cmd, args);
 * ```
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The two runtimes allocspec runs on. */
export type RuntimeName = "deno" | "bun";

/** The project root (the folder above core/), where node_modules pins both runtimes. */
export const PROJECT_ROOT: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** True under Bun. */
export function isBun(): boolean {
  return (globalThis as { Bun?: unknown }).Bun !== undefined;
}

/** The runtime executing this code. */
export function currentRuntime(): RuntimeName {
  return isBun() ? "bun" : "deno";
}

/** The runtime that is not `r`. */
export function otherRuntime(r: RuntimeName = currentRuntime()): RuntimeName {
  return r === "bun" ? "deno" : "bun";
}

/** Version string of the current runtime. */
export function runtimeVersion(): string {
  const g = globalThis as any;
  return g.Bun ? g.Bun.version : g.Deno?.version?.deno ?? "unknown";
}

/** Absolute path of a runtime's executable (this process's own; else the pinned one from node_modules, else PATH). */
export function runtimeExecutable(r: RuntimeName = currentRuntime(), root: string = PROJECT_ROOT): string {
  if (r === currentRuntime()) return process.execPath;
  if (r === "bun") {
    const p = join(root, "node_modules", "bun", "bin", "bun.exe");
    return existsSync(p) ? p : "bun";
  }
  const scope = join(root, "node_modules", "@deno");
  if (existsSync(scope)) {
    for (const d of readdirSync(scope)) {
      const p = join(scope, d, "deno");
      if (existsSync(p)) return p;
    }
  }
  return "deno";
}

/** Options of {@link runtimeCommand}. */
export interface RuntimeCommandOptions {
  /** the runtime to start (default: the current one) */
  runtime?: RuntimeName;
  /** Deno: `--v8-flags=--expose-gc` (the benchmarks' explicit GC) */
  exposeGc?: boolean;
  /** where node_modules pins the runtimes (default: this project) */
  root?: string;
}

/** The command and arguments that run `script args...` in a fresh process of a runtime (module doc). */
export function runtimeCommand(
  script: string,
  args: readonly string[] = [],
  opts: RuntimeCommandOptions = {},
): { cmd: string; args: string[] } {
  const r = opts.runtime ?? currentRuntime();
  const cmd = runtimeExecutable(r, opts.root);
  if (r === "bun") return { cmd, args: [script, ...args] };
  return {
    cmd,
    args: ["run", "-A", "--quiet", ...(opts.exposeGc ? ["--v8-flags=--expose-gc"] : []), script, ...args],
  };
}

/** High-resolution clock in ns (Bun.nanoseconds or performance.now). */
export const nowNs: () => number = (globalThis as any).Bun
  ? () => (globalThis as any).Bun.nanoseconds()
  : () => performance.now() * 1e6;
