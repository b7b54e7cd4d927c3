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
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/usage.ts";
import { parseTarget } from "../conformance/adapters/mod.ts";
import { resolveLibpython } from "../core/python.ts";
import { buildProgram, sourcesOf, type Variant } from "../core/cbuild.ts";
import { resolveLibcTarget } from "../conformance/adapters/libc.ts";
import { resolveVtableTarget } from "../conformance/adapters/vtable.ts";
import { buildNative, libraryInputs, libraryPath } from "../native/build.ts";

/** Which debug hooks go over the allocator: none, liballocspec's, or libpython's `PyMem_SetupDebugHooks()`. */
export type DebugHooks = "" | "native" | "cpython";

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
  const libpython = resolveLibpython(r.libpython ?? opts.python, {
    env: base,
    hint: "--python /path/to/libpython3.X.so",
  });
  for (const l of opts.layers ?? []) {
    if (!existsSync(l)) throw new UsageError(`layer ${l} not found`);
  }
  const exe = buildLauncher({ variant: opts.variant ?? "release" });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && k !== "PYTHONMALLOC") env[k] = v;
  Object.assign(env, r.env ?? {}, {
    ALLOCSPEC_LIBPYTHON: libpython,
    ALLOCSPEC_ALLOCATOR: r.allocator,
    ALLOCSPEC_DEBUG_HOOKS: hooks,
    ALLOCSPEC_LAYERS: (opts.layers ?? []).map((l) => resolve(l)).join(","),
  });
  return { exe, env, argvPrefix: [], allocator: r.allocator, libpython };
}
