/**
 * The few CPython embedding calls the `cpython` target needs besides PEP 445: `Py_InitializeEx(0)`
 * (initialise as an embedding program does, without signal handlers), `Py_IsInitialized`, and the GIL
 * pair `PyEval_SaveThread` / `PyEval_RestoreThread`, plus `PyGILState_Check` to tell whether this
 * thread holds the GIL.
 *
 * The interpreter starts without the `site` module (native/ffi/foreign.ts `startWithoutSite`).
 *
 * Every symbol is optional: a library that implements only the PEP 445 symbols (the native build of
 * this project, another implementation of the C API) is used as it is; {@link Embedding.initialize}
 * then does nothing and the GIL calls are unavailable.
 *
 * @example
 * ```ts
 * import { openEmbedding } from "./cpython_embed.ts";
 * import { findLibpython } from "../../core/python.ts";
 * const py = openEmbedding(findLibpython().path); // the python3 on PATH's shared libpython
 * py.initialize();
 * py.releaseGil(); py.acquireGil();
 * ```
 * @module
 */
import { openLibrary } from "../../native/ffi/library.ts";
import { startWithoutSite } from "../../native/ffi/foreign.ts";

/** Embedding controls over one libpython. */
export interface Embedding {
  /** Which of the embedding symbols the library exports. */
  readonly has: { init: boolean; gil: boolean; gilCheck: boolean };
  /** `if (!Py_IsInitialized()) Py_InitializeEx(0)`; a no-op when the library has no Py_InitializeEx. */
  initialize(): void;
  /** `PyEval_SaveThread()` unless already released; throws when the library has no GIL API. */
  releaseGil(): void;
  /** `PyEval_RestoreThread(saved)` when released. */
  acquireGil(): void;
  /** Whether releaseGil() is in effect. */
  readonly released: boolean;
  /** `PyGILState_Check()`, or undefined when absent. */
  gilCheck(): number | undefined;
}

type Fns = {
  init?: (flag: number) => void;
  isInit?: () => number;
  save?: () => unknown;
  restore?: (ts: unknown) => void;
  check?: () => number;
};

const SYMBOLS = {
  Py_InitializeEx: { parameters: ["i32"], result: "void" },
  Py_IsInitialized: { parameters: [], result: "i32" },
  PyEval_SaveThread: { parameters: [], result: "pointer" },
  PyEval_RestoreThread: { parameters: ["pointer"], result: "void" },
  PyGILState_Check: { parameters: [], result: "i32" },
} as const;

function denoFns(path: string): Fns {
  const D = (globalThis as any).Deno;
  const defs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(SYMBOLS)) defs[k] = { ...v, optional: true };
  const s = D.dlopen(path, defs).symbols;
  return {
    init: s.Py_InitializeEx ?? undefined,
    isInit: s.Py_IsInitialized ?? undefined,
    save: s.PyEval_SaveThread ?? undefined,
    restore: s.PyEval_RestoreThread ?? undefined,
    check: s.PyGILState_Check ?? undefined,
  };
}

let bunMod: any;

function bunFns(path: string): Fns {
  const { dlopen } = bunMod;
  const one = (name: keyof typeof SYMBOLS): any => {
    const d = SYMBOLS[name];
    const args = d.parameters.map((p) => (p === "pointer" ? "ptr" : p));
    const returns = d.result === "pointer" ? "ptr" : d.result;
    try {
      return dlopen(path, { [name]: { args, returns } }).symbols[name];
    } catch {
      return undefined; // symbol absent
    }
  };
  return {
    init: one("Py_InitializeEx"),
    isInit: one("Py_IsInitialized"),
    save: one("PyEval_SaveThread"),
    restore: one("PyEval_RestoreThread"),
    check: one("PyGILState_Check"),
  };
}

/** Opens the embedding symbols of `path` (synchronous in both runtimes). */
export function openEmbedding(path: string): Embedding {
  let f: Fns;
  if ((globalThis as any).Deno) f = denoFns(path);
  else if ((globalThis as any).Bun) {
    bunMod ??= requireBunFfi();
    f = bunFns(path);
  } else throw new Error("the cpython target needs Deno or Bun (FFI)");
  let saved: unknown = undefined;
  let released = false;
  return {
    has: { init: !!f.init, gil: !!(f.save && f.restore), gilCheck: !!f.check },
    initialize() {
      if (!f.init) return;
      if (f.isInit && f.isInit()) return;
      startWithoutSite(path);
      f.init(0);
    },
    releaseGil() {
      if (!f.save || !f.restore) {
        throw new Error(`${path} exports no PyEval_SaveThread/PyEval_RestoreThread: cannot release the GIL`);
      }
      if (released) return;
      saved = f.save();
      released = true;
    },
    acquireGil() {
      if (!released || !f.restore) return;
      f.restore(saved);
      released = false;
    },
    get released() {
      return released;
    },
    gilCheck: () => (f.check ? f.check() : undefined),
  };
}

const RUN = { PyRun_SimpleString: { params: ["buf"], result: "i32" } } as const;

/** Runs Python source in the embedded interpreter (GIL held); a non-zero status is an Error. */
export function runPython(libpython: string, source: string): void {
  const f = openLibrary(libpython, RUN).symbols.PyRun_SimpleString;
  if (!f) throw new Error(`${libpython} does not export PyRun_SimpleString`);
  const rc = f(new TextEncoder().encode(source + "\0"));
  if (rc !== 0) throw new Error(`Python failed running ${JSON.stringify(source)} (see stderr)`);
}

/**
 * Makes CPython's fatal-error path run no Python code, in a process whose debug hooks are set up at run
 * time (a death child of a hook over libpython). `fatal_error()` (Python/pylifecycle.c, 3.8-3.13) calls
 * `flush_std_files()` when the thread holds the GIL: `getattr(sys.stdout, "closed")` and `.flush()` on
 * sys.stdout and sys.stderr. That Python code replaces type-cache entries and recycles free lists, so it
 * frees objects allocated BEFORE the debug hooks were set up (cpython-facts.md §2.7); the hooks read a
 * size from a header that is not there, and `_PyObject_DebugDumpAddress` segfaults reading the "tail" at
 * that garbage address (or a second "bad ID" aborts: which one depends on the bytes before the block,
 * i.e. on ASLR). Measured, CPython 3.11.7 under tracemalloc: debug_pads/trailing_pad_overflow_detected
 * [OBJ/tail+3] died by SIGSEGV in 5 of 20 runs, backtrace _PyObject_DebugDumpAddress <- Py_DECREF <-
 * _PyType_Lookup <- file_is_closed <- flush_std_files <- fatal_error. With sys.stdout and sys.stderr set
 * to None, flush_std_files() skips both (it checks for None): 40 of 40 runs SIGABRT. The diagnostic text
 * is unaffected: the dump and the "Fatal Python error" line are written to fd 2 directly.
 */
export function quietFatalPath(libpython: string): void {
  runPython(libpython, "import sys; sys.stdout = sys.stderr = None");
}

/** Bun loads its FFI module synchronously through `import.meta.require` (Bun only). */
function requireBunFfi(): any {
  return (import.meta as any).require("bun:ffi");
}
