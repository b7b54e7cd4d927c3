/**
 * The one finder of Python and its shared libpython, as a user's machine finds them: the interpreter on
 * PATH (or the one the user names), and its library through the interpreter's own `sysconfig`.
 *
 * - {@link findPython}: the python3 to run (`$ALLOCSPEC_PYTHON`, else the real executable behind `python3`
 *   on PATH, `sys.executable`, so a wrapper such as pyenv's shim is not what runs).
 * - {@link findLibpython}: asks `$ALLOCSPEC_PYTHON`, else `python3` on PATH (or the interpreter named):
 *   `sysconfig` LIBDIR joined with INSTSONAME (the versioned soname, e.g.
 *   `libpython3.11.so.1.0`) or LDLIBRARY (`libpython3.11.so`); the first file that exists wins. A Python
 *   built without `--enable-shared` (Py_ENABLE_SHARED=0) has no such library: one clear line asking for an
 *   explicit path.
 * - {@link findPythonHeaders}: what an extension module of that interpreter is built against (sysconfig's
 *   include path, EXT_SUFFIX, the version).
 * - {@link resolveLibpython}: what every command does with a user's choice (`--target cpython:LIB`,
 *   `--python PY`, nothing): a `.so` path (must exist), an interpreter (asked as above), or nothing
 *   ({@link LIBPYTHON_ENV} when set, e.g. by a parent that resolved it already, else python3). Bad input is a
 *   {@link UsageError} naming the flag to use.
 *
 * @example
 * ```ts
 * import { findLibpython, resolveLibpython } from "./python.ts";
 * const { path, version } = findLibpython(); // the python3 on PATH, e.g. .../libpython3.11.so.1.0 3.11.7
 * console.log(path === resolveLibpython(), version);
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import process from "node:process";
import { controlledEnv, forSpawnSync } from "./env.ts";
import { UsageError } from "./usage.ts";

/** What {@link findLibpython} found. */
export interface LibpythonInfo {
  /** absolute path of the shared library */
  path: string;
  /** the interpreter's `platform.python_version()` */
  version: string;
  /** the interpreter asked */
  python: string;
}

/** The variable through which a parent hands its resolved libpython to its children (and the launcher). */
export const LIBPYTHON_ENV = "ALLOCSPEC_LIBPYTHON";

const PROBE = [
  "import json, platform, sys, sysconfig as s",
  "v = s.get_config_var",
  "print(json.dumps({'libdir': v('LIBDIR'), 'ldlibrary': v('LDLIBRARY'), 'instsoname': v('INSTSONAME'),",
  "  'shared': v('Py_ENABLE_SHARED'), 'version': platform.python_version(), 'executable': sys.executable}))",
].join("\n");

const DEFAULT_HINT = "--target cpython:/path/to/libpython3.X.so";

/**
 * The interpreter asked when none is named: `$ALLOCSPEC_PYTHON` (the user's choice, or a parent's that
 * resolved `python3` once, such as tools/run_tests.ts), else `python3` on PATH.
 */
export function defaultPython(env: Record<string, string | undefined> = process.env): string {
  return env.ALLOCSPEC_PYTHON || "python3";
}

/**
 * The questions run with `-S` (no `site`): `sys.executable`, `sysconfig`'s build-time variables and the
 * version do not depend on it, and the interpreter starts in half the CPU time (0.05 against 0.11 CPU-s,
 * `/usr/bin/time`, 3.11.7, 2026-12-07).
 */
const NO_SITE = "-S";

/**
 * One question's key: the interpreter named, the directory (pyenv's .python-version) and the environment it
 * runs in (PATH, pyenv's variables).
 */
const questionKey = (python: string, env: Record<string, string>) =>
  JSON.stringify([python, process.cwd(), Object.entries(env).sort()]); // Deno's order varies

/**
 * The real executable behind `python3` on PATH, by {@link questionKey}: learnt by {@link findPython} or by
 * {@link findLibpython}'s probe of `python3`, so that a process asks a wrapper such as pyenv's shim (a bash
 * script: ~20 processes and 0.35 CPU-s per start) at most once.
 */
const executables = new Map<string, string>();

/** The python3 to use: `$ALLOCSPEC_PYTHON`, else the real executable behind `python3` on PATH. */
export function findPython(env: Record<string, string | undefined> = process.env): string {
  if (env.ALLOCSPEC_PYTHON) return env.ALLOCSPEC_PYTHON;
  const key = questionKey("python3", controlledEnv());
  const known = executables.get(key);
  if (known && existsSync(known)) return known;
  const r = spawnSync("python3", [NO_SITE, "-c", "import sys; print(sys.executable)"], {
    encoding: "utf8",
    env: forSpawnSync(controlledEnv()),
    timeout: 60_000,
  });
  if (r.status !== 0 || !(r.stdout ?? "").trim()) {
    throw new Error("python3 not found: install CPython 3 (shared libpython) or set ALLOCSPEC_PYTHON");
  }
  executables.set(key, r.stdout.trim());
  return r.stdout.trim();
}

/** What {@link findLibpython} found, by question (interpreter, directory, environment). */
const answers = new Map<string, LibpythonInfo>();

/**
 * Locates the shared libpython of `python` (default: {@link defaultPython}). Throws an Error with one clear
 * line when the interpreter is missing, fails, or has no shared library; `hint` is the way to pass a
 * library explicitly that the line suggests (default `--target cpython:/path/to/libpython3.X.so`).
 */
export function findLibpython(python: string = defaultPython(), hint: string = DEFAULT_HINT): LibpythonInfo {
  const env = controlledEnv();
  // the answer depends on the interpreter named, the environment it runs in (PATH, pyenv's variables)
  // and the directory (pyenv's .python-version): asked once per process for each (a pyenv shim costs
  // ~30 processes and 0.4 CPU-s per question; test files ask at import; tools/run_tests.ts resolves it
  // once and hands $ALLOCSPEC_PYTHON to its suites)
  const key = questionKey(python, env);
  const hit = answers.get(key);
  if (hit && existsSync(hit.path)) return { ...hit };
  // python3 whose real executable this process knows already (findPython): asked directly
  const real = executables.get(key);
  const r = spawnSync(real && existsSync(real) ? real : python, [NO_SITE, "-c", PROBE], {
    encoding: "utf8",
    env: forSpawnSync(env),
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || "").trim().split("\n").pop();
    throw new Error(`cannot run ${python} to find libpython (${why}): install python3 or pass ${hint}`);
  }
  let info: {
    libdir?: string;
    ldlibrary?: string;
    instsoname?: string;
    shared?: number;
    version: string;
    executable?: string;
  };
  try {
    info = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch {
    throw new Error(`${python} printed no sysconfig data: pass ${hint}`);
  }
  if (python === "python3" && info.executable) executables.set(key, info.executable);
  const names = [info.instsoname, info.ldlibrary].filter((n): n is string => !!n && n.includes(".so"));
  for (const n of names) {
    const p = info.libdir ? join(info.libdir, n) : n;
    if (existsSync(p)) {
      answers.set(key, { path: p, version: info.version, python });
      return { path: p, version: info.version, python };
    }
  }
  const why = info.shared
    ? `none of ${names.join(", ")} exists in ${info.libdir}`
    : "it was built without --enable-shared";
  throw new Error(`${python} ${info.version} has no shared libpython (${why}): pass ${hint}`);
}

/** What {@link findPythonHeaders} found: what an extension module of `python` is built against. */
export interface PythonHeaders {
  /** sysconfig's `include` path (Python.h is there) */
  include: string;
  /** EXT_SUFFIX, e.g. `.cpython-311-x86_64-linux-gnu.so` */
  suffix: string;
  /** `platform.python_version()` */
  version: string;
}

/** What {@link findPythonHeaders} found, by {@link questionKey}. */
const headerAnswers = new Map<string, PythonHeaders>();

/**
 * The headers, extension suffix and version of `python` (default {@link defaultPython}), asked once per
 * process and question like {@link findLibpython}; throws one clear line when it has none.
 */
export function findPythonHeaders(python: string = defaultPython()): PythonHeaders {
  const env = controlledEnv();
  const key = questionKey(python, env);
  const known = headerAnswers.get(key);
  if (known && existsSync(join(known.include, "Python.h"))) return { ...known };
  const real = executables.get(key);
  const r = spawnSync(real && existsSync(real) ? real : python, [
    NO_SITE,
    "-c",
    "import sysconfig as s, platform; print(s.get_paths()['include']); print(s.get_config_var('EXT_SUFFIX')); print(platform.python_version())",
  ], { encoding: "utf8", env: forSpawnSync(env), timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`cannot ask ${python} for its headers: install python3 (with its headers)`);
  }
  const [include, suffix, version] = r.stdout.trim().split("\n");
  if (!existsSync(join(include, "Python.h"))) {
    throw new Error(`${include}/Python.h is missing: install the python3 development headers`);
  }
  headerAnswers.set(key, { include, suffix, version });
  return { include, suffix, version };
}

/** True when `p` names a shared library rather than an interpreter. */
export function isSharedLibrary(p: string): boolean {
  return /\.so(\.|$)/.test(basename(p));
}

/** Options of {@link resolveLibpython}. */
export interface ResolveLibpythonOptions {
  /** how the user passes a library, for the error line (default `--target cpython:/path/to/libpython3.X.so`) */
  hint?: string;
  /** the message's prefix naming who asks, e.g. "cpython target" */
  who?: string;
  /** where {@link LIBPYTHON_ENV} is read (default process.env) */
  env?: Record<string, string | undefined>;
}

/**
 * The shared libpython for `choice`: a `.so` path (it must exist; returned absolute), a python executable
 * (asked through sysconfig), or undefined ({@link LIBPYTHON_ENV} when set, else {@link defaultPython}).
 * Throws a one-line {@link UsageError}.
 */
export function resolveLibpython(choice?: string, opts: ResolveLibpythonOptions = {}): string {
  const hint = opts.hint ?? DEFAULT_HINT;
  const prefix = opts.who ? `${opts.who}: ` : "";
  if (choice && isSharedLibrary(choice)) {
    if (!existsSync(choice)) {
      throw new UsageError(`${prefix}library ${choice} not found: pass an existing libpython3.X.so`);
    }
    return resolve(choice);
  }
  if (!choice) {
    // set by a parent that resolved it already (or by the user): taken as is, the loader reports a bad one
    const fromEnv = (opts.env ?? process.env)[LIBPYTHON_ENV];
    if (fromEnv) return fromEnv;
  }
  const python = choice ?? defaultPython(opts.env ?? process.env);
  try {
    return findLibpython(python, hint).path; // asked once per process and environment (findLibpython)
  } catch (e) {
    throw new UsageError(`${prefix}${(e as Error).message}`);
  }
}
