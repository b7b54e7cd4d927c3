/**
 * The dynamic-loader side of the `hook:` targets, through libc's own `dlopen`/`dlsym`/`dlerror`
 * (glibc 2.34+ exports them from libc.so.6), because a hook is loaded the way real hooks are:
 *
 * - {@link promoteGlobal}: the PEP 445 implementation the FFI opened with local scope (liballocspec.so
 *   or libpython) is re-opened with `RTLD_NOLOAD | RTLD_GLOBAL`, so a hook's undefined
 *   `PyMem_GetAllocator`/`PyMem_SetAllocator` (or its `dlsym(RTLD_DEFAULT, ...)`) resolve BY NAME.
 * - {@link HookLibrary}: `dlopen(path, RTLD_NOW | RTLD_LOCAL)` (load-time constructors run then), then
 *   `dlsym(handle, "pep445_hook_install")` and, when exported, one call. Every install after the first
 *   loads a FRESH COPY of the file (a new path is a new object for the loader, with its own static
 *   variables; the copy is unlinked once mapped): each copy is loaded and installed exactly once, as in
 *   a new process (the launcher's layer contract: load, then call `pep445_hook_install` if exported).
 *   So a hook with an install-once guard (`if (installed) return 0;`), a hook that installs from a
 *   constructor, and one that does both (a constructor calling its own guarded, exported install) are
 *   judged alike, on every case.
 *
 * @example
 * ```ts
 * import { HookLibrary, promoteGlobal } from "./hook_dl.ts";
 * // promoteGlobal(libpythonPath);
 * // const h = new HookLibrary("./libmyhook.so"); const rc = h.install(); // 0 = success
 * ```
 * @module
 */
import { copyFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import process from "node:process";
import { ffi, type SymbolTable } from "../../native/mod.ts";

const RTLD_NOW = 2;
const RTLD_NOLOAD = 4;
const RTLD_GLOBAL = 0x100;

const LIBC_TABLE: SymbolTable = {
  dlopen: { params: ["buf", "i32"], result: "ptr" },
  dlsym: { params: ["ptr", "buf"], result: "ptr" },
  dlerror: { params: [], result: "ptr" },
};

type Fn = (...args: unknown[]) => unknown;
let libc: Record<"dlopen" | "dlsym" | "dlerror", Fn> | undefined;
function dl(): Record<"dlopen" | "dlsym" | "dlerror", Fn> {
  if (libc) return libc;
  const s = ffi.open("libc.so.6", LIBC_TABLE).symbols;
  if (!s.dlopen || !s.dlsym || !s.dlerror) throw new Error("libc.so.6 exports no dlopen/dlsym/dlerror");
  return (libc = { dlopen: s.dlopen, dlsym: s.dlsym, dlerror: s.dlerror });
}
const cstr = (s: string) => new TextEncoder().encode(s + "\0");

/** The loader's last error as one line. */
function dlerror(): string {
  const p = dl().dlerror() as number;
  return p ? ffi.cstring(p).split("\n")[0] : "unknown dynamic-loader error";
}

/** Gives an already loaded library global scope (its symbols become reachable by name). */
export function promoteGlobal(path: string): void {
  const h = dl().dlopen(cstr(path), RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) as number;
  if (!h) throw new Error(`cannot give ${path} global scope: ${dlerror()}`);
}

/** A hook library: loaded on the first install, a fresh copy loaded for every later install. */
export class HookLibrary {
  #loads = 0;
  /** true once loaded when the library exports `pep445_hook_install` */
  hasInstall = false;
  constructor(readonly path: string) {}

  #load(path: string): number {
    const h = dl().dlopen(cstr(path), RTLD_NOW) as number;
    if (!h) throw new Error(`cannot load ${this.path}: ${dlerror().replace(path + ": ", "")}`);
    this.#loads++;
    return h;
  }

  /** Loads the file itself the first time, a fresh copy of it every later time; returns the handle. */
  #loadFresh(): number {
    if (this.#loads === 0) return this.#load(this.path);
    // the copy is unlinked as soon as it is mapped: nothing is left behind, even by a process that crashes
    const copy = join(tmpdir(), `allocspec-hook-${process.pid}-${this.#loads}-${basename(this.path)}`);
    copyFileSync(this.path, copy);
    try {
      return this.#load(copy);
    } finally {
      rmSync(copy, { force: true });
    }
  }

  /**
   * Installs the hook over the allocators currently in place: loads the library (the first time) or a
   * fresh copy of it (every later time; its constructors run), then calls that copy's
   * `pep445_hook_install` when exported. Returns the install status (0 for constructor hooks). Throws an
   * Error (one line) when the library cannot be loaded.
   */
  install(): number {
    const h = this.#loadFresh();
    const f = dl().dlsym(h, cstr("pep445_hook_install")) as number;
    this.hasInstall = f !== 0;
    if (!f) return 0;
    return (ffi.fnPointer(f, { params: [], result: "i32" }) as () => number)();
  }
}
