/**
 * Versions for a report header: allocspec (package.json), the runtime (Deno or Bun), the platform.
 *
 * @example
 * ```ts
 * import { runtimeVersions } from "./versions.ts";
 * runtimeVersions().allocspec; // "0.1.0"
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import process from "node:process";

/** allocspec's version from the package.json beside this folder. */
export function allocspecVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return String(pkg.version);
  } catch {
    return "unknown";
  }
}

/** name -> version of allocspec, the runtime and the OS. */
export function runtimeVersions(): Record<string, string> {
  const g = globalThis as any;
  const runtime = g.Bun
    ? `Bun ${g.Bun.version}`
    : g.Deno
    ? `Deno ${g.Deno.version.deno}`
    : `Node ${process.version}`;
  return {
    allocspec: allocspecVersion(),
    runtime,
    platform: `${os.type()} ${os.release()} ${process.arch}`,
  };
}
