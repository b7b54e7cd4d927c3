/**
 * {@link Pep445} over ANY shared library exporting CPython's allocator symbols (libpython3.x.so, the
 * native build, a third-party re-implementation), using only the PEP 445 symbols:
 * the twelve entry points, PyMem_Get/SetAllocator, PyObject_Get/SetArenaAllocator, PyMem_SetupDebugHooks
 * (abi "shipped"), or the 2013 draft names (abi "2013"). Symbols the library does not export make the
 * corresponding methods throw `"<name> is not exported by <lib>"`.
 *
 * Host controls:
 * - Violation mode is always "abort": a foreign library reports misuse its own way (CPython's debug hooks
 *   print and abort()). `setViolationMode("throw")` throws an Error saying so.
 * - `setGilHeld` uses `PyEval_SaveThread` / `PyEval_RestoreThread` when the library exports them and the
 *   interpreter is initialized (see {@link ForeignPep445.initializePython}); otherwise it throws.
 * - `close()` restores the allocators the library had when it was loaded if a JS allocator was installed
 *   (the trampolines are released, so C must not keep pointers to them), then releases handles/callbacks.
 *   Until then every JS function ever installed keeps its trampoline (cached per function).
 * - libpython specifics (cpython-facts.md §1.3, §2.7): after `initializePython()` a Set may only *wrap* the
 *   current allocator (blocks allocated before must still be freed by it), and `PyMem_SetupDebugHooks()` on
 *   an initialized interpreter makes later frees of older blocks fail (bad ID / SIGSEGV): call it before
 *   `initializePython()` or in a child process.
 *
 * @example
 * ```ts
 * import { loadPep445Library } from "./foreign.ts";
 * import { findLibpython } from "../../core/python.ts";
 * const py = loadPep445Library(findLibpython().path); // python3's shared libpython (sysconfig)
 * py.initializePython();
 * const p = py.PyMem_RawMalloc(16);
 * py.PyMem_RawFree(p);
 * py.close();
 * ```
 * @module
 */
import type { Geometry, Pep445Options, Profile, ViolationMode } from "../../ref/types.ts";
import { ENTRY_NAMES, ENTRY_POINT_NAMES, type EntryOp, entryOp } from "../../ref/types.ts";
import { ffi } from "./backend.ts";
import type { SymbolTable } from "./ffi_types.ts";
import { openLibrary, requireSymbols, symbolAddress } from "./library.ts";
import { FfiPep445 } from "./pep445_ffi.ts";
import { ProcessMemory } from "./memory.ts";
import { getPtr } from "./structs.ts";
import { DRAFT_2013_API, ENTRY_POINTS, PYTHON_HOST, SHIPPED_API } from "./symbols.ts";

/** Addresses of a library's PyMem_GetAllocator / PyMem_SetAllocator (targets of passthrough/trace hooks). */
export interface ForeignApi {
  getAllocator: number;
  setAllocator: number;
}

/** Entry-point addresses per domain (RAW, MEM, OBJ), for allocspec_replay (`allocspec_entry_table`). */
export interface EntryTable {
  malloc: readonly [number, number, number];
  calloc: readonly [number, number, number];
  realloc: readonly [number, number, number];
  free: readonly [number, number, number];
}

/** Options of {@link loadPep445Library}. */
export interface ForeignOptions extends Pep445Options {
  /** Which API names the library exports: CPython's (default) or the 2013 draft's. */
  abi?: "shipped" | "2013";
}

const FOREIGN_TABLE: SymbolTable = { ...ENTRY_POINTS, ...SHIPPED_API, ...DRAFT_2013_API, ...PYTHON_HOST };
/** The entry points a foreign library must have (calloc is 3.5+: optional, emulated when missing). */
const REQUIRED = ENTRY_POINT_NAMES.filter((n) => entryOp(n) !== "calloc");

/** The entry-point addresses of `libPath` (bench: replay through libpython's entry points). */
export function entryTableOf(libPath: string): EntryTable {
  const a = (op: EntryOp) =>
    ENTRY_NAMES[op].map((n) => symbolAddress(libPath, n)) as [number, number, number];
  return { malloc: a("malloc"), calloc: a("calloc"), realloc: a("realloc"), free: a("free") };
}

/** A PEP 445 implementation living in a foreign shared library. */
export class ForeignPep445 extends FfiPep445 {
  readonly abi: "shipped" | "2013";
  #saved: { domains: Uint32Array[]; arena: Uint32Array } | null = null;
  #tstate: number | bigint = 0;

  constructor(path: string, opts: ForeignOptions) {
    const abi = opts.abi ?? "shipped";
    if (abi !== "shipped" && abi !== "2013") {
      throw new TypeError(`loadPep445Library: abi must be "shipped" or "2013", got ${String(abi)}`);
    }
    const profile: Profile = opts.profile ?? "cpython";
    const geometry: Geometry = opts.geometry ?? (profile === "cpython" ? "cpython310" : "pep445");
    const lib = openLibrary(path, FOREIGN_TABLE, "loadPep445Library");
    requireSymbols(lib, REQUIRED, "not a library exporting CPython's allocator API");
    super({
      name: `foreign:${path.split("/").pop()}`,
      libPath: path,
      ffi,
      lib,
      profile,
      geometry,
      nullCallocOk: false,
    });
    this.abi = abi;
    if (opts.violation === "throw") this.setViolationMode("throw");
    this.#saved = this.#snapshot();
  }

  /** Reads the current allocators as raw pointer slots (no JS wrappers), to restore them on close. */
  #snapshot(): { domains: Uint32Array[]; arena: Uint32Array } | null {
    const s = this.lib.symbols;
    if (this.abi === "shipped" && s.PyMem_GetAllocator && s.PyObject_GetArenaAllocator) {
      const domains = [0, 1, 2].map((d) => {
        const b = new Uint32Array(10);
        s.PyMem_GetAllocator!(d, b);
        return b;
      });
      const arena = new Uint32Array(6);
      s.PyObject_GetArenaAllocator(arena);
      return { domains, arena };
    }
    if (this.abi === "2013" && s.PyMem_GetRawAllocators && s._PyObject_GetArenaAllocators) {
      const domains = ["PyMem_GetRawAllocators", "PyMem_GetAllocators", "PyObject_GetAllocators"].map((n) => {
        const b = new Uint32Array(8);
        s[n]!(b);
        return b;
      });
      const arena = new Uint32Array(6);
      s._PyObject_GetArenaAllocators(arena.subarray(0, 2), arena.subarray(2, 4), arena.subarray(4, 6));
      return { domains, arena };
    }
    return null;
  }

  #restore(): void {
    const saved = this.#saved, s = this.lib.symbols;
    if (!saved) return;
    if (this.abi === "shipped") {
      saved.domains.forEach((b, d) => s.PyMem_SetAllocator!(d, b));
      s.PyObject_SetArenaAllocator!(saved.arena);
    } else {
      ["PyMem_SetRawAllocators", "PyMem_SetAllocators", "PyObject_SetAllocators"].forEach((n, d) =>
        s[n]!(saved.domains[d])
      );
      s._PyObject_SetArenaAllocators!(getPtr(saved.arena, 0), getPtr(saved.arena, 1), getPtr(saved.arena, 2));
    }
  }

  /** Address of an exported symbol of this library. */
  symbol(name: string): number {
    return symbolAddress(this.libPath, name);
  }

  /** PyMem_GetAllocator / PyMem_SetAllocator addresses (for passthroughInstall/traceInstall targets). */
  foreignApi(): ForeignApi {
    return {
      getAllocator: this.symbol("PyMem_GetAllocator"),
      setAllocator: this.symbol("PyMem_SetAllocator"),
    };
  }

  /** The library's entry-point addresses (for replay). */
  entryTable(): EntryTable {
    return entryTableOf(this.libPath);
  }

  /** Calls Py_InitializeEx(0) if the library exports it and the interpreter is not initialized yet. */
  initializePython(): void {
    const s = this.lib.symbols;
    if (!s.Py_InitializeEx || !s.Py_IsInitialized) {
      throw new Error(`${this.libPath} does not export Py_InitializeEx/Py_IsInitialized: not a libpython`);
    }
    if (!s.Py_IsInitialized()) {
      startWithoutSite(this.libPath);
      s.Py_InitializeEx(0);
    }
  }

  /** The GIL through PyEval_SaveThread/PyEval_RestoreThread (initialized libpython only). */
  setGilHeld(held: boolean): void {
    const s = this.lib.symbols;
    if (!s.PyEval_SaveThread || !s.PyEval_RestoreThread || !s.Py_IsInitialized) {
      throw new Error(
        `setGilHeld: ${this.libPath} does not export PyEval_SaveThread/PyEval_RestoreThread: no GIL to control`,
      );
    }
    if (!s.Py_IsInitialized()) {
      throw new Error(
        `setGilHeld: the interpreter in ${this.libPath} is not initialized: call initializePython() first`,
      );
    }
    if (held) {
      if (this.#tstate !== 0) {
        s.PyEval_RestoreThread(this.#tstate);
        this.#tstate = 0;
      }
    } else if (this.#tstate === 0) {
      this.#tstate = s.PyEval_SaveThread();
    }
  }

  /** Only "abort": a foreign library's debug hooks print and abort() (CPython's behaviour). */
  setViolationMode(mode: ViolationMode): void {
    if (mode === "abort") return;
    throw new Error(
      `violation mode "${
        String(mode)
      }" is not available for ${this.libPath}: a foreign library's debug hooks always print and abort (mode "abort")`,
    );
  }

  /** Restores the allocators found at load time if JS allocators were installed, then releases callbacks. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#tstate !== 0) this.setGilHeld(true);
    if (this.installedJs) this.#restore();
    this.bridge.close();
  }
}

/**
 * A {@link Pep445} over any library exporting CPython's allocator symbols.
 * A missing library or required symbol gives an Error with one line naming it.
 */
export function loadPep445Library(path: string, opts: ForeignOptions = {}): ForeignPep445 {
  return new ForeignPep445(path, opts);
}

/**
 * Makes the next `Py_InitializeEx` of `libpython` start without the `site` module (`Py_NoSiteFlag = 1`, as
 * `python -S`), when the library exports the flag. What the machine's site-packages run at startup is not
 * the allocator under test: a `.pth` file is arbitrary code in every worker and death child, and one that
 * starts tracemalloc or installs a PEP 445 hook would change the verdicts. The one on the machine this was
 * measured on (2026-12-07, CPython 3.11.7: a sandbox's certifi patch) imported 79 modules, 0.05 of the
 * 0.06 CPU-s that `python3 -c pass` costs. The flag is one of the legacy global configuration variables
 * that `Py_InitializeEx` still reads (deprecated in 3.12, pending removal in 3.16, where
 * `PyConfig.site_import` replaces it); a library without it starts with `site`.
 */
export function startWithoutSite(libpython: string): void {
  const at = ffi.symbolAddress(libpython, "Py_NoSiteFlag");
  if (at) new ProcessMemory(ffi).write(at, new Uint8Array(new Int32Array([1]).buffer));
}
