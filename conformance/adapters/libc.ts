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
 * jemalloc uses initial-exec TLS, so `dlopen` fails with "cannot allocate memory in static TLS block"
 * unless the process starts with `GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536`
 * (third-party-allocators.md). The factory then probes the symbols in a child started with that
 * tunable, and every worker gets it through `childEnv`. If loading still fails the message says so.
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
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type AdapterFactory, type Capability, UsageError } from "../adapter.ts";
import { cErrno } from "../errno.ts";
import { NativeSession } from "./native.ts";
import { symbolAddress } from "../../native/mod.ts";
import { type Profile, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ, PYMEM_DOMAIN_RAW } from "../../ref/types.ts";

/** The glibc tunable that lets initial-exec-TLS libraries (jemalloc) be dlopen'ed. */
export const STATIC_TLS_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: "glibc.rtld.optional_static_tls=65536",
};

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

const isTlsError = (m: string) => /static TLS/i.test(m);

/**
 * Addresses of `names` in `lib` (0 when missing). Loads the library in this process; when that fails
 * because of static TLS, asks a child started with {@link STATIC_TLS_ENV} instead and reports
 * `needsTls`. Throws UsageError (one line) when the library cannot be loaded at all.
 */
export function probeSymbols(
  kind: string,
  lib: string,
  names: readonly string[],
): { addresses: number[]; needsTls: boolean } {
  try {
    return { addresses: addressesOf(lib, names), needsTls: false };
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0];
    if (!isTlsError(msg) || process.env.GLIBC_TUNABLES?.includes("optional_static_tls")) {
      throw new UsageError(`${kind} target: ${msg}`);
    }
  }
  const self = fileURLToPath(import.meta.url);
  const argv = (globalThis as any).Bun
    ? [self, "--probe", lib, ...names]
    : ["run", "-A", self, "--probe", lib, ...names];
  const r = spawnSync(process.execPath, argv, {
    encoding: "utf8",
    env: { ...process.env, ...STATIC_TLS_ENV, NO_COLOR: "1" },
  });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("[")) {
    const why = (r.stderr || line || `exit ${r.status}`).trim().split("\n").find((l) => l.trim() !== "");
    throw new UsageError(
      `${kind} target: cannot load ${lib} even with GLIBC_TUNABLES=${STATIC_TLS_ENV.GLIBC_TUNABLES} (static TLS): ${why}; try LD_PRELOAD=${lib}`,
    );
  }
  return { addresses: JSON.parse(line) as number[], needsTls: true };
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

/** A `libc:` target argument resolved and checked: what the adapter and the launcher (clients/) load. */
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
 * Parses `PATH[:PREFIX]`, loads the library and checks its four functions: one-line UsageErrors for a
 * missing library or symbol (shared by {@link libcFactory} and the launcher, clients/launcher.ts).
 */
export function resolveLibcTarget(arg: string | undefined): LibcTarget {
  const { lib, prefix } = parseLibcArg(arg);
  const names = ["malloc", "calloc", "realloc", "free"].map((f) => prefix + f);
  const { addresses, needsTls } = probeSymbols("libc", lib, names);
  const missing = names.filter((_, i) => addresses[i] === 0);
  if (missing.length) {
    throw new UsageError(
      `libc target: ${lib} does not export ${missing.join(", ")}${
        prefix ? ` (is '${prefix}' the right prefix?)` : " (pass the prefix: libc:LIB:PREFIX)"
      }`,
    );
  }
  return { lib, prefix, names, env: needsTls ? { ...STATIC_TLS_ENV } : undefined };
}

/** Builds the `libc` adapter. */
export const libcFactory: AdapterFactory = (arg) => {
  const { lib, prefix, names, env } = resolveLibcTarget(arg);
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
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    cEntryPoints: () => session.cEntryPoints(),
    get errno() {
      return cErrno();
    },
  };
};

if (import.meta.main && process.argv[2] === "--probe") {
  const [lib, ...names] = process.argv.slice(3);
  try {
    console.log(JSON.stringify(addressesOf(lib, names)));
  } catch (e) {
    console.error((e as Error).message.split("\n")[0]);
    process.exit(1);
  }
}
