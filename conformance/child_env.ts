/**
 * The controlled environment of every process the runner starts (workers, death children, probes).
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
 * @example
 * ```ts
 * import { controlledEnv } from "./child_env.ts";
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
