/**
 * Builds `native/` (liballocspec.so) with the system C compiler, and runs its C tests.
 *
 * Compiler, variants, flags, freshness and the build folder are core/cbuild.ts's (the one C build module):
 * `release` (-O2), `debug` (-O0 -g), `asan` (-fsanitize=address,undefined). Output:
 * `native/build/<variant>/liballocspec.so`, rebuilt only when missing or older than a source or header.
 * Flags: C11, `-Wall -Wextra -Werror`, `-fvisibility=hidden` (only `ALLOCSPEC_API` symbols are exported),
 * `-Wl,-Bsymbolic` (calls inside the library never go through the PLT, so a libpython loaded in the same
 * process cannot interpose on them). Other folders build their own C (the launcher in targets/, the layer
 * libraries in debug/) through core/cbuild.ts; this file knows only native/.
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
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  BUILD_DIR,
  buildProgram,
  buildShared,
  compileProgram,
  compileShared,
  findCompiler,
  INCLUDE_DIR,
  isFresh,
  sourcesOf,
  type Variant,
  VARIANTS,
} from "../core/cbuild.ts";
import { runProgram } from "../core/child.ts";
import { findLibpython } from "../core/python.ts";
import { STATIC_TLS_ENV } from "../core/env.ts";
import { libraryPackage, locate, reason, recordSkip } from "../core/optional.ts";

/** Absolute path of `native/`. */
export const NATIVE_DIR: string = dirname(fileURLToPath(import.meta.url));
const SRC_DIR = join(NATIVE_DIR, "src");
const TEST_DIR = join(NATIVE_DIR, "test");

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

/** The library's C sources. */
export function librarySources(): string[] {
  return sourcesOf(SRC_DIR, [".c"]);
}

/** Every input of the library: its sources, private headers and the public headers. */
export function libraryInputs(): string[] {
  return [...sourcesOf(SRC_DIR, [".c", ".h"]), ...sourcesOf(INCLUDE_DIR, [".h"])];
}

/** True when a variant of liballocspec.so exists and is newer than every input (no build needed). */
export function nativeIsFresh(variant: Variant = "release"): boolean {
  return isFresh(libraryPath(variant), [...librarySources(), ...libraryInputs()]);
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
  return buildShared({
    sources: librarySources(),
    inputs: libraryInputs(),
    output: libraryPath(variant),
    variant,
    flags: ["-ldl"],
    force: opts.force,
    quiet: opts.quiet ?? true,
  });
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
function buildTestProgram(cc: string, name: string, variant: Variant, outDir: string): string {
  const lib = libraryPath(variant);
  mkdirSync(outDir, { recursive: true });
  return buildProgram({
    cc,
    sources: [join(TEST_DIR, `${name}.c`)],
    inputs: [...libraryInputs(), join(TEST_DIR, "check.h"), lib],
    output: join(outDir, name),
    variant,
    flags: [`-L${dirname(lib)}`, `-Wl,-rpath,${dirname(lib)}`, "-lallocspec", "-ldl"],
  });
}

/** Runs a program, echoes its output, parses its `N passed, N failed` line into the tally. */
function runCounted(t: Tally, label: string, cmd: string[], env: Record<string, string> = {}): boolean {
  const started = Date.now();
  const r = runProgram(cmd[0], cmd.slice(1), {
    inherit: true,
    env: { ...STATIC_TLS_ENV, ...env },
    timeoutMs: 0,
    maxBuffer: 256 << 20,
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
  // a skip for a third-party allocator the loader cannot open is a skip for its missing package
  for (const s of skips) {
    const pkg = libraryPackage(s.split(":")[0]);
    if (pkg && !locate(pkg)) recordSkip([pkg]);
  }
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
function skip(t: Tally, label: string, why: string): void {
  t.skipped += 1;
  t.lines.push(`${label}: SKIPPED (${why})`);
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

  if (locate("valgrind")) {
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
    skip(t, "valgrind", reason("valgrind")!);
    recordSkip(["valgrind"]);
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
      compileProgram({
        cc,
        sources: [join(TEST_DIR, "test_stress.c")],
        output: join(outDir, "test_stress"),
        flags: [...tsan, `-L${outDir}`, `-Wl,-rpath,${outDir}`, "-lallocspec"],
      });
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

  if (locate("clang")) {
    const outDir = join(BUILD_DIR, "clang");
    try {
      compileShared({
        cc: "clang",
        sources: librarySources(),
        output: join(outDir, "liballocspec.so"),
        flags: ["-O2", "-ldl"],
      });
      for (const name of ["test_api", "test_stress"]) {
        compileProgram({
          cc: "clang",
          sources: [join(TEST_DIR, `${name}.c`)],
          output: join(outDir, name),
          flags: ["-O2", `-L${outDir}`, `-Wl,-rpath,${outDir}`, "-lallocspec", "-ldl"],
        });
      }
      step(t, "clang -Wall -Wextra -Werror build", true);
      runCounted(t, "test_api (clang build)", [join(outDir, "test_api")]);
    } catch (e) {
      console.error((e as Error).message);
      step(t, "clang -Wall -Wextra -Werror build", false, "compile error above");
    }
  } else {
    skip(t, "clang -Werror build", reason("clang")!);
    recordSkip(["clang"]);
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
    }
    return 0;
  } catch (e) {
    console.error(`native/build.ts: ${(e as Error).message}`);
    return 1;
  }
}

if ((import.meta as { main?: boolean }).main) process.exit(main(process.argv.slice(2)));
