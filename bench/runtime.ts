/**
 * Which JS runtime runs us, where the other one is, and how to start it on a script.
 *
 * The project pins both runtimes as npm devDependencies: Bun's binary is
 * node_modules/bun/bin/bun.exe, Deno's is node_modules/@deno/<platform>/deno (node_modules/.bin/deno
 * is a JS launcher, see tools/link_deno.cjs, so we use the binary directly).
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { RuntimeName } from "./scenario.ts";

/** The runtime executing this code. */
export function currentRuntime(): RuntimeName {
  return (globalThis as any).Bun ? "bun" : "deno";
}

export function otherRuntime(r: RuntimeName = currentRuntime()): RuntimeName {
  return r === "bun" ? "deno" : "bun";
}

/** Version string of the current runtime. */
export function runtimeVersion(): string {
  const g = globalThis as any;
  return g.Bun ? g.Bun.version : g.Deno?.version?.deno ?? "unknown";
}

/** Absolute path of a runtime's executable (the pinned one from node_modules, else from PATH). */
export function runtimeExecutable(root: string, r: RuntimeName): string {
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

/** argv to run `script args...` in runtime `r` with everything the benchmarks need. */
export function scriptCommand(
  root: string,
  r: RuntimeName,
  script: string,
  args: string[],
): { cmd: string; argv: string[] } {
  const cmd = runtimeExecutable(root, r);
  if (r === "deno") return { cmd, argv: ["run", "-A", "--v8-flags=--expose-gc", script, ...args] };
  return { cmd, argv: [script, ...args] };
}

/** High-resolution clock in ns (Bun.nanoseconds or performance.now). */
export const nowNs: () => number = (globalThis as any).Bun
  ? () => (globalThis as any).Bun.nanoseconds()
  : () => performance.now() * 1e6;
