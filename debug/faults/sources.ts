/**
 * The fault engine's C sources, for builds that compile the engine into something else than the launcher
 * layer (clients/libs harnesses): every engine file of debug/faults (not `layer.c`, the launcher entry
 * point, nor `test_engine.c`) and debug/common/pyframe.c. The list follows the folder, so new engine files
 * need no change elsewhere.
 *
 * @example
 * ```ts
 * import { ENGINE_HEADERS, ENGINE_SOURCES } from "./sources.ts";
 * console.log(ENGINE_SOURCES.length > 5, ENGINE_HEADERS.some((h) => h.endsWith("faults.h")));
 * ```
 * @module
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const COMMON = join(HERE, "..", "common");
const NOT_ENGINE = new Set(["layer.c", "test_engine.c"]);

/** Absolute paths of the engine's .c files (sorted). */
export const ENGINE_SOURCES: readonly string[] = [
  ...readdirSync(HERE).filter((f) => f.endsWith(".c") && !NOT_ENGINE.has(f)).sort().map((f) => join(HERE, f)),
  join(COMMON, "pyframe.c"),
];

/** Absolute paths of the headers the engine's sources include (for staleness checks). */
export const ENGINE_HEADERS: readonly string[] = [
  join(HERE, "faults.h"),
  join(HERE, "internal.h"),
  join(COMMON, "pyframe.h"),
];
