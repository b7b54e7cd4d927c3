/**
 * Builds the external-library harnesses (clients/libs/<library>.c + libs_common.c) into
 * `native/build/clients/libs/libs_<library>.so` with core/cbuild.ts (the project's C flags: C11, -Wall
 * -Wextra -Werror, hidden visibility), rebuilt when a source or a header is newer; the fault engine's C
 * comes from debug/faults/sources.ts (every engine file of the folder).
 * Compiler and link flags of each library come from pkg-config when it knows the library, else the
 * plain `-l` names (the Debian dev packages install both).
 *
 * The driver (`libs-driver`, driver.c with the launcher's libpython, allocator, libc glue, checking-layer
 * and signal-line sources, targets/launcher/) is built beside liballocspec.so (release), which the
 * launcher's allocator.c loads from the executable's own folder. It exports its fixed `time()` so the
 * libraries bind to it (driver.c, "Determinism").
 *
 * @example
 * ```ts
 * import { buildDriver, buildHarness } from "./build.ts";
 * const so = buildHarness("zlib"); // .../native/build/clients/libs/libs_zlib.so
 * const exe = buildDriver(); // .../native/build/release/libs-driver
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BUILD_DIR,
  buildProgram,
  compileShared,
  INCLUDE_DIR,
  isFresh,
  sourcesOf,
} from "../../core/cbuild.ts";
import { faultEngineSources } from "../../debug/layers.ts";
import { buildNative, libraryInputs, libraryPath } from "../../native/build.ts";

/** A harness: its pkg-config module, fallback link flags and the Debian package holding its headers. */
export interface HarnessSpec {
  pkg: string;
  libs: readonly string[];
  debian: string;
}

/** The libraries, in report order. */
export const HARNESSES: Readonly<Record<string, HarnessSpec>> = {
  zlib: { pkg: "zlib", libs: ["-lz"], debian: "zlib1g-dev" },
  expat: { pkg: "expat", libs: ["-lexpat"], debian: "libexpat1-dev" },
  openssl: { pkg: "openssl", libs: ["-lssl", "-lcrypto"], debian: "libssl-dev" },
  libxml2: { pkg: "libxml-2.0", libs: ["-lxml2"], debian: "libxml2-dev" },
  sqlite: { pkg: "sqlite3", libs: ["-lsqlite3"], debian: "libsqlite3-dev" },
  glib: { pkg: "glib-2.0", libs: ["-lglib-2.0"], debian: "libglib2.0-dev" },
};

/** Names of the libraries, in report order. */
export const LIBRARIES: readonly string[] = Object.keys(HARNESSES);

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = join(BUILD_DIR, "clients", "libs");

/** Where the harness of `lib` is built. */
export function harnessPath(lib: string): string {
  return join(OUT_DIR, `libs_${lib}.so`);
}

const LAUNCHER_DIR = join(HERE, "..", "..", "targets", "launcher");
/** The launcher's sources the driver reuses (never copies): its start (the signal line, libpython, the
 * allocator resolution, libc glue, the checking layer's installation). */
const LAUNCHER_SOURCES = ["start.c", "cpython_api.c", "allocator.c", "libc_glue.c", "check.c", "signals.c"]
  .map((f) => join(LAUNCHER_DIR, f));

/** Where the driver is built: beside liballocspec.so (release). */
export function driverPath(): string {
  return join(dirname(libraryPath("release")), "libs-driver");
}

/** Builds `libs-driver` (and liballocspec.so) when missing or stale; returns its path. */
export function buildDriver(opts: { force?: boolean } = {}): string {
  const lib = buildNative();
  return buildProgram({
    sources: [join(HERE, "driver.c"), ...LAUNCHER_SOURCES],
    inputs: [join(HERE, "libs_common.h"), ...sourcesOf(LAUNCHER_DIR, [".h"]), ...libraryInputs(), lib],
    output: driverPath(),
    flags: ["-O2", `-I${HERE}`, `-I${LAUNCHER_DIR}`, "-Wl,--export-dynamic-symbol=time", "-ldl"],
    force: opts.force,
  });
}

function pkgConfig(pkg: string): string[] | undefined {
  const r = spawnSync("pkg-config", ["--cflags", "--libs", pkg], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean) : undefined;
}

/**
 * Builds the harness of `lib` when missing or stale; returns its path. Throws one line naming the
 * Debian package when the library's headers are missing.
 */
export function buildHarness(lib: string, opts: { force?: boolean } = {}): string {
  const spec = HARNESSES[lib];
  if (!spec) throw new Error(`unknown library '${lib}': use ${LIBRARIES.join(", ")}`);
  // the one fault engine (debug/faults/sources.ts), compiled in: its symbols are hidden in the harness
  const sources = [join(HERE, "libs_common.c"), join(HERE, `${lib}.c`), ...faultEngineSources().sources];
  const inputs = [
    ...sources,
    join(HERE, "libs_common.h"),
    ...sourcesOf(INCLUDE_DIR, [".h"]),
    ...faultEngineSources().headers,
  ];
  const out = harnessPath(lib);
  if (!opts.force && isFresh(out, inputs)) return out;
  const flags = pkgConfig(spec.pkg) ?? [...spec.libs];
  try {
    compileShared({ sources, output: out, flags: ["-O2", `-I${HERE}`, ...flags, "-ldl"] });
  } catch (e) {
    const msg = (e as Error).message;
    if (/fatal error: .*\.h: No such file/.test(msg)) {
      throw new Error(`the ${lib} harness needs the ${spec.debian} package (its headers are missing)`);
    }
    throw e;
  }
  return out;
}
