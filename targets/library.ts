/**
 * A target's library argument: `PATH[:TAIL]` split where TAIL looks like an identifier (a symbol or a
 * prefix), a path with a slash made absolute and checked, a bare soname left to the dynamic loader (as a
 * user's machine finds it), and the symbols of a library learned in a probe child (probe.ts).
 *
 * @example
 * ```ts
 * import { splitPathArg } from "./library.ts";
 * splitPathArg("libmimalloc.so.2:mi_", /^\w*$/); // { path: "libmimalloc.so.2", tail: "mi_" }
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../core/usage.ts";
import { probeLibrary, type ProbeReport } from "./probe.ts";

/** Splits `PATH[:TAIL]` when TAIL looks like an identifier prefix (or is empty); else the whole is the path. */
export function splitPathArg(arg: string, tail: RegExp): { path: string; tail: string | undefined } {
  const i = arg.lastIndexOf(":");
  if (i > 0 && tail.test(arg.slice(i + 1)) && !existsSync(arg)) {
    return { path: arg.slice(0, i), tail: arg.slice(i + 1) };
  }
  return { path: arg, tail: undefined };
}

/** A path with a slash must exist (made absolute); a bare soname is left to the dynamic loader. */
export function resolveLibrary(kind: string, path: string): string {
  if (!path.includes("/")) return path;
  const p = resolve(path);
  if (!existsSync(p)) throw new UsageError(`${kind} target: library ${path} not found`);
  return p;
}

/**
 * Addresses of `names` in `lib` (0 when missing), learned in a probe child with a timeout (probe.ts);
 * `needsTls` when the library loads only with the static-TLS tunable. Throws UsageError (one line) when
 * the library cannot be loaded, or kills or hangs the probe.
 */
export function probeSymbols(
  kind: string,
  lib: string,
  names: readonly string[],
  timeoutMs?: number,
): { addresses: number[]; needsTls: boolean; report: ProbeReport } {
  const { report, needsTls } = probeLibrary(kind, lib, { names }, timeoutMs);
  return { addresses: report.addresses, needsTls, report };
}
