/**
 * The `cpython[:PATH]` conformance target: a real libpython 3.x in this process.
 *
 * - PATH defaults to the shared libpython of the `python3` on PATH (core/python.ts). Workers receive the
 *   resolved path through the environment ({@link LIBPYTHON_ENV}), so python3 is asked only once per run.
 * - The library is loaded through `loadPep445Library` (native/mod.ts): every PEP 445 call goes straight
 *   to libpython's exported entry points. It needs only the PEP 445 symbols plus, when present,
 *   `Py_InitializeEx` (called once per process with 0, as an embedding program does, before the first
 *   case) and `PyEval_SaveThread`/`PyEval_RestoreThread` (the GIL, for `setGilHeld`). So the same target
 *   also runs against the native build or any other implementation of the C API.
 * - Python cannot be re-initialised, so "fresh state per case" is: the allocators of the three domains
 *   and the arena allocator as Py_InitializeEx left them, captured before the first case and restored
 *   after every case (`close`), and the GIL held again. Blocks a case leaves live are leaked.
 * - Profile "cpython" only (CPython 3.8+ bytes and texts; the 2013 draft API does not exist in CPython).
 * - The debug hooks: a case calls `PyMem_SetupDebugHooks()`, which CPython (3.6+, also in release builds)
 *   installs over the current allocators at run time; nothing else allocates in the process while a
 *   case runs (no Python code runs), so only the case's own blocks go through them. CPython's hooks can
 *   only abort (`Py_FatalError`): violation cases run as death children (violationModes ["abort"]) and
 *   are judged by SIGABRT and stderr.
 *
 * @example
 * ```ts
 * import { cpythonFactory } from "./cpython.ts";
 * const a = cpythonFactory(undefined, { abi: "shipped" });
 * const py = a.open("cpython");
 * const p = py.PyMem_Malloc(16); py.PyMem_Free(p);
 * a.close?.();
 * ```
 * @module
 */
import { type AdapterFactory, type BuildDefaults, type Capability } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { cErrno } from "../errno.ts";
import { LIBPYTHON_ENV, resolveLibpython } from "../../core/python.ts";
import { type Embedding, openEmbedding } from "./cpython_embed.ts";
import { wrapForeign } from "./cpython_state.ts";
import { detectDefaults } from "./cpython_defaults.ts";
import { probeLibrary } from "../../targets/probe.ts";
import { loadPep445Library } from "../../native/mod.ts";
import { ENTRY_POINT_NAMES, type Pep445, type Profile } from "../../ref/types.ts";

/** Environment variable carrying the resolved libpython path to the workers (core/python.ts). */
export { LIBPYTHON_ENV };

/** The PEP 445 symbols the target needs (CPython 3.5+ names). */
export const REQUIRED_SYMBOLS: readonly string[] = [
  ...ENTRY_POINT_NAMES,
  "PyMem_GetAllocator",
  "PyMem_SetAllocator",
  "PyObject_GetArenaAllocator",
  "PyObject_SetArenaAllocator",
  "PyMem_SetupDebugHooks",
];

/**
 * Known gaps of real CPython in one process (case id -> SKIP reason): what cannot be observed because
 * Python is initialised once and never again (not deviations: those are FAILs).
 */
export const CPYTHON_GAPS: Readonly<Record<string, string>> = {};

/** Case groups that observe pymalloc's arenas and pools: each case gets a worker (a Python) of its own. */
export const FRESH_PROCESS_GROUPS: readonly string[] = ["pymalloc/", "arena/"];

/**
 * The environment of the worker or death child running `caseId` (on top of the runner's controlled
 * environment, child_env.ts, which passes on no PYTHON* variable of the caller):
 *
 * - the resolved library ({@link LIBPYTHON_ENV});
 * - a worker (`kind` "in-process"): PYTHONMALLOC unset (the build default), and for
 *   {@link FRESH_PROCESS_GROUPS} a per-case key so the pool starts a fresh process (pymalloc state left
 *   by earlier cases would hide arena allocations). Why not PYTHONMALLOC=debug there: the hooks would
 *   then be installed by Py_InitializeEx, and CPython keeps ONE saved allocator per domain for them
 *   (cpython-facts.md §2.7): a case that sets its own allocator and calls PyMem_SetupDebugHooks()
 *   overwrites that slot, so the initial hooks could not be restored after the case. Installing them at
 *   run time gives every case the state the suite expects, and a worker never reaches Py_FatalError.
 * - a death child (`kind` "death"): PYTHONMALLOC=debug, so CPython runs with its debug hooks from
 *   initialisation on (PyPreConfig.allocator = PYMEM_ALLOCATOR_DEBUG) and every block it owns has a
 *   debug header. A death child has no state to restore, and the case's own PyMem_SetupDebugHooks() is
 *   then a no-op (CPython 3.8+ returns when the hooks are already installed). With the hooks installed
 *   after Py_InitializeEx instead, CPython's fatal-error path frees blocks allocated before them (the
 *   faulthandler's alternate stack in _PyFaulthandler_Fini, tracemalloc's tables, ...) through the
 *   hooks, which read a garbage size from the missing header and crash a second time (SIGSEGV) after
 *   the expected "Fatal Python error" line: the verdict then depended on the caller's environment.
 */
export function cpythonChildEnv(
  libPath: string,
  caseId: string,
  kind: "in-process" | "death" = "in-process",
): Record<string, string> {
  if (kind === "death") return { [LIBPYTHON_ENV]: libPath, PYTHONMALLOC: "debug" };
  const env: Record<string, string> = { [LIBPYTHON_ENV]: libPath, PYTHONMALLOC: "" };
  if (FRESH_PROCESS_GROUPS.some((g) => caseId.startsWith(g))) env.ALLOCSPEC_FRESH_PROCESS = caseId;
  return env;
}

/** Builds the `cpython` adapter; throws UsageError for a missing library or missing PEP 445 symbols. */
export const cpythonFactory: AdapterFactory = (arg, opts) => {
  // the argument: a libpython .so or a python executable (core/python.ts, the one finder)
  const path = resolveLibpython(arg || undefined, { who: "cpython target" });
  let gilOk = true;
  if (!opts.probed) {
    // the runner never loads the library itself (a constructor may abort or hang): probe.ts
    const { report } = probeLibrary(
      "cpython",
      path,
      { names: REQUIRED_SYMBOLS, embed: true },
      opts.probeTimeoutMs,
    );
    const missing = REQUIRED_SYMBOLS.filter((_, i) => report.addresses[i] === 0);
    if (missing.length) {
      const list = missing.length > 3
        ? `${missing.slice(0, 3).join(", ")} and ${missing.length - 3} more`
        : missing.join(", ");
      throw new UsageError(
        `cpython target: ${path} does not export ${list} (not a PEP 445 library; CPython 3.5+ needed)`,
      );
    }
    gilOk = report.embed?.gil ?? false;
  } else {
    try {
      gilOk = openEmbedding(path).has.gil;
    } catch { /* FFI unavailable: open() reports it */ }
  }
  let emb: Embedding | undefined;
  let session: ReturnType<typeof wrapForeign> | undefined;
  let defaults: BuildDefaults | undefined;
  /** Initialises Python once per process (warmUp, or the first open) and reads its defaults. */
  const start = () => {
    if (!session) {
      emb = openEmbedding(path);
      emb.initialize();
      const lib = loadPep445Library(path, { profile: "cpython" });
      defaults = detectDefaults(lib, path); // before any case changes an allocator
      session = wrapForeign(lib, emb);
    }
    return session;
  };
  const caps: Capability[] = ["api-shipped", "calloc", "pymalloc", "arena", "debug-hooks", "death", "errno"];
  if (gilOk) caps.push("gil");
  return {
    label: arg ? `cpython:${arg}` : "cpython",
    capabilities: new Set(caps),
    profiles: ["cpython"] as readonly Profile[],
    gaps: CPYTHON_GAPS,
    violationModes: ["abort"],
    get errno() {
      return cErrno();
    },
    warmUp: start,
    open(profile: Profile): Pep445 {
      if (profile !== "cpython") {
        throw new Error(`the cpython target implements profile "cpython" only, not ${profile}`);
      }
      return start().begin();
    },
    close() {
      session?.end();
    },
    keepsState: true,
    /** the build's default allocators, once open() initialised Python (cpython_defaults.ts) */
    get defaults() {
      return defaults;
    },
    childEnv: (caseId, kind) => cpythonChildEnv(path, caseId, kind),
  };
};
