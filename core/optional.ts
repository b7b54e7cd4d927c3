/**
 * The optional Debian packages: which ones the tests and tools can use, and whether this machine has each,
 * found the way the user's own machine finds it: a shared library through the dynamic loader (dlopen by
 * soname, in a child process), a program on PATH, a development package through pkg-config, a Python
 * module through the Pythons on PATH. Never a fixed path, never dpkg: a library the loader cannot open is
 * missing even if its package is installed, and one built by hand is present.
 *
 * The README's Quick start needs none of them (Node.js + npm, a C compiler, python3 with a shared
 * libpython). A test that needs one is a SKIP naming it: `{ skip: needs("libjemalloc2") }` in the test's
 * options. `needs()` also records each such skip in the file named by `$ALLOCSPEC_PACKAGE_SKIPS` (set by
 * `tools/run_tests.ts`), so the closing line can say how many tests were skipped for a missing package and
 * which packages; `.ci/run` installs them all and sets `ALLOCSPEC_REQUIRE_PACKAGES=1`, which turns any such
 * skip into a failure of the test command.
 *
 * @example
 * ```ts
 * import { test } from "node:test";
 * import { locate, needs } from "./optional.ts";
 * test("jemalloc runs json.tool", { skip: needs("libjemalloc2") }, () => {});
 * console.log(locate("chromium") ?? "no Chromium on PATH");
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import {
  accessSync,
  appendFileSync,
  constants,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { withStaticTls } from "./env.ts";

/** How a package is found on the machine. */
export type Probe =
  | { kind: "library"; soname: string }
  | { kind: "program"; names: readonly string[] }
  | { kind: "pkg-config"; module: string; header: string }
  | { kind: "python-module"; module: string; file: RegExp };

/** One optional Debian package: how to find it and what needs it. */
export interface OptionalPackage {
  probe: Probe;
  /** what in allocspec uses it (shown in docs and skip reasons) */
  for: string;
}

/**
 * Every optional package, by its Debian name (`.ci/run` installs exactly these, plus the C toolchain;
 * core/optional_test.ts checks the two lists agree).
 */
export const OPTIONAL_PACKAGES = {
  libjemalloc2: {
    probe: { kind: "library", soname: "libjemalloc.so.2" },
    for: "the jemalloc target (libc:libjemalloc.so.2)",
  },
  "libmimalloc2.0": {
    probe: { kind: "library", soname: "libmimalloc.so.2" },
    for: "the mimalloc target (libc:libmimalloc.so.2:mi_)",
  },
  "libtcmalloc-minimal4": {
    probe: { kind: "library", soname: "libtcmalloc_minimal.so.4" },
    for: "the tcmalloc target (libc:libtcmalloc_minimal.so.4)",
  },
  clang: { probe: { kind: "program", names: ["clang"] }, for: "the clang -Werror build of native/" },
  valgrind: { probe: { kind: "program", names: ["valgrind"] }, for: "the C tests under valgrind" },
  chromium: {
    probe: { kind: "program", names: ["chromium", "chromium-browser", "google-chrome"] },
    for: "the HTML report's browser tests and screenshots",
  },
  "python3.11-dbg": {
    probe: { kind: "program", names: ["python3.11d"] },
    for: "Debian's Py_DEBUG CPython as a second real CPython",
  },
  "python3-scalene": {
    probe: { kind: "python-module", module: "scalene", file: /^libscalene\..*\.so$/ },
    for: "Scalene's hook as a hook: target",
  },
  "pkg-config": { probe: { kind: "program", names: ["pkg-config"] }, for: "the libs harnesses' build flags" },
  "zlib1g-dev": {
    probe: { kind: "pkg-config", module: "zlib", header: "zlib.h" },
    for: "the zlib harness (libs)",
  },
  "libexpat1-dev": {
    probe: { kind: "pkg-config", module: "expat", header: "expat.h" },
    for: "the expat harness (libs)",
  },
  "libssl-dev": {
    probe: { kind: "pkg-config", module: "openssl", header: "openssl/ssl.h" },
    for: "the OpenSSL harness (libs)",
  },
  "libxml2-dev": {
    probe: { kind: "pkg-config", module: "libxml-2.0", header: "libxml/parser.h" },
    for: "the libxml2 harness (libs)",
  },
  "libsqlite3-dev": {
    probe: { kind: "pkg-config", module: "sqlite3", header: "sqlite3.h" },
    for: "the SQLite harness (libs)",
  },
  "libglib2.0-dev": {
    probe: { kind: "pkg-config", module: "glib-2.0", header: "glib.h" },
    for: "the glib row (libs)",
  },
} as const satisfies Record<string, OptionalPackage>;

/** A Debian package name from {@link OPTIONAL_PACKAGES}. */
export type PackageName = keyof typeof OPTIONAL_PACKAGES;

/** The environment variable naming the file where {@link needs} records package skips. */
export const SKIP_LOG_ENV = "ALLOCSPEC_PACKAGE_SKIPS";
/** Set to 1 (by `.ci/run`): a test skipped for a missing package makes the test command fail. */
export const REQUIRE_ENV = "ALLOCSPEC_REQUIRE_PACKAGES";

/** Every executable file named `name` in the PATH directories, in PATH order. */
export function onPath(name: string): string[] {
  const out: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      if (!out.includes(p)) out.push(p);
    } catch { /* not here */ }
  }
  return out;
}

const memo = new Map<string, string | null>();

/**
 * Asks the dynamic loader to open each of `sonames` (or paths), in one child of the current runtime:
 * soname -> "" when it opened, else the loader's one-line error.
 */
export function loaderOpens(sonames: readonly string[]): Record<string, string> {
  const bun = !!(globalThis as { Bun?: unknown }).Bun;
  // Bun's dlopen wants at least one symbol: we declare one no library exports, so a library the loader
  // opened fails on that symbol ("Symbol ... not found") and any other error is the loader's.
  const open = bun
    ? `const { dlopen } = require("bun:ffi"); const open = (n) => { try { dlopen(n, { allocspec_no_such_symbol: { args: [], returns: "void" } }).close(); } catch (e) { if (!/^Symbol .* not found/.test(String(e.message))) throw e; } };`
    : `const open = (n) => Deno.dlopen(n, {}).close();`;
  const code = `${open} const r = {}; for (const n of ${
    JSON.stringify(sonames)
  }) { try { open(n); r[n] = ""; } catch (e) { r[n] = String(e && e.message || e).split("\\n")[0]; } } console.log(JSON.stringify(r));`;
  const args = bun ? ["-e", code] : ["eval", "--quiet", code];
  const r = spawnSync(process.execPath, args, {
    encoding: "utf8",
    timeout: 120_000,
    // jemalloc's initial-exec TLS does not fit the default static TLS surplus of a process that dlopens
    // it late: the probe runs under the one static-TLS policy the targets' children use (core/env.ts)
    env: { ...process.env, GLIBC_TUNABLES: withStaticTls(process.env.GLIBC_TUNABLES), NO_COLOR: "1" },
  });
  const line = (r.stdout ?? "").trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as Record<string, string>;
  } catch {
    throw new Error(
      `core/optional: the loader probe (${process.execPath} ${args[0]}) gave no answer (exit ${
        r.status ?? r.signal
      }): ${(r.stderr ?? "").trim().split("\n").at(-1) ?? ""}`,
    );
  }
}

let libraries: Record<string, string> | undefined;

function find(name: PackageName): string | null {
  const probe: Probe = OPTIONAL_PACKAGES[name].probe;
  switch (probe.kind) {
    case "library":
      libraries ??= loaderOpens(
        Object.values(OPTIONAL_PACKAGES).flatMap((p) => p.probe.kind === "library" ? [p.probe.soname] : []),
      );
      return libraries[probe.soname] === "" ? probe.soname : null;
    case "program": {
      if (name === "chromium" && process.env.CHROMIUM) {
        const c = process.env.CHROMIUM;
        if (c.includes("/")) return existsSync(c) ? c : null;
        return onPath(c)[0] ?? null;
      }
      for (const n of probe.names) {
        const hit = onPath(n)[0];
        if (hit) return hit;
      }
      return null;
    }
    case "pkg-config": {
      if (locate("pkg-config")) {
        return spawnSync("pkg-config", ["--exists", probe.module]).status === 0 ? probe.module : null;
      }
      // no pkg-config: the header on the compiler's default include path (what a build without it sees)
      const r = spawnSync(process.env.CC || "cc", ["-E", "-x", "c", "-"], {
        input: `#include <${probe.header}>\n`,
        encoding: "utf8",
        timeout: 60_000,
      });
      return r.status === 0 ? probe.header : null;
    }
    case "python-module": {
      // every python3 on PATH (a pyenv shim first, then the system's), as a user's shell would run them
      for (const py of [...onPath("python3"), ...onPath("python3.11")]) {
        const r = spawnSync(py, [
          "-c",
          `import os, ${probe.module}; print(os.path.dirname(${probe.module}.__file__))`,
        ], { encoding: "utf8", timeout: 60_000 });
        if (r.status !== 0) continue;
        const dir = r.stdout.trim();
        const f = existsSync(dir) ? readdirSync(dir).find((n) => probe.file.test(n)) : undefined;
        if (f) return join(dir, f);
      }
      return null;
    }
  }
}

/**
 * Where this machine has `name`: the soname the loader opens, the program's path, the pkg-config
 * module, the Python module's file; undefined when it is missing. Memoized per process.
 */
export function locate(name: PackageName): string | undefined {
  if (!(name in OPTIONAL_PACKAGES)) throw new Error(`core/optional: unknown package '${name}'`);
  if (!memo.has(name)) memo.set(name, find(name));
  return memo.get(name) ?? undefined;
}

/** The package that ships the shared library `soname` (e.g. `libjemalloc.so.2`), if it is an optional one. */
export function libraryPackage(soname: string): PackageName | undefined {
  return (Object.keys(OPTIONAL_PACKAGES) as PackageName[]).find((n) => {
    const p: Probe = OPTIONAL_PACKAGES[n].probe;
    return p.kind === "library" && p.soname === soname;
  });
}

/** The packages of `names` this machine does not have, in the order given. */
export function missing(...names: PackageName[]): PackageName[] {
  const out = names.filter((n) => !locate(n));
  // a -dev package not found without pkg-config: pkg-config is what would find it
  const viaPkgConfig = out.some((n) => OPTIONAL_PACKAGES[n].probe.kind === "pkg-config");
  if (viaPkgConfig && !out.includes("pkg-config") && !locate("pkg-config")) out.unshift("pkg-config");
  return out;
}

/** The skip reason for a test that needs `names` when some are missing (it names them), else undefined. */
export function reason(...names: PackageName[]): string | undefined {
  const m = missing(...names);
  if (!m.length) return undefined;
  return `needs the optional package${m.length > 1 ? "s" : ""} ${m.join(", ")} (apt-get install ${
    m.join(" ")
  })`;
}

/**
 * Records `count` tests skipped because `names` are missing, for the test command's closing line
 * (no-op outside it). For runners that count their own skips (native/build.ts --test); tests use
 * {@link needs}.
 */
export function recordSkip(names: readonly string[], count = 1): void {
  const file = process.env[SKIP_LOG_ENV];
  if (file && names.length && count > 0) appendFileSync(file, `${count}\t${names.join(",")}\n`);
}

/**
 * The `skip` option of a test that needs `names`: false when this machine has them all, else the reason
 * naming the missing ones (the skip is recorded for the closing line). Call it in the test's own
 * options, once per test, so each skipped test is counted once.
 */
export function needs(...names: PackageName[]): string | false {
  const why = reason(...names);
  if (!why) return false;
  recordSkip(missing(...names));
  return why;
}

/** What a skip log holds: tests skipped for a missing package, and which packages. */
export interface PackageSkips {
  count: number;
  packages: string[];
}

/** Reads a skip log written by {@link recordSkip} (an absent file is no skip). */
export function readSkipLog(file: string): PackageSkips {
  if (!existsSync(file)) return { count: 0, packages: [] };
  let count = 0;
  const packages = new Set<string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const [n, names] = line.split("\t");
    if (!names) continue;
    count += +n;
    for (const p of names.split(",")) packages.add(p);
  }
  return { count, packages: [...packages].sort() };
}
