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
 * The argument is resolved by targets/libc.ts (the kind's own file): the runner never loads the library
 * itself, it is probed in a child with a timeout, and a library that does not DEFINE the four functions
 * is refused with one usage line. jemalloc needs the static-TLS tunable (core/env.ts STATIC_TLS_ENV): every
 * worker gets it through `childEnv`.
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
import { type AdapterFactory, type Capability } from "../adapter.ts";
import { cErrno } from "../errno.ts";
import { NativeSession } from "./native.ts";
import { resolveLibcTarget } from "../../targets/libc.ts";
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
    prebuild: (announce) => session.prebuild(announce),
    keepsState: true,
    childEnv: env ? () => env : undefined,
    stressRaw: (threads, rounds, seed) => session.instance.stressRaw(threads, rounds, seed),
    get errno() {
      return cErrno();
    },
  };
};
