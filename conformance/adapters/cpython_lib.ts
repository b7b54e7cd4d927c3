/**
 * Finds the shared libpython of a Python interpreter (for the `cpython` conformance target).
 *
 * Asks the interpreter itself: `sysconfig` LIBDIR joined with INSTSONAME (the versioned soname, e.g.
 * `libpython3.11.so.1.0`) or LDLIBRARY (`libpython3.11.so`); the first file that exists wins. A Python
 * built without `--enable-shared` (Py_ENABLE_SHARED=0) has no such library: that is a clear error
 * asking for an explicit path (`--target cpython:/path/to/libpython3.X.so`).
 *
 * @example
 * ```ts
 * import { findLibpython } from "./cpython_lib.ts";
 * const { path, version } = findLibpython(); // the python3 on PATH
 * console.log(path, version); // e.g. .../lib/libpython3.11.so.1.0 3.11.7
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { controlledEnv, forSpawnSync } from "../child_env.ts";

/** What {@link findLibpython} found. */
export interface LibpythonInfo {
  /** absolute path of the shared library */
  path: string;
  /** the interpreter's `platform.python_version()` */
  version: string;
  /** the interpreter asked */
  python: string;
}

const PROBE = [
  "import json, platform, sysconfig as s",
  "v = s.get_config_var",
  "print(json.dumps({'libdir': v('LIBDIR'), 'ldlibrary': v('LDLIBRARY'), 'instsoname': v('INSTSONAME'),",
  "  'shared': v('Py_ENABLE_SHARED'), 'version': platform.python_version()}))",
].join("\n");

/**
 * Locates the shared libpython of `python` (default: `python3` on PATH). Throws an Error with one
 * clear line when the interpreter is missing, fails, or has no shared library.
 */
export function findLibpython(python = "python3"): LibpythonInfo {
  const r = spawnSync(python, ["-c", PROBE], {
    encoding: "utf8",
    env: forSpawnSync(controlledEnv()),
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || "").trim().split("\n").pop();
    throw new Error(
      `cannot run ${python} to find libpython (${why}): install python3 or pass --target cpython:/path/to/libpython3.X.so`,
    );
  }
  let info: { libdir?: string; ldlibrary?: string; instsoname?: string; shared?: number; version: string };
  try {
    info = JSON.parse(r.stdout.trim().split("\n").pop() ?? "");
  } catch {
    throw new Error(`${python} printed no sysconfig data: pass --target cpython:/path/to/libpython3.X.so`);
  }
  const names = [info.instsoname, info.ldlibrary].filter((n): n is string => !!n && n.includes(".so"));
  for (const n of names) {
    const p = info.libdir ? join(info.libdir, n) : n;
    if (existsSync(p)) return { path: p, version: info.version, python };
  }
  const why = info.shared
    ? `none of ${names.join(", ")} exists in ${info.libdir}`
    : "it was built without --enable-shared";
  throw new Error(
    `${python} ${info.version} has no shared libpython (${why}): pass --target cpython:/path/to/libpython3.X.so`,
  );
}
