/**
 * The run context recorded in the JSON report: machine, runtimes, Python, compilers and the
 * versions of the allocator libraries compared.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { currentRuntime, otherRuntime, runtimeExecutable, runtimeVersion } from "../core/runtime.ts";

function sh(cmd: string, args: string[]): string {
  try {
    const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 10_000 });
    return ((r.stdout ?? "") + (r.stderr ?? "")).trim();
  } catch {
    return "";
  }
}

/** Debian package versions of the third-party allocators (empty string when not installed). */
export function allocatorVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  const pkgs = ["libc6", "libjemalloc2", "libmimalloc2.0", "libtcmalloc-minimal4"];
  const txt = sh("dpkg-query", ["-W", "-f", "${Package} ${Version}\\n", ...pkgs]);
  for (const line of txt.split("\n")) {
    const [p, v] = line.split(" ");
    if (p && v && pkgs.includes(p)) out[p] = v;
  }
  return out;
}

/**
 * Collect the context (takes ~100 ms: a few child processes).
 *
 * @example
 * ```ts
 * import { runContext } from "./context.ts";
 * const root = new URL("..", import.meta.url).pathname; // the project root
 * const ctx = runContext(root, "python3");
 * console.log(ctx.runtime, ctx.cpu);
 * ```
 */
export function runContext(root: string, python: string): Record<string, unknown> {
  const rt = currentRuntime();
  const other = otherRuntime(rt);
  const otherVersion = sh(runtimeExecutable(other, root), ["--version"]).split("\n")[0];
  let mitata = "";
  try {
    mitata = JSON.parse(readFileSync(join(root, "node_modules", "mitata", "package.json"), "utf8")).version;
  } catch { /* not installed */ }
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    kernel: release(),
    runtime: rt,
    runtimes: { [rt]: runtimeVersion(), [other]: otherVersion.replace(/^(deno|bun)\s*/i, "") },
    python: sh(python, ["-c", "import sys; print(sys.version.split()[0], sys.executable)"]),
    cc: sh("cc", ["--version"]).split("\n")[0],
    glibc: sh("getconf", ["GNU_LIBC_VERSION"]),
    allocators: allocatorVersions(),
    mitata,
    git: sh("git", ["-C", root, "rev-parse", "--short", "HEAD"]),
  };
}
