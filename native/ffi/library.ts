/**
 * Opening shared libraries and resolving symbols, with one-line errors that name the file or symbol and
 * say what to do. Libraries are opened once per (path, table) and stay loaded for the process.
 *
 * @example
 * ```ts
 * import { symbolAddress } from "./library.ts";
 * const p = symbolAddress("libc.so.6", "malloc"); // a soname or a path; 0 never: a missing symbol throws
 * ```
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { ffi } from "./backend.ts";
import type { FfiLibrary, SymbolTable } from "./ffi_types.ts";

const opened = new Map<string, Map<SymbolTable, FfiLibrary>>();

function checkPath(path: unknown, what: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${what}: library path must be a non-empty string, got ${String(path)}`);
  }
  if (path.includes("/")) {
    if (!existsSync(path)) {
      throw new Error(`library not found: ${path}: check the path (build it first if it is a build output)`);
    }
    if (statSync(path).isDirectory()) throw new Error(`${path} is a directory, not a shared library`);
  }
  return path;
}

/** The loader's dlopen error as one line naming the file. */
function loadError(path: string, e: unknown): Error {
  let reason = String((e as Error)?.message ?? e).split("\n")[0];
  reason = reason.replace(/^(Could not open library: )+/, "");
  if (reason.startsWith(path + ": ")) reason = reason.slice(path.length + 2);
  let hint = "pass a shared library (.so) built for this machine";
  if (/invalid ELF header|file too short/.test(reason)) hint = "this file is not a shared library";
  else if (/wrong ELF class|ELF file OS ABI|machine/i.test(reason)) {
    hint = "it was built for another architecture/ABI: rebuild it for this machine";
  } else if (/No such file/.test(reason)) hint = "check the path";
  return new Error(`cannot load ${path}: ${reason}: ${hint}`);
}

/** Opens `path` resolving the symbols of `table` it exports (missing ones are undefined). */
export function openLibrary(path: string, table: SymbolTable, what = "dlopen"): FfiLibrary {
  checkPath(path, what);
  let byTable = opened.get(path);
  const hit = byTable?.get(table);
  if (hit) return hit;
  let lib: FfiLibrary;
  try {
    lib = ffi.open(path, table);
  } catch (e) {
    throw loadError(path, e);
  }
  if (!byTable) opened.set(path, byTable = new Map());
  byTable.set(table, lib);
  return lib;
}

/** Throws one clear line listing `names` missing from `lib`. */
export function requireSymbols(lib: FfiLibrary, names: readonly string[], hint: string): void {
  const missing = names.filter((n) => !lib.symbols[n]);
  if (missing.length) {
    const list = missing.length > 4
      ? `${missing.slice(0, 4).join(", ")} and ${missing.length - 4} more`
      : missing.join(", ");
    throw new Error(`${lib.path} does not export ${list}: ${hint}`);
  }
}

/**
 * Address of a data or function symbol of any shared library (the library stays loaded).
 * A missing library or symbol gives an Error with one line naming it.
 *
 * @example
 * ```ts
 * import { symbolAddress } from "./library.ts";
 * symbolAddress("libc.so.6", "malloc"); // a number
 * ```
 */
export function symbolAddress(libPath: string, name: string): number {
  checkPath(libPath, "symbolAddress");
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`symbolAddress: symbol name must be a non-empty string, got ${String(name)}`);
  }
  let a: number;
  try {
    a = ffi.symbolAddress(libPath, name);
  } catch (e) {
    throw loadError(libPath, e);
  }
  if (a === 0) {
    throw new Error(
      `symbol '${name}' not found in ${libPath}: export it (see nm -D --defined-only ${libPath}) or name another symbol`,
    );
  }
  return a;
}
