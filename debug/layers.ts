/**
 * The debug/ layer libraries (fault engine, leak tracker, checking layer), built here through core/cbuild.ts: loaded by
 * the launcher (`ALLOCSPEC_LAYERS`), they reach PEP 445 by symbol name and link nothing of liballocspec.
 * Each is compiled from its own folder plus `common/` (the Python frame walker). Output:
 * `native/build/<variant>/lib<name>.so` (core/cbuild.ts `BUILD_DIR`), rebuilt when a source or header
 * of its folders is newer.
 *
 * @example
 * ```ts
 * import { buildLayer, layerPath } from "./layers.ts";
 * const so = buildLayer("as_faults"); // === layerPath("as_faults")
 * ```
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILD_DIR, buildShared, INCLUDE_DIR, sourcesOf, type Variant } from "../core/cbuild.ts";

const DEBUG_DIR = dirname(fileURLToPath(import.meta.url));

/** The layer libraries and the debug/ folders each is compiled from. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  as_faults: ["faults", "common"],
  as_leaks: ["leaks", "common"],
  as_check: ["check", "common"],
};

/**
 * Path of a layer library, e.g. `native/build/release/libas_faults.so` (it may not exist yet).
 *
 * @example
 * ```ts
 * import { layerPath } from "./layers.ts";
 * layerPath("as_faults"); // ".../native/build/release/libas_faults.so"
 * ```
 */
export function layerPath(name: string, variant: Variant = "release"): string {
  if (!(name in LAYERS)) {
    throw new RangeError(`unknown layer '${name}': use ${Object.keys(LAYERS).join(", ")}`);
  }
  return join(BUILD_DIR, variant, `lib${name}.so`);
}

/** Builds a layer library when missing or stale (or `force`) and returns its path. */
export function buildLayer(name: string, opts: { variant?: Variant; force?: boolean } = {}): string {
  const variant = opts.variant ?? "release";
  const output = layerPath(name, variant);
  const dirs = LAYERS[name].map((d) => join(DEBUG_DIR, d));
  return buildShared({
    // test_*.c are the folders' own C test programs, not part of a layer
    sources: dirs.flatMap((d) => sourcesOf(d, [".c"])).filter((f) => !/\/test_[^/]*\.c$/.test(f)),
    inputs: [...dirs.flatMap((d) => sourcesOf(d, [".h"])), ...sourcesOf(INCLUDE_DIR, [".h"])],
    output,
    variant,
    flags: ["-g", "-ldl"],
    force: opts.force,
  });
}

/**
 * The fault engine's C for another folder's library that compiles it in (clients/libs harnesses: the
 * engine without the launcher layer's entry points): its sources and the headers they depend on.
 */
export function faultEngineSources(): { sources: string[]; headers: string[] } {
  return {
    sources: [
      ...["config", "engine", "filter", "site", "sweep"].map((f) => join(DEBUG_DIR, "faults", `${f}.c`)),
      join(DEBUG_DIR, "common", "pyframe.c"),
    ],
    headers: [
      ...sourcesOf(join(DEBUG_DIR, "faults"), [".h"]),
      ...sourcesOf(join(DEBUG_DIR, "common"), [".h"]),
    ],
  };
}
