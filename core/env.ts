/**
 * The controlled environment of every child allocspec starts to judge a target (conformance workers,
 * death children, library probes, libs harnesses, the finder of libpython), and the one allocator-tunables
 * policy ({@link STATIC_TLS_ENV}).
 *
 * A verdict must not depend on the caller's shell. The runner's own environment is passed on EXCEPT the
 * variables that change how a target allocates, reports or dies, which the target's adapter sets itself
 * when it needs them (`Adapter.childEnv`):
 *
 * - `PYTHON*` (PYTHONMALLOC, PYTHONFAULTHANDLER, PYTHONDEVMODE, PYTHONTRACEMALLOC, PYTHONPATH, ...): an
 *   embedded libpython reads them in `Py_InitializeEx`; faulthandler, dev mode and tracemalloc allocate
 *   and free blocks of their own, also on the fatal-error path (conformance/README.md, "Controlled
 *   environment"). `PYTHONHOME` is kept: it only says where the standard library is, and an installation
 *   that needs it cannot initialise without it.
 * - glibc malloc tuning: `MALLOC_*` (MALLOC_CHECK_, MALLOC_PERTURB_, MALLOC_ARENA_MAX, ...) and
 *   `GLIBC_TUNABLES` (glibc.malloc.*); third-party allocators' own: `MALLOC_CONF`/`JE_MALLOC_CONF`
 *   (jemalloc), `MIMALLOC_*`, `TCMALLOC_*`.
 * - `LD_PRELOAD` (an interposed malloc would replace the target under test) and the sanitizer runtimes'
 *   `ASAN_OPTIONS`, `UBSAN_OPTIONS`, `LSAN_OPTIONS`, `MSAN_OPTIONS`, `TSAN_OPTIONS`.
 *
 * `NO_COLOR=1` is always set (stderr is matched with regular expressions).
 *
 * **Allocator tunables: one policy.** glibc gives libraries loaded by `dlopen` a small surplus of static
 * TLS (512 bytes by default). Two things need more: jemalloc's initial-exec TLS ("cannot allocate memory
 * in static TLS block" when a `libc:`/`vtable:` target or the launcher dlopens it), and hook targets
 * built with constructors, whose every case loads a fresh copy with its own initial-exec TLS (Scalene:
 * 92 bytes per copy, hundreds of cases per worker). Both used to set their own value (65536 for jemalloc,
 * 262144 for hooks); now every child that needs more static TLS gets the same {@link STATIC_TLS_ENV}:
 * 16384 bytes. The surplus is reserved in EVERY thread's stack, so it must stay small: with 262144,
 * threads started with a small stack fail (test_threading's `test_various_ops_small_stack` and 5 others,
 * 256 KiB stacks: "can't start new thread", reported by `clients` as a NEW failure of jemalloc).
 * Measured need (glibc 2.36, Debian's jemalloc 5.3, 2026-12-06): jemalloc's PT_TLS is 2632 bytes; a
 * launcher process with jemalloc and the checking layer loads at 2048 and fails at 1536 ("cannot
 * allocate memory in static TLS block" for libas_check.so), a Deno FFI process fails at 1024; 16384
 * leaves room for a jemalloc built with more TLS and the other layers (faults, leaks: a few hundred bytes
 * each). Hook workers load a fresh copy per case, but one at a time: glibc's dlclose gives back static
 * TLS at the end of the block, so the copies do not add up (Scalene, hook_good_ctor and tracemalloc give
 * the same verdicts at 16384 as at 262144). It is the only `GLIBC_TUNABLES`
 * allocspec sets; the user's own is dropped from controlled children (above) and kept, with this one
 * appended ({@link withStaticTls}), where a user's program runs (the launcher).
 *
 * @example
 * ```ts
 * import { controlledEnv } from "./env.ts";
 * const env = controlledEnv({ PYTHONMALLOC: "debug" });
 * console.log(env.PYTHONMALLOC, env.PYTHONFAULTHANDLER); // "debug" undefined
 * ```
 * @module
 */
import process from "node:process";

/** Names the runner never passes on from its own environment (the adapter may set them). */
export const INTERFERING: readonly RegExp[] = [
  /^PYTHON(?!HOME$)/,
  /^MALLOC_/,
  /^(JE_)?MALLOC_CONF$/,
  /^MIMALLOC_/,
  /^TCMALLOC_/,
  /^GLIBC_TUNABLES$/,
  /^LD_PRELOAD$/,
  /^[A-Z]{1,2}SAN_OPTIONS$/,
];

/** True when `name` is one of the {@link INTERFERING} variables. */
export function isInterfering(name: string): boolean {
  return INTERFERING.some((re) => re.test(name));
}

/**
 * `base` (default: this process's environment) without the {@link INTERFERING} variables, then `extra`
 * on top; an `extra` value of "" removes the variable.
 */
export function controlledEnv(
  extra: Readonly<Record<string, string>> = {},
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !isInterfering(k)) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === "") delete env[k];
    else env[k] = v;
  }
  env.NO_COLOR = "1";
  return env;
}

/**
 * `env` prepared for `spawnSync`: under Deno (2.9), `node:child_process` spawnSync adds the parent's
 * variables that `env` lacks (async `spawn` does not), so every variable of this process that `env`
 * leaves out is passed as "" (unset for CPython, glibc and the sanitizers). Unchanged under Bun.
 */
export function forSpawnSync(env: Record<string, string>): Record<string, string> {
  if (!(globalThis as { Deno?: unknown }).Deno) return env;
  const out = { ...env };
  for (const k of Object.keys(process.env)) if (!(k in out)) out[k] = "";
  return out;
}

/** The one static-TLS tunable (module doc: "Allocator tunables: one policy"). */
export const STATIC_TLS_TUNABLE = "glibc.rtld.optional_static_tls=16384";

/** The environment of a child that may dlopen an initial-exec-TLS library (module doc). */
export const STATIC_TLS_ENV: Readonly<Record<string, string>> = { GLIBC_TUNABLES: STATIC_TLS_TUNABLE };

/**
 * `GLIBC_TUNABLES` with {@link STATIC_TLS_TUNABLE} added to `current` (the user's own tunables, kept; an
 * `optional_static_tls` of theirs is replaced).
 */
export function withStaticTls(current: string | undefined): string {
  const kept = (current ?? "").split(":").filter((t) =>
    t !== "" && !t.startsWith("glibc.rtld.optional_static_tls=")
  );
  return [...kept, STATIC_TLS_TUNABLE].join(":");
}
