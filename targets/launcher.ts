/**
 * The one launcher, TypeScript side: `launchSpec(opts)` turns a target (`--target`, kinds.ts) into the
 * executable and environment that run the machine's real CPython on it (`allocspec-python`, C in
 * targets/launcher/, contract in targets/launcher/CONTRACT.md), and `buildLauncher` builds that executable
 * through core/cbuild.ts.
 *
 * A target reaches the launcher as its kind's resolved launcher form (kinds.ts `launchForm`: the library
 * probed, the symbol checked, the static-TLS environment for jemalloc; one-line UsageErrors, exit 2),
 * encoded as `ALLOCSPEC_ALLOCATOR=FORM:FIELDS` from the one list the C parser uses (launcher/forms.h):
 *
 * | `--target` | what runs Python's RAW, MEM and OBJ domains |
 * | --- | --- |
 * | `cpython[:LIBPYTHON]` | CPython's own allocators (the baseline); the arg picks the libpython |
 * | `native[:GEOMETRY]` | liballocspec's raw + pymalloc; GEOMETRY `cpython310` (default) or `pep445` |
 * | `vtable:PATH[:SYMBOL]` | a `PyMemAllocatorEx` data symbol (default `pep445_allocator`) |
 * | `libc:PATH[:PREFIX]` | PREFIX + malloc, calloc, realloc, free (glibc, jemalloc, mimalloc `mi_`, tcmalloc `tc_`) |
 *
 * @example
 * ```ts
 * import { spawnSync } from "node:child_process";
 * import { launchSpec } from "./launcher.ts";
 * const { exe, env, argvPrefix } = launchSpec({ target: "native", debugHooks: "cpython" });
 * spawnSync(exe, [...argvPrefix, "-c", "print('hi')"], { env, stdio: "inherit" });
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildProgram, sourcesOf, type Variant } from "../core/cbuild.ts";
import { withStaticTls } from "../core/env.ts";
import { resolveLibpython } from "../core/python.ts";
import { UsageError } from "../core/usage.ts";
import { buildNative, libraryInputs, libraryPath } from "../native/build.ts";
import type { DebugHooks } from "./flags.ts";
import type { LaunchForm } from "./kind.ts";
import { launchForm } from "./kinds.ts";
import { encodeLaunchForm } from "./launcher_forms.ts";

export type { DebugHooks };

/**
 * The checking layer (debug/check/check.h) as the launcher installs it: directly above the allocator,
 * below any debug hooks, from pre-initialisation on. `library` is libas_check.so (debug/check/launch.ts
 * `checkLayerOptions` builds it: targets/ does not build debug/'s C).
 */
export interface CheckOptions {
  /** absolute path of libas_check.so */
  library: string;
  /** `stop` (default): the first violation ends the program (exit 86); `count`: report all and go on */
  mode?: "stop" | "count";
  /** `weak` (default): min(16, largest power of two <= size); `strong`: 16 for every size */
  align?: "weak" | "strong";
  /** a file for one JSON line per violation (`%p` is replaced by the pid) */
  report?: string;
  /** the command that reruns this program, without Python's arguments (default: the `python` command) */
  repro?: string;
}

/** The env variables of the checking layer (removed from an inherited environment when the layer is off). */
export const CHECK_ENV_PREFIX = "ALLOCSPEC_CHECK";

/**
 * How the user runs another command of this tool: `npx allocspec CMD` from the installed package
 * (ALLOCSPEC_COMMAND is set by cli/allocspec.cjs), otherwise the repository's entry point of this runtime.
 *
 * @example
 * ```ts
 * import { userCommand } from "./launcher.ts";
 * userCommand("conformance"); // "npx deno task conformance" under Deno in the repository
 * ```
 */
export function userCommand(cmd: string): string {
  if (process.env.ALLOCSPEC_COMMAND) return `npx allocspec ${cmd}`;
  return (globalThis as { Bun?: unknown }).Bun ? `npx bun run ${cmd}` : `npx deno task ${cmd}`;
}

/** One shell word: as is when safe, else in single quotes (an embedded quote closed, escaped, reopened). */
function shellQuote(a: string): string {
  if (/^[\w@%+=:,./-]+$/.test(a)) return a;
  return "'" + a.split("'").join("'\\''") + "'";
}

/** What {@link launchSpec} needs. */
export interface LaunchOptions {
  /** target spec, e.g. `native`, `native:pep445`, `libc:libjemalloc.so.2`, `vtable:./lib.so` (default `cpython`) */
  target?: string;
  /** debug hooks over the allocator (default none) */
  debugHooks?: DebugHooks;
  /** layer libraries (CONTRACT.md "Layers"), in order */
  layers?: string[];
  /** a python3 executable (its libpython is found by sysconfig) or a libpython .so path */
  python?: string;
  /** build variant of the launcher and liballocspec (default release) */
  variant?: Variant;
  /** base environment (default process.env) */
  env?: Record<string, string | undefined>;
  /** the checking layer directly above the allocator (default off) */
  check?: CheckOptions;
}

/** What runs Python on the allocator: `spawn(exe, [...argvPrefix, ...pythonArgs], { env })`. */
export interface LaunchSpec {
  exe: string;
  env: Record<string, string>;
  argvPrefix: string[];
  /** the resolved ALLOCSPEC_ALLOCATOR (e.g. `libc:libc.so.6:`) */
  allocator: string;
  /** the libpython that runs */
  libpython: string;
}

const LAUNCHER_SRC = fileURLToPath(new URL("./launcher/", import.meta.url));

/**
 * The path of the launcher executable for a variant: beside that variant's liballocspec.so, which it loads.
 *
 * @example
 * ```ts
 * import { launcherPath } from "./launcher.ts";
 * launcherPath("release"); // ".../native/build/release/allocspec-python"
 * ```
 */
export function launcherPath(variant: Variant = "release"): string {
  return join(dirname(libraryPath(variant)), "allocspec-python");
}

/**
 * Builds `allocspec-python` (and the library it loads) for a variant if missing or stale, and returns its
 * path (core/cbuild.ts: the project's flags, atomic, rebuilt when a launcher source or header is newer).
 *
 * @example
 * ```ts
 * import { buildLauncher } from "./launcher.ts";
 * const exe = buildLauncher(); // release
 * ```
 */
export function buildLauncher(opts: { variant?: Variant; force?: boolean; quiet?: boolean } = {}): string {
  const variant = opts.variant ?? "release";
  const lib = buildNative(opts);
  return buildProgram({
    sources: sourcesOf(LAUNCHER_SRC, [".c"]),
    inputs: [...sourcesOf(LAUNCHER_SRC, [".h"]), ...libraryInputs(), lib],
    output: launcherPath(variant),
    variant,
    flags: ["-ldl"],
    force: opts.force,
    quiet: opts.quiet ?? true,
  });
}

/**
 * Resolves a target into `ALLOCSPEC_ALLOCATOR` through its kind's descriptor (kinds.ts: the launcher form,
 * resolved and checked), plus the environment the library needs and the libpython or variant it asks for.
 */
export function resolveAllocator(spec: string): LaunchForm & { allocator: string } {
  const f = launchForm(spec);
  return { ...f, allocator: encodeLaunchForm(f) };
}

/**
 * The executable, environment and argv prefix that run CPython on `opts.target` (builds the launcher
 * when stale). Throws {@link UsageError} (one line, exit 2) for an unknown target, a missing library
 * or symbol, or no python3 with a shared libpython.
 */
export function launchSpec(opts: LaunchOptions = {}): LaunchSpec {
  const base = opts.env ?? process.env;
  const hooks = opts.debugHooks ?? "";
  if (!["", "native", "cpython"].includes(hooks)) {
    throw new UsageError(`unknown debug hooks '${hooks}': use native or cpython`);
  }
  const r = resolveAllocator(opts.target ?? "cpython");
  const libpython = resolveLibpython(r.libpython ?? opts.python, {
    env: base,
    hint: "--python /path/to/libpython3.X.so",
  });
  for (const l of opts.layers ?? []) {
    if (!existsSync(l)) throw new UsageError(`layer ${l} not found`);
  }
  const exe = buildLauncher({ variant: r.variant ?? opts.variant ?? "release" });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== undefined && k !== "PYTHONMALLOC" && !k.startsWith(CHECK_ENV_PREFIX)) env[k] = v;
  }
  Object.assign(env, r.env ?? {}, {
    ALLOCSPEC_LIBPYTHON: libpython,
    ALLOCSPEC_ALLOCATOR: r.allocator,
    ALLOCSPEC_DEBUG_HOOKS: hooks,
    ALLOCSPEC_LAYERS: (opts.layers ?? []).map((l) => resolve(l)).join(","),
  });
  // a user's program: their own glibc tunables stay, the static-TLS one is added (core/env.ts)
  if (r.env?.GLIBC_TUNABLES) env.GLIBC_TUNABLES = withStaticTls(base.GLIBC_TUNABLES);
  if (opts.check) Object.assign(env, checkEnv(opts.check, opts.target ?? "cpython", hooks));
  return { exe, env, argvPrefix: [], allocator: r.allocator, libpython };
}

/** ALLOCSPEC_CHECK_* (check.h "Environment") for {@link launchSpec}. */
function checkEnv(c: CheckOptions, target: string, hooks: string): Record<string, string> {
  if (c.mode && c.mode !== "stop" && c.mode !== "count") {
    throw new UsageError(`check mode '${c.mode}': use stop or count`);
  }
  if (c.align && c.align !== "weak" && c.align !== "strong") {
    throw new UsageError(`check alignment '${c.align}': use weak or strong`);
  }
  if (!existsSync(c.library)) {
    throw new UsageError(`checking layer ${c.library} not found (build: deno task build:native)`);
  }
  const env: Record<string, string> = {
    ALLOCSPEC_CHECK: "1",
    ALLOCSPEC_CHECK_LIB: resolve(c.library),
    ALLOCSPEC_CHECK_TARGET: target,
    ALLOCSPEC_CHECK_MODE: c.mode ?? "stop",
    ALLOCSPEC_CHECK_ALIGN: c.align ?? "weak",
    ALLOCSPEC_CHECK_CONFORMANCE: userCommand("conformance"),
    ALLOCSPEC_CHECK_REPRO: c.repro ??
      `${userCommand("python")} --target ${shellQuote(target)}${
        hooks ? ` --debug-hooks=${hooks}` : ""
      } --check${c.mode === "count" ? "=count" : ""} --`,
  };
  if (c.report) env.ALLOCSPEC_CHECK_REPORT = c.report;
  return env;
}
