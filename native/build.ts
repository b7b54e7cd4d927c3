/**
 * Builds `native/` (liballocspec.so) with the system C compiler, and runs its C tests.
 *
 * Variants: `release` (-O2), `debug` (-O0 -g), `asan` (-fsanitize=address,undefined). Output:
 * `native/build/<variant>/liballocspec.so`, rebuilt only when missing or older than a source or header.
 * Flags: C11, `-Wall -Wextra -Werror`, `-fvisibility=hidden` (only `ALLOCSPEC_API` symbols are exported),
 * `-Wl,-Bsymbolic` (calls inside the library never go through the PLT, so a libpython loaded in the same
 * process cannot interpose on them).
 *
 * CLI: `deno run -A native/build.ts [--variant V] [--all] [--force] [--test [--fast]]` (or `bun native/build.ts`).
 * `--test` builds, runs test_api and test_stress (release), again under valgrind, again built with
 * ASan/UBSan, test_stress built with ThreadSanitizer, then compiles everything with clang -Werror and
 * runs that test_api; it prints
 * `N passed, N failed, N skipped` last. A check that cannot run here (no valgrind, no clang, no shared
 * libpython, a sanitizer runtime missing) is a counted skip with its reason, never a silent omission.
 * The test programs get the shared libpython of `python3` in `ALLOCSPEC_LIBPYTHON`, found as the
 * cpython conformance target finds it (sysconfig); without one, `ALLOCSPEC_LIBPYTHON_MISSING` says why.
 * `--fast` skips valgrind, sanitizers and clang (counted as skips).
 *
 * @example
 * ```ts
 * import { buildNative, libraryPath } from "./build.ts";
 * const so = buildNative({ variant: "release" }); // === libraryPath("release")
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { findLibpython } from "../conformance/adapters/cpython_lib.ts";

/** A build flavour of the library. */
export type Variant = "release" | "debug" | "asan";
/** All variants, in build order. */
export const VARIANTS: readonly Variant[] = ["release", "debug", "asan"];

/** Absolute path of `native/`. */
export const NATIVE_DIR: string = dirname(fileURLToPath(import.meta.url));
const SRC_DIR = join(NATIVE_DIR, "src");
const INCLUDE_DIR = join(NATIVE_DIR, "include");
const TEST_DIR = join(NATIVE_DIR, "test");
/**
 * Where builds go: `native/build/`, or `$ALLOCSPEC_CACHE_DIR/native/` when the installed `allocspec`
 * command set that variable (a per-user cache; nothing is written into the package's install folder).
 */
export const BUILD_DIR: string = process.env.ALLOCSPEC_CACHE_DIR
  ? join(resolve(process.env.ALLOCSPEC_CACHE_DIR), "native")
  : join(NATIVE_DIR, "build");

/** Warning and language flags every C file of the project is compiled with. */
export const WARN_FLAGS: readonly string[] = ["-std=c11", "-Wall", "-Wextra", "-Werror"];

const VARIANT_FLAGS: Record<Variant, string[]> = {
  release: ["-O2"],
  debug: ["-O0", "-g"],
  asan: [
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
  ],
};

/** Thrown when no C compiler can be found; its message is one line saying what to do. */
export class NoCompilerError extends Error {
  override name = "NoCompilerError";
}

/**
 * The path of the library for a variant (absolute; it may not exist yet).
 *
 * @example
 * ```ts
 * import { libraryPath } from "./build.ts";
 * libraryPath("asan"); // ".../native/build/asan/liballocspec.so"
 * ```
 */
export function libraryPath(variant: Variant = "release"): string {
  if (!VARIANTS.includes(variant)) {
    throw new RangeError(`unknown variant '${variant}': use ${VARIANTS.join(", ")}`);
  }
  return join(BUILD_DIR, variant, "liballocspec.so");
}

function works(cc: string): boolean {
  const r = spawnSync(cc, ["--version"], { encoding: "utf8" });
  return !r.error && r.status === 0;
}

/**
 * The C compiler to use: `$CC` when set (it must work), else the first of cc, gcc, clang that runs.
 * Throws {@link NoCompilerError} with one clear line otherwise.
 */
export function findCompiler(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.CC?.trim();
  if (fromEnv) {
    if (works(fromEnv)) return fromEnv;
    throw new NoCompilerError(
      `native/build.ts: the C compiler CC='${fromEnv}' does not run: set CC to a working compiler (gcc or clang) or unset it`,
    );
  }
  for (const cc of ["cc", "gcc", "clang"]) if (works(cc)) return cc;
  throw new NoCompilerError(
    "native/build.ts: no C compiler found (tried cc, gcc, clang): install gcc or clang, or set CC to one",
  );
}

function sourcesOf(dir: string, ext: string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => ext.some((e) => f.endsWith(e))).sort().map((f) => join(dir, f));
}

/** The library's C sources. */
export function librarySources(): string[] {
  return sourcesOf(SRC_DIR, [".c"]);
}

function newestInput(): number {
  const files = [...sourcesOf(SRC_DIR, [".c", ".h"]), ...sourcesOf(INCLUDE_DIR, [".h"])];
  return Math.max(...files.map((f) => statSync(f).mtimeMs));
}

function isFresh(output: string, inputsMtime: number): boolean {
  return existsSync(output) && statSync(output).mtimeMs >= inputsMtime;
}

/** Runs a compiler; throws an Error carrying the compiler's output on failure. */
function compile(cc: string, args: string[], quiet: boolean): void {
  if (!quiet) console.error(`$ ${cc} ${args.join(" ")}`);
  const r = spawnSync(cc, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`native/build.ts: could not run ${cc}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`native/build.ts: ${cc} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
}

/**
 * Compiles C sources into a shared library with the project's flags (C11, -Wall -Wextra -Werror,
 * -fPIC, -fvisibility=hidden, -Wl,-Bsymbolic, -pthread) plus `flags`. Writes atomically (a temp file
 * renamed over `output`), so concurrent builds never load a half-written file. For other folders' fixtures.
 *
 * @example
 * ```ts
 * import { compileShared } from "./build.ts";
 * compileShared({ sources: ["fixture.c"], output: "/tmp/libfixture.so", flags: ["-O2"] });
 * ```
 */
export function compileShared(
  opts: { sources: string[]; output: string; flags?: string[]; quiet?: boolean; cc?: string },
): void {
  compileExecutable({
    ...opts,
    flags: ["-fPIC", "-shared", "-fvisibility=hidden", "-Wl,-Bsymbolic", "-pthread", ...(opts.flags ?? [])],
  });
}

/**
 * Builds one variant of liballocspec.so if it is missing or stale (or `force`), and returns its path.
 * Throws {@link NoCompilerError} (one line) when no C compiler is available.
 *
 * @example
 * ```ts
 * import { buildNative } from "./build.ts";
 * const so = buildNative(); // release
 * ```
 */
export function buildNative(opts: { variant?: Variant; force?: boolean; quiet?: boolean } = {}): string {
  const variant = opts.variant ?? "release";
  const output = libraryPath(variant);
  if (!opts.force && isFresh(output, newestInput())) return output;
  compileShared({
    sources: librarySources(),
    output,
    flags: [...VARIANT_FLAGS[variant], "-ldl"],
    quiet: opts.quiet ?? true,
  });
  return output;
}

// ------------------------------------------------------------------------------------------------
// allocspec-python: the launcher of clients/ (C sources in clients/launcher, contract in its CONTRACT.md)

const LAUNCHER_DIR = join(NATIVE_DIR, "..", "clients", "launcher");

/**
 * The path of the launcher executable for a variant: beside that variant's liballocspec.so, which it loads.
 *
 * @example
 * ```ts
 * import { launcherPath } from "./build.ts";
 * launcherPath("release"); // ".../native/build/release/allocspec-python"
 * ```
 */
export function launcherPath(variant: Variant = "release"): string {
  return join(dirname(libraryPath(variant)), "allocspec-python");
}

/**
 * Builds `allocspec-python` (and the library it loads) for a variant if missing or stale, and returns its path.
 *
 * @example
 * ```ts
 * import { buildLauncher } from "./build.ts";
 * const exe = buildLauncher(); // release
 * ```
 */
export function buildLauncher(opts: { variant?: Variant; force?: boolean; quiet?: boolean } = {}): string {
  const variant = opts.variant ?? "release";
  buildNative(opts);
  const output = launcherPath(variant);
  const sources = sourcesOf(LAUNCHER_DIR, [".c"]);
  const newest = Math.max(
    newestInput(),
    ...[...sourcesOf(LAUNCHER_DIR, [".c", ".h"]), ...sourcesOf(join(DEBUG_DIR, "check"), [".h"])].map((f) =>
      statSync(f).mtimeMs
    ),
  );
  if (!opts.force && isFresh(output, newest)) return output;
  compileExecutable({ sources, output, flags: [...VARIANT_FLAGS[variant], "-ldl"], quiet: opts.quiet });
  return output;
}

/**
 * Compiles C sources into an executable with the project's flags (C11, -Wall -Wextra -Werror, the public
 * include folder) plus `flags` (`-l...` flags go last). Writes atomically (a temp file renamed over
 * `output`), like {@link compileShared}.
 *
 * @example
 * ```ts ignore
 * import { compileExecutable } from "./build.ts";
 * compileExecutable({ sources: ["main.c"], output: "/tmp/prog", flags: ["-O2", "-ldl"] });
 * ```
 */
export function compileExecutable(
  opts: { sources: string[]; output: string; flags?: string[]; quiet?: boolean; cc?: string },
): void {
  const output = resolve(opts.output);
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.tmp.${process.pid}.${Date.now()}`;
  try {
    compile(opts.cc ?? findCompiler(), [
      ...WARN_FLAGS,
      `-I${INCLUDE_DIR}`,
      ...(opts.flags ?? []).filter((f) => !f.startsWith("-l")),
      ...opts.sources,
      "-o",
      tmp,
      ...(opts.flags ?? []).filter((f) => f.startsWith("-l")),
    ], opts.quiet ?? true);
    renameSync(tmp, output);
  } finally {
    if (existsSync(tmp)) rmSync(tmp);
  }
}

// ------------------------------------------------------------------------------------------------
// debug/ layer libraries (fault engine, leak tracker): loaded by the launcher (ALLOCSPEC_LAYERS), they reach
// PEP 445 by symbol name and link nothing of liballocspec.

const DEBUG_DIR = join(NATIVE_DIR, "..", "debug");
/** The debug/ layer libraries and the debug/ folders each is compiled from. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  as_faults: ["faults", "common"],
  as_leaks: ["leaks", "common"],
  as_check: ["check", "common"],
};

/**
 * Path of a debug/ layer library, e.g. `native/build/release/libas_faults.so` (it may not exist yet).
 *
 * @example
 * ```ts
 * import { layerPath } from "./build.ts";
 * layerPath("as_faults"); // ".../native/build/release/libas_faults.so"
 * ```
 */
export function layerPath(name: string, variant: Variant = "release"): string {
  if (!(name in LAYERS)) {
    throw new RangeError(`unknown layer '${name}': use ${Object.keys(LAYERS).join(", ")}`);
  }
  return join(BUILD_DIR, variant, `lib${name}.so`);
}

/**
 * Builds a debug/ layer library when missing or stale and returns its path.
 *
 * @example
 * ```ts
 * import { buildLayer } from "./build.ts";
 * const so = buildLayer("as_faults"); // native/build/release/libas_faults.so
 * ```
 */
export function buildLayer(name: string, opts: { variant?: Variant; force?: boolean } = {}): string {
  const variant = opts.variant ?? "release";
  const output = layerPath(name, variant);
  const dirs = LAYERS[name].map((d) => join(DEBUG_DIR, d));
  const sources = dirs.flatMap((d) => sourcesOf(d, [".c"]));
  const newest = Math.max(...dirs.flatMap((d) => sourcesOf(d, [".c", ".h"])).map((f) => statSync(f).mtimeMs));
  if (!opts.force && isFresh(output, newest)) return output;
  compileShared({ sources, output, flags: [...VARIANT_FLAGS[variant], "-g", "-ldl"] });
  return output;
}

// ------------------------------------------------------------------------------------------------
// --test: the C test programs

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  lines: string[];
}

/** Builds a test program linked against the library of `variant`. */
function buildTestProgram(
  cc: string,
  name: string,
  variant: Variant,
  outDir: string,
  extra: string[] = [],
): string {
  const lib = libraryPath(variant);
  const out = join(outDir, name);
  mkdirSync(outDir, { recursive: true });
  const newest = Math.max(
    newestInput(),
    statSync(join(TEST_DIR, `${name}.c`)).mtimeMs,
    statSync(join(TEST_DIR, "check.h")).mtimeMs,
    statSync(lib).mtimeMs,
  );
  if (isFresh(out, newest) && extra.length === 0) return out;
  compile(cc, [
    ...WARN_FLAGS,
    ...VARIANT_FLAGS[variant],
    "-pthread",
    `-I${INCLUDE_DIR}`,
    join(TEST_DIR, `${name}.c`),
    "-o",
    out,
    `-L${dirname(lib)}`,
    "-lallocspec",
    `-Wl,-rpath,${dirname(lib)}`,
    "-ldl",
    ...extra,
  ], true);
  return out;
}

/** Runs a program, echoes its output, parses its `N passed, N failed` line into the tally. */
function runCounted(t: Tally, label: string, cmd: string[], env: Record<string, string> = {}): boolean {
  const started = Date.now();
  const r = spawnSync(cmd[0], cmd.slice(1), {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    env: { ...process.env, GLIBC_TUNABLES: "glibc.rtld.optional_static_tls=65536", ...env },
  });
  const out = (r.stdout ?? "") + (r.stderr ?? "");
  const m = [...out.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)].at(-1);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (!m || r.status !== 0) process.stdout.write(out);
  if (!m) {
    t.failed += 1;
    t.lines.push(`${label}: no counts in its output (exit ${r.status ?? r.signal}) [${secs}s]: 1 failed`);
    return false;
  }
  const passed = +m[1], failed = +m[2] + (r.status !== 0 && +m[2] === 0 ? 1 : 0), skipped = +(m[3] ?? 0);
  t.passed += passed;
  t.failed += failed;
  t.skipped += skipped;
  const skips = [...out.matchAll(/^skip (.*)$/gm)].map((s) => s[1]);
  t.lines.push(
    `${label}: ${passed} passed, ${failed} failed, ${skipped} skipped (exit ${
      r.status ?? r.signal
    }) [${secs}s]` +
      (skips.length ? `\n    skipped: ${skips.join("; ")}` : ""),
  );
  return failed === 0;
}

function step(t: Tally, label: string, ok: boolean, why = ""): void {
  if (ok) t.passed += 1;
  else t.failed += 1;
  t.lines.push(`${label}: ${ok ? "ok" : `FAILED${why ? ` (${why})` : ""}`}`);
}

/** A part of the suite that cannot run here: one counted skip with its reason. */
function skip(t: Tally, label: string, reason: string): void {
  t.skipped += 1;
  t.lines.push(`${label}: SKIPPED (${reason})`);
}

function which(cmd: string): boolean {
  return works(cmd);
}

/** Builds and runs every C test; returns the tally (printed by the CLI). */
export function runCTests(opts: { fast?: boolean } = {}): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0, lines: [] };
  const cc = findCompiler();
  try {
    process.env.ALLOCSPEC_LIBPYTHON = findLibpython().path;
  } catch (e) {
    delete process.env.ALLOCSPEC_LIBPYTHON;
    process.env.ALLOCSPEC_LIBPYTHON_MISSING = (e as Error).message;
  }
  buildNative({ variant: "release", quiet: false });
  const relDir = join(BUILD_DIR, "release", "test");
  const api = buildTestProgram(cc, "test_api", "release", relDir);
  const stress = buildTestProgram(cc, "test_stress", "release", relDir);
  runCounted(t, "test_api (release)", [api]);
  runCounted(t, "test_stress (release)", [stress]);
  if (opts.fast) {
    for (const what of ["valgrind", "ASan/UBSan", "ThreadSanitizer", "clang -Werror build"]) {
      skip(t, what, "--fast");
    }
    return t;
  }

  if (which("valgrind")) {
    const vg = [
      "valgrind",
      "-q",
      "--error-exitcode=99",
      "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect,possible",
      "--show-leak-kinds=definite,indirect,possible",
      "--child-silent-after-fork=yes",
    ];
    const a = runCounted(t, "test_api (valgrind)", [...vg, api], { ALLOCSPEC_VALGRIND: "1" });
    const s = runCounted(t, "test_stress (valgrind)", [...vg, stress, "--rounds", "300"], {
      ALLOCSPEC_VALGRIND: "1",
    });
    step(t, "valgrind clean (0 errors, 0 leaks)", a && s);
  } else {
    skip(t, "valgrind", "not installed (apt-get install valgrind)");
  }

  buildNative({ variant: "asan", quiet: false });
  const asanDir = join(BUILD_DIR, "asan", "test");
  const aapi = buildTestProgram(cc, "test_api", "asan", asanDir);
  const astress = buildTestProgram(cc, "test_stress", "asan", asanDir);
  const asanEnv = {
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1",
    UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1",
  };
  const a1 = runCounted(t, "test_api (ASan/UBSan)", [aapi], { ...asanEnv, ALLOCSPEC_ASAN: "1" });
  const a2 = runCounted(t, "test_stress (ASan/UBSan)", [astress, "--rounds", "2000"], asanEnv);
  step(t, "ASan/UBSan clean", a1 && a2);

  // ThreadSanitizer on the stress test (gcc ships its runtime here; clang 14's is not installed)
  {
    const outDir = join(BUILD_DIR, "tsan");
    const tsan = ["-O1", "-g", "-fsanitize=thread"];
    let built = false;
    try {
      compileShared({
        cc,
        sources: librarySources(),
        output: join(outDir, "liballocspec.so"),
        flags: [...tsan, "-ldl"],
      });
      compile(cc, [
        ...WARN_FLAGS,
        ...tsan,
        "-pthread",
        `-I${INCLUDE_DIR}`,
        join(TEST_DIR, "test_stress.c"),
        "-o",
        join(outDir, "test_stress"),
        `-L${outDir}`,
        "-lallocspec",
        `-Wl,-rpath,${outDir}`,
      ], true);
      built = true;
    } catch (e) {
      skip(t, "ThreadSanitizer", `not available with ${cc}: ${(e as Error).message.split("\n")[0]}`);
    }
    if (built) {
      const ok = runCounted(t, "test_stress (TSan)", [join(outDir, "test_stress"), "--rounds", "2000"], {
        TSAN_OPTIONS: "halt_on_error=1:exitcode=66",
      });
      step(t, "ThreadSanitizer clean (RAW stress)", ok);
    }
  }

  if (which("clang")) {
    const outDir = join(BUILD_DIR, "clang");
    try {
      compileShared({
        cc: "clang",
        sources: librarySources(),
        output: join(outDir, "liballocspec.so"),
        flags: ["-O2", "-ldl"],
      });
      for (const name of ["test_api", "test_stress"]) {
        compile("clang", [
          ...WARN_FLAGS,
          "-O2",
          "-pthread",
          `-I${INCLUDE_DIR}`,
          join(TEST_DIR, `${name}.c`),
          "-o",
          join(outDir, name),
          `-L${outDir}`,
          "-lallocspec",
          `-Wl,-rpath,${outDir}`,
          "-ldl",
        ], true);
      }
      step(t, "clang -Wall -Wextra -Werror build", true);
      runCounted(t, "test_api (clang build)", [join(outDir, "test_api")]);
    } catch (e) {
      console.error((e as Error).message);
      step(t, "clang -Wall -Wextra -Werror build", false, "compile error above");
    }
  } else {
    skip(t, "clang -Werror build", "clang not installed (apt-get install clang)");
  }
  return t;
}

function main(argv: string[]): number {
  const args = new Set(argv);
  const vi = argv.indexOf("--variant");
  const known = new Set(["--variant", "--all", "--test", "--fast", "--force"]);
  for (let i = 0; i < argv.length; i++) {
    if (i === vi + 1 && vi >= 0) continue;
    if (!known.has(argv[i])) {
      console.error(
        `native/build.ts: unknown argument '${argv[i]}': use --variant V, --all, --force, --test [--fast]`,
      );
      return 2;
    }
  }
  try {
    if (args.has("--test")) {
      const started = Date.now();
      const t = runCTests({ fast: args.has("--fast") });
      console.log(
        `\nnative C tests (${((Date.now() - started) / 1000).toFixed(1)}s):\n  ${t.lines.join("\n  ")}`,
      );
      console.log(`${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
      return t.failed === 0 ? 0 : 1;
    }
    const variants: Variant[] = args.has("--all")
      ? [...VARIANTS]
      : [(vi >= 0 ? argv[vi + 1] : "release") as Variant];
    for (const v of variants) {
      if (!VARIANTS.includes(v)) {
        console.error(`native/build.ts: unknown variant '${v}': use ${VARIANTS.join(", ")}`);
        return 2;
      }
      console.log(buildNative({ variant: v, force: args.has("--force"), quiet: false }));
      console.log(buildLauncher({ variant: v, force: args.has("--force"), quiet: false }));
    }
    return 0;
  } catch (e) {
    console.error(e instanceof NoCompilerError ? e.message : (e as Error).message);
    return 1;
  }
}

if ((import.meta as { main?: boolean }).main) process.exit(main(process.argv.slice(2)));
