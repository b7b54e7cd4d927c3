/**
 * The `libc:PATH[:PREFIX]` conformance target: a malloc-family library (PREFIX + malloc, calloc,
 * realloc, free) wrapped as a PEP 445 vtable by the native library (`libcAllocator`, contracts §3/§5:
 * ctx = the four function pointers, no JS on the path) and installed in all three domains, so the
 * suite checks the library's own semantics through the PyMem/PyObject entry points.
 *
 * Examples: `libc:libc.so.6` (glibc), `libc:libjemalloc.so.2`, `libc:libmimalloc.so.2:mi_`,
 * `libc:libtcmalloc_minimal.so.4:tc_`. A bare soname is found by the dynamic loader; a path with a
 * slash must exist.
 *
 * The runner never loads the library itself: the factory probes it in a child with a timeout (probe.ts),
 * and refuses (one usage line) a library that does not DEFINE the four functions: `dlsym` also finds
 * them in its dependencies (`libc:./libgood.so`, `libc:libpython3.11.so.1.0` would silently test glibc),
 * so `dladdr` must place each one in the named library.
 *
 * jemalloc uses initial-exec TLS, so `dlopen` fails with "cannot allocate memory in static TLS block"
 * unless the process starts with `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=262144`
 * (third-party-allocators.md). The probe is then repeated with that tunable, and every worker gets it
 * through `childEnv`. If loading still fails the message says so.
 *
 * The real deviations of these libraries from PEP 445 are FAILs, not gaps ({@link KNOWN_DEVIATIONS}).
 *
 * @example
 * ```ts
 * import { libcFactory } from "./libc.ts";
 * const a = libcFactory("libmimalloc.so.2:mi_", { abi: "shipped" });
 * const py = a.open("cpython");
 * py.PyMem_RawFree(py.PyMem_RawMalloc(0));
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type AdapterFactory, type Capability } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { cErrno } from "../errno.ts";
import { NativeSession } from "./native.ts";
import { definedElsewhere, probeLibrary, type ProbeReport } from "./probe.ts";
import { STATIC_TLS_ENV } from "../../core/env.ts";
import { symbolAddress } from "../../native/mod.ts";
import { type Profile, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ, PYMEM_DOMAIN_RAW } from "../../ref/types.ts";

/** Capabilities of a third-party allocator installed in the native library's three domains. */
export const VTABLE_CAPABILITIES: readonly Capability[] = [
  "api-shipped",
  "api-2013",
  "calloc",
  "debug-hooks",
  "gil",
  "threads",
  "death",
  "errno",
];

/**
 * The cases each allocator FAILs on this machine (Debian 12: glibc 2.36, jemalloc 5.3.0, mimalloc 2.0.9,
 * gperftools 2.10), keyed by target argument, with the message that explains each FAIL (a regex
 * source). Measured with `npx deno task conformance --target libc:<key>` (both profiles, all domains)
 * and consistent with third-party-allocators.md:
 * - realloc(p, 0) returns NULL and frees p (glibc, jemalloc, tcmalloc), where PEP 445 wants a distinct
 *   non-NULL block ("as if realloc(p, 1)");
 * - malloc(0..8) is only 8-byte aligned (jemalloc, mimalloc, tcmalloc): FAIL of the "16 for every size"
 *   rule (CPython 3.8+ on 64-bit), PASS of the weak rule min(16, largest power of two <= size).
 * libc_test.ts asserts that the FAIL set is exactly this, per allocator.
 */
export const KNOWN_DEVIATIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "libc.so.6": {
    "zero_size/realloc_to_zero_non_null": String.raw`^realloc\(p, 0\) returned NULL`,
  },
  "libjemalloc.so.2": {
    "zero_size/realloc_to_zero_non_null": String.raw`^realloc\(p, 0\) returned NULL`,
    "alignment/sixteen_for_every_size": String
      .raw`^malloc\([0-8]\) returned 0x[0-9a-f]+, not 16-byte aligned`,
  },
  "libmimalloc.so.2:mi_": {
    "alignment/sixteen_for_every_size": String
      .raw`^malloc\([0-8]\) returned 0x[0-9a-f]+, not 16-byte aligned`,
  },
  "libtcmalloc_minimal.so.4:tc_": {
    "zero_size/realloc_to_zero_non_null": String.raw`^realloc\(p, 0\) returned NULL`,
    "alignment/sixteen_for_every_size": String
      .raw`^malloc\([0-8]\) returned 0x[0-9a-f]+, not 16-byte aligned`,
  },
};

/**
 * The informational (C/POSIX) cases each allocator FAILs on this machine: reported, never failing a run
 * (third-party-allocators.md: calloc(SIZE_MAX/2+1, 2) leaves errno unset in mimalloc and tcmalloc).
 */
export const KNOWN_INFORMATIONAL: Readonly<Record<string, readonly string[]>> = {
  "libc.so.6": [],
  "libjemalloc.so.2": [],
  "libmimalloc.so.2:mi_": ["posix/calloc_overflow_sets_enomem"],
  "libtcmalloc_minimal.so.4:tc_": ["posix/calloc_overflow_sets_enomem"],
};

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
 * `needsTls` when the library loads only with {@link STATIC_TLS_ENV}. Throws UsageError (one line) when
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

/** Addresses of `names` in `lib`, 0 for a missing symbol; throws when the library cannot be loaded. */
export function addressesOf(lib: string, names: readonly string[]): number[] {
  return names.map((n) => {
    try {
      return symbolAddress(lib, n);
    } catch (e) {
      if (/^symbol '.*' not found/.test((e as Error).message)) return 0;
      throw e;
    }
  });
}

/** Parses `PATH[:PREFIX]`. */
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
  /** environment the library needs to load ({@link STATIC_TLS_ENV} for jemalloc), else undefined */
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

/** Builds the `libc` adapter. */
export const libcFactory: AdapterFactory = (arg, opts) => {
  const { lib, prefix, names, env } = resolveLibcTarget(arg, opts);
  const session = new NativeSession();
  return {
    label: `libc:${arg}`,
    capabilities: new Set(VTABLE_CAPABILITIES),
    profiles: ["cpython", "pep445-2013"] as readonly Profile[],
    open(profile) {
      const py = session.open(profile);
      const [malloc, calloc, realloc, free] = names.map((n) => symbolAddress(lib, n));
      if (!malloc || !calloc || !realloc || !free) throw new Error(`${lib}: ${prefix}malloc & co vanished`);
      const alloc = py.libcAllocator({ malloc, calloc, realloc, free });
      for (const d of [PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ]) py.PyMem_SetAllocator(d, alloc);
      return session.view;
    },
    close: () => session.end(),
    keepsState: true,
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    cEntryPoints: () => session.cEntryPoints(),
    get errno() {
      return cErrno();
    },
  };
};
