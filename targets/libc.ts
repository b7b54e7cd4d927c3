/**
 * The `libc:PATH[:PREFIX]` target's argument: a malloc-family library (PREFIX + malloc, calloc, realloc,
 * free), e.g. `libc:libc.so.6`, `libc:libjemalloc.so.2`, `libc:libmimalloc.so.2:mi_`,
 * `libc:libtcmalloc_minimal.so.4:tc_`. A bare soname is found by the dynamic loader; a path with a slash
 * must exist.
 *
 * Resolution probes the library in a child with a timeout (probe.ts; the caller never loads it itself)
 * and refuses (one usage line) a library that does not DEFINE the four functions: `dlsym` also finds them
 * in its dependencies (`libc:./libgood.so`, `libc:libpython3.11.so.1.0` would silently test glibc), so
 * `dladdr` must place each one in the named library. jemalloc uses initial-exec TLS: its `dlopen` fails
 * with "cannot allocate memory in static TLS block" unless the process starts with the static-TLS tunable
 * (core/env.ts STATIC_TLS_ENV); the probe is then repeated with it, and `env` carries it to the processes
 * that load the library.
 *
 * @example
 * ```ts
 * import { parseLibcArg } from "./libc.ts";
 * parseLibcArg("libmimalloc.so.2:mi_"); // { lib: "libmimalloc.so.2", prefix: "mi_" }
 * ```
 * @module
 */
import { STATIC_TLS_ENV } from "../core/env.ts";
import { UsageError } from "../core/usage.ts";
import { probeSymbols, resolveLibrary, splitPathArg } from "./library.ts";
import { definedElsewhere } from "./probe.ts";

/** Parses `PATH[:PREFIX]` (no probing). */
export function parseLibcArg(arg: string | undefined): { lib: string; prefix: string } {
  if (!arg) {
    throw new UsageError(
      "libc target needs a library: --target libc:libc.so.6, libc:libmimalloc.so.2:mi_, ...",
    );
  }
  const { path, tail } = splitPathArg(arg, /^[A-Za-z_][A-Za-z0-9_]*$|^$/);
  return { lib: resolveLibrary("libc", path), prefix: tail ?? "" };
}

/** A `libc:` target argument resolved and checked. */
export interface LibcTarget {
  /** absolute path, or a bare soname left to the dynamic loader */
  lib: string;
  /** symbol prefix ("" for malloc itself) */
  prefix: string;
  /** PREFIX + malloc, calloc, realloc, free */
  names: string[];
  /** environment the library needs to load (STATIC_TLS_ENV for jemalloc), else undefined */
  env: Record<string, string> | undefined;
}

/**
 * Parses `PATH[:PREFIX]` and, unless `opts.probed` (inside a worker), probes the library in a child
 * (probe.ts): one-line UsageErrors for a library that cannot be loaded, a missing symbol, or functions
 * the library does not define itself.
 */
export function resolveLibcTarget(
  arg: string | undefined,
  opts: { probed?: boolean; probeTimeoutMs?: number } = {},
): LibcTarget {
  const { lib, prefix } = parseLibcArg(arg);
  const names = ["malloc", "calloc", "realloc", "free"].map((f) => prefix + f);
  let env: Record<string, string> | undefined;
  if (!opts.probed) {
    const { addresses, needsTls, report } = probeSymbols("libc", lib, names, opts.probeTimeoutMs);
    const missing = names.filter((_, i) => addresses[i] === 0);
    if (missing.length) {
      throw new UsageError(
        `libc target: ${lib} does not export ${missing.join(", ")}${
          prefix ? ` (is '${prefix}' the right prefix?)` : " (pass the prefix: libc:LIB:PREFIX)"
        }`,
      );
    }
    // dlsym searches the library's dependencies too: refuse to test glibc under another name
    const elsewhere = definedElsewhere(names, report);
    if (elsewhere.length) {
      throw new UsageError(
        `libc target: ${lib} does not define ${elsewhere.map(([n]) => n).join(", ")}: the loader finds ${
          elsewhere[0][0]
        } in ${
          elsewhere[0][1]
        } (a dependency), so the run would test that library; pass the library that defines them${
          prefix ? "" : " (or its prefix: libc:LIB:PREFIX)"
        }`,
      );
    }
    env = needsTls ? { ...STATIC_TLS_ENV } : undefined;
  }
  return { lib, prefix, names, env };
}
