/**
 * The one C build module: compiler detection, the build variants and their flags, the project's warning
 * flags, compiling a shared library or a program atomically, freshness (rebuild only when an input is
 * newer), where builds go, and the environment that loads an ASan-instrumented library. Every folder
 * builds its own C through it (native/ its library and C tests, targets/ the launcher, debug/ its layer
 * libraries, clients/libs/ its harnesses, the fixtures theirs); nothing here knows another folder's layout.
 *
 * - Compiler: `$CC` when set (it must run), else the first of cc, gcc, clang that runs; none is a
 *   {@link NoCompilerError} with one line saying what to do.
 * - Variants: `release` (-O2), `debug` (-O0 -g), `asan` (-O1 -g -fsanitize=address,undefined).
 * - Every C file: C11, `-Wall -Wextra -Werror` ({@link WARN_FLAGS}); shared libraries also `-fPIC
 *   -fvisibility=hidden -Wl,-Bsymbolic -pthread` (only exported symbols are visible; calls inside a library
 *   never go through the PLT, so a libpython loaded in the same process cannot interpose on them).
 * - The project's public headers ({@link INCLUDE_DIR}: `native/include`, e.g. `pep445.h`) are on every
 *   include path.
 * - Outputs go under {@link BUILD_DIR}: `native/build/`, or `$ALLOCSPEC_CACHE_DIR/native/` when the
 *   installed `allocspec` command set that variable (a per-user cache; nothing is written into the
 *   package's install folder). Writes are atomic (a temp file renamed over the output), so concurrent
 *   builds never load a half-written file.
 *
 * @example
 * ```ts
 * import { buildShared } from "./cbuild.ts";
 * const so = buildShared({ sources: ["fixture.c"], output: "/tmp/libfixture.so", flags: ["-O2"] });
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { PROJECT_ROOT } from "./runtime.ts";
import { UsageError } from "./usage.ts";

/** A build flavour. */
export type Variant = "release" | "debug" | "asan";
/** All variants, in build order. */
export const VARIANTS: readonly Variant[] = ["release", "debug", "asan"];

/** The flags of each variant. */
export const VARIANT_FLAGS: Readonly<Record<Variant, readonly string[]>> = {
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

/** Warning and language flags every C file of the project is compiled with. */
export const WARN_FLAGS: readonly string[] = ["-std=c11", "-Wall", "-Wextra", "-Werror"];

/** The project's public C headers (`native/include`: allocspec.h, pep445.h), on every include path. */
export const INCLUDE_DIR: string = join(PROJECT_ROOT, "native", "include");

/** Where builds go (module doc). */
export const BUILD_DIR: string = process.env.ALLOCSPEC_CACHE_DIR
  ? join(resolve(process.env.ALLOCSPEC_CACHE_DIR), "native")
  : join(PROJECT_ROOT, "native", "build");

/** Thrown when no C compiler can be found; its message is one line saying what to do. */
export class NoCompilerError extends Error {
  override name = "NoCompilerError";
}

/** True when `cmd --version` runs (a program that is installed and works). */
export function hasProgram(cmd: string): boolean {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return !r.error && r.status === 0;
}

const compilers = new Map<string, string>();

/**
 * The C compiler to use: `$CC` when set (it must work), else the first of cc, gcc, clang that runs.
 * Throws {@link NoCompilerError} with one clear line otherwise.
 */
export function findCompiler(env: Record<string, string | undefined> = process.env): string {
  const fromEnv = env.CC?.trim() ?? "";
  const hit = compilers.get(fromEnv);
  if (hit) return hit;
  let found: string | undefined;
  if (fromEnv) {
    if (!hasProgram(fromEnv)) {
      throw new NoCompilerError(
        `the C compiler CC='${fromEnv}' does not run: set CC to a working compiler (gcc or clang) or unset it`,
      );
    }
    found = fromEnv;
  } else {
    found = ["cc", "gcc", "clang"].find(hasProgram);
  }
  if (!found) {
    throw new NoCompilerError(
      "no C compiler found (tried cc, gcc, clang): install gcc or clang, or set CC to one",
    );
  }
  compilers.set(fromEnv, found);
  return found;
}

/** The files of `dir` ending in one of `ext`, sorted, absolute (none when `dir` is missing). */
export function sourcesOf(dir: string, ext: readonly string[] = [".c"]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => ext.some((e) => f.endsWith(e))).sort().map((f) => join(dir, f));
}

/** The newest modification time of `paths` (missing ones ignored; 0 when none exists). */
export function newestMtime(paths: readonly string[]): number {
  let m = 0;
  for (const p of paths) if (existsSync(p)) m = Math.max(m, statSync(p).mtimeMs);
  return m;
}

/** True when `output` exists and is not older than any of `inputs`. */
export function isFresh(output: string, inputs: readonly string[]): boolean {
  return existsSync(output) && statSync(output).mtimeMs >= newestMtime(inputs);
}

/** Runs a compiler; throws an Error carrying the compiler's output on failure. */
export function runCompiler(cc: string, args: readonly string[], quiet = true): void {
  if (!quiet) console.error(`$ ${cc} ${args.join(" ")}`);
  const r = spawnSync(cc, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`could not run ${cc}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cc} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
}

/** What to compile. */
export interface CompileOptions {
  sources: readonly string[];
  output: string;
  /** extra flags; `-l...` ones go after the sources */
  flags?: readonly string[];
  /** a variant's flags (default: none beyond `flags`) */
  variant?: Variant;
  quiet?: boolean;
  cc?: string;
}

function compileTo(kind: "shared" | "program", opts: CompileOptions): void {
  const cc = opts.cc ?? findCompiler();
  const output = resolve(opts.output);
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.tmp.${process.pid}.${Date.now()}`;
  const flags = [...(opts.variant ? VARIANT_FLAGS[opts.variant] : []), ...(opts.flags ?? [])];
  const args = [
    ...WARN_FLAGS,
    ...(kind === "shared" ? ["-fPIC", "-shared", "-fvisibility=hidden", "-Wl,-Bsymbolic"] : []),
    "-pthread",
    `-I${INCLUDE_DIR}`,
    ...flags.filter((f) => !f.startsWith("-l")),
    ...opts.sources,
    "-o",
    tmp,
    ...flags.filter((f) => f.startsWith("-l")),
  ];
  try {
    runCompiler(cc, args, opts.quiet ?? true);
    renameSync(tmp, output);
  } finally {
    if (existsSync(tmp)) rmSync(tmp);
  }
}

/**
 * Compiles C sources into a shared library with the project's flags (module doc) plus `flags`, atomically.
 *
 * @example
 * ```ts
 * import { compileShared } from "./cbuild.ts";
 * compileShared({ sources: ["fixture.c"], output: "/tmp/libfixture.so", flags: ["-O2"] });
 * ```
 */
export function compileShared(opts: CompileOptions): void {
  compileTo("shared", opts);
}

/** Compiles C sources into an executable with the project's warning flags plus `flags`, atomically. */
export function compileProgram(opts: CompileOptions): void {
  compileTo("program", opts);
}

/** A build that is skipped while fresh: {@link CompileOptions} plus the inputs whose times decide it. */
export interface BuildOptions extends CompileOptions {
  /** every file the output depends on besides `sources` (headers, libraries it links) */
  inputs?: readonly string[];
  /** build even when fresh */
  force?: boolean;
}

/** Builds a shared library when missing or older than an input (or `force`); returns its absolute path. */
export function buildShared(opts: BuildOptions): string {
  const out = resolve(opts.output);
  if (!opts.force && isFresh(out, [...opts.sources, ...(opts.inputs ?? [])])) return out;
  compileShared({ ...opts, output: out });
  return out;
}

/** Builds an executable when missing or older than an input (or `force`); returns its absolute path. */
export function buildProgram(opts: BuildOptions): string {
  const out = resolve(opts.output);
  if (!opts.force && isFresh(out, [...opts.sources, ...(opts.inputs ?? [])])) return out;
  compileProgram({ ...opts, output: out });
  return out;
}

/**
 * The environment a process needs to dlopen an ASan-instrumented library (the runtime itself is not):
 * the compiler's libasan in `LD_PRELOAD` and the sanitizers' options. Throws a one-line UsageError when
 * no compiler ships libasan.
 */
export function sanitizerEnv(): Record<string, string> {
  for (const cc of [process.env.CC, "gcc", "clang"].filter((c): c is string => !!c)) {
    const r = spawnSync(cc, ["-print-file-name=libasan.so"], { encoding: "utf8" });
    const p = (r.stdout ?? "").trim();
    if (r.status === 0 && p.startsWith("/") && existsSync(p)) {
      return {
        LD_PRELOAD: p,
        ASAN_OPTIONS: "detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
        UBSAN_OPTIONS: "print_stacktrace=1",
      };
    }
  }
  throw new UsageError(
    "native:asan needs the compiler's libasan.so (gcc -print-file-name=libasan.so found none)",
  );
}
