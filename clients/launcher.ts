/**
 * The one launcher, TypeScript side: `launchSpec(opts)` turns a target (`--allocator`) into the
 * executable and environment that run the machine's real CPython on that allocator
 * (`allocspec-python`, C in clients/launcher/, contract in clients/launcher/CONTRACT.md).
 *
 * Targets use the one syntax and parser of the suite (`parseTarget`, conformance/adapters/mod.ts), and
 * the vtable:/libc: adapters' own resolution (`resolveVtableTarget`, `resolveLibcTarget`): same one-line
 * errors ({@link UsageError}, exit 2), same static-TLS environment for jemalloc.
 *
 * | `--allocator` | what runs Python's RAW, MEM and OBJ domains |
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
 * const { exe, env, argvPrefix } = launchSpec({ allocator: "native", debugHooks: "cpython" });
 * spawnSync(exe, [...argvPrefix, "-c", "print('hi')"], { env, stdio: "inherit" });
 * ```
 * @module
 */
import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import process from "node:process";
import { UsageError } from "../conformance/adapter.ts";
import { parseTarget } from "../conformance/adapters/mod.ts";
import { findLibpython } from "../conformance/adapters/cpython_lib.ts";
import { resolveLibcTarget } from "../conformance/adapters/libc.ts";
import { resolveVtableTarget } from "../conformance/adapters/vtable.ts";
import { buildLauncher, buildLayer, type Variant } from "../native/build.ts";

/** Which debug hooks go over the allocator: none, liballocspec's, or libpython's `PyMem_SetupDebugHooks()`. */
export type DebugHooks = "" | "native" | "cpython";

/** The checking layer's options (debug/check/check.h; `true` = all defaults). */
export interface CheckOptions {
  /** `stop` (default): the first violation ends the program (exit 86); `count`: report all and go on */
  mode?: "stop" | "count";
  /** `weak` (default): min(16, largest power of two <= size); `strong`: 16 for every size */
  align?: "weak" | "strong";
  /** a file for one JSON line per violation (`%p` is replaced by the pid) */
  report?: string;
  /** the command that reruns this program, without Python's arguments (default: the `python` command) */
  repro?: string;
}

/** The env variables of the checking layer (removed from the environment when the layer is off). */
export const CHECK_ENV_PREFIX = "ALLOCSPEC_CHECK";

/**
 * How the user runs another command of this tool: `npx allocspec CMD` from the installed package
 * (ALLOCSPEC_COMMAND is set by cli/allocspec.cjs), otherwise the repository's entry point of this runtime.
 */
export function userCommand(cmd: string): string {
  if (process.env.ALLOCSPEC_COMMAND) return `npx allocspec ${cmd}`;
  return (globalThis as { Bun?: unknown }).Bun ? `npx bun run ${cmd}` : `npx deno task ${cmd}`;
}

const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** What {@link launchSpec} needs. */
export interface LaunchOptions {
  /** target spec, e.g. `native`, `native:pep445`, `libc:libjemalloc.so.2`, `vtable:./lib.so` (default `cpython`) */
  allocator?: string;
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
  /**
   * the checking layer (debug/check/) directly above the allocator, below the debug hooks, from
   * pre-initialisation on: every call checked against the conformance rules (default off)
   */
  check?: boolean | CheckOptions;
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

/** The target kinds the launcher can install into CPython. */
export const LAUNCHER_KINDS: readonly string[] = ["cpython", "native", "vtable", "libc"];
/** native geometries (allocspec_reset). */
export const GEOMETRIES: readonly string[] = ["cpython310", "pep445"];

const libpythonCache = new Map<string, string>();

/** The shared libpython for `python` (a .so path, or an interpreter asked through sysconfig). */
export function resolveLibpython(
  python: string | undefined,
  env: Record<string, string | undefined>,
): string {
  if (!python && env.ALLOCSPEC_LIBPYTHON) return env.ALLOCSPEC_LIBPYTHON;
  const p = python ?? "python3";
  if (/\.so(\.|$)/.test(basename(p))) {
    if (!existsSync(p)) throw new UsageError(`libpython ${p} not found: pass an existing libpython3.X.so`);
    return resolve(p);
  }
  const hit = libpythonCache.get(p);
  if (hit) return hit;
  try {
    const found = findLibpython(p).path;
    libpythonCache.set(p, found);
    return found;
  } catch (e) {
    throw new UsageError((e as Error).message.replace("--target cpython:", "--python "));
  }
}

/** Resolves a target into ALLOCSPEC_ALLOCATOR (+ environment the library needs, + libpython override). */
export function resolveAllocator(
  spec: string,
): { allocator: string; env: Record<string, string> | undefined; libpython?: string } {
  const { kind, arg } = parseTarget(spec);
  switch (kind) {
    case "cpython":
      return { allocator: "cpython", env: undefined, libpython: arg || undefined };
    case "native": {
      const g = arg || "cpython310";
      if (!GEOMETRIES.includes(g)) {
        throw new UsageError(
          `native allocator: unknown geometry '${g}': use native, native:cpython310 or native:pep445 (the build variant is --variant)`,
        );
      }
      return { allocator: `native:${g}`, env: undefined };
    }
    case "vtable": {
      const t = resolveVtableTarget(arg);
      if (t.layer) {
        throw new UsageError(`vtable allocator: layer '@${t.layer}' is not available in the launcher`);
      }
      return { allocator: `vtable:${t.lib}:${t.symbol}`, env: t.env };
    }
    case "libc": {
      const t = resolveLibcTarget(arg);
      return { allocator: `libc:${t.lib}:${t.prefix}`, env: t.env };
    }
    default:
      throw new UsageError(
        `cannot run CPython on allocator '${spec}': use ${
          LAUNCHER_KINDS.join(", ")
        } (e.g. --allocator libc:libjemalloc.so.2)`,
      );
  }
}

/**
 * The executable, environment and argv prefix that run CPython on `opts.allocator` (builds the launcher
 * when stale). Throws {@link UsageError} (one line, exit 2) for an unknown allocator, a missing library
 * or symbol, or no python3 with a shared libpython.
 */
export function launchSpec(opts: LaunchOptions = {}): LaunchSpec {
  const base = opts.env ?? process.env;
  const hooks = opts.debugHooks ?? "";
  if (!["", "native", "cpython"].includes(hooks)) {
    throw new UsageError(`unknown debug hooks '${hooks}': use native or cpython`);
  }
  const r = resolveAllocator(opts.allocator ?? "cpython");
  const libpython = resolveLibpython(r.libpython ?? opts.python, base);
  for (const l of opts.layers ?? []) {
    if (!existsSync(l)) throw new UsageError(`layer ${l} not found`);
  }
  const variant = opts.variant ?? "release";
  const exe = buildLauncher({ variant });
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
  if (opts.check) Object.assign(env, checkEnv(opts, variant));
  return { exe, env, argvPrefix: [], allocator: r.allocator, libpython };
}

/** ALLOCSPEC_CHECK_* for {@link launchSpec} (builds libas_check.so beside the launcher when stale). */
function checkEnv(opts: LaunchOptions, variant: Variant): Record<string, string> {
  const c: CheckOptions = opts.check === true || !opts.check ? {} : opts.check;
  if (c.mode && c.mode !== "stop" && c.mode !== "count") {
    throw new UsageError(`check mode '${c.mode}': use stop or count`);
  }
  if (c.align && c.align !== "weak" && c.align !== "strong") {
    throw new UsageError(`check alignment '${c.align}': use weak or strong`);
  }
  buildLayer("as_check", { variant });
  const target = opts.allocator ?? "cpython";
  const hooks = opts.debugHooks ? ` --debug-hooks=${opts.debugHooks}` : "";
  const env: Record<string, string> = {
    ALLOCSPEC_CHECK: "1",
    ALLOCSPEC_CHECK_TARGET: target,
    ALLOCSPEC_CHECK_MODE: c.mode ?? "stop",
    ALLOCSPEC_CHECK_ALIGN: c.align ?? "weak",
    ALLOCSPEC_CHECK_CONFORMANCE: userCommand("conformance"),
    ALLOCSPEC_CHECK_REPRO: c.repro ??
      `${userCommand("python")} --allocator ${shellQuote(target)}${hooks} --check${
        c.mode === "count" ? "=count" : ""
      } --`,
  };
  if (c.report) env.ALLOCSPEC_CHECK_REPORT = c.report;
  return env;
}
