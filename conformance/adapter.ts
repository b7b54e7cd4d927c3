/**
 * The conformance adapter contract (docs/contracts.md §6): how the suite reaches a target.
 *
 * cases -> adapter -> target. A case only ever sees the {@link Pep445} that {@link Adapter.open} returns
 * (plus the optional {@link Adapter.stressRaw}); an adapter turns "ref", "native", "cpython",
 * "vtable:libfoo.so", "libc:libmimalloc.so.2:mi_" or "mutant:<name>" into that object.
 *
 * Host rules every adapter follows (see conformance/README.md, "Writing an adapter"):
 * - Pointers are JS numbers, NULL is 0; sizes as in ref/types.ts.
 * - `open(profile)` gives FRESH state for one case (default allocators in every domain, no debug hooks,
 *   GIL held, violation mode "throw" when {@link Adapter.violationModes} includes it). The runner calls
 *   `close()` after every case.
 * - Hooks cross FFI as JS functions: `PyMem_SetAllocator(d, {ctx, malloc, ...})` with JS functions must
 *   make the target call them (ctx comes back identical), and `Get` must return what `Set` stored.
 * - Cases run in worker child processes of the same runtime; a crash or hang is an ERROR for that case
 *   only. Death cases run in their own child with violation mode "abort".
 *
 * Extensions beyond docs/contracts.md §6 (optional, so existing adapters stay valid):
 * - {@link Adapter.violationModes}: which `setViolationMode` values the target honours (absent: both).
 *   A target that can only abort (real CPython) gets its violation cases run as death children.
 * - {@link Adapter.stressRaw}: the multi-threaded RAW stress (native: `allocspec_stress_raw`), used by
 *   cases that need "threads".
 *
 * @example
 * ```ts
 * import type { Adapter, AdapterFactory } from "./adapter.ts";
 * import { createRef } from "../ref/mod.ts";
 * export const refFactory: AdapterFactory = () => ({
 *   label: "ref",
 *   capabilities: new Set(["api-shipped", "api-2013", "calloc"]),
 *   profiles: ["cpython", "pep445-2013"],
 *   open: (profile) => createRef({ profile }),
 * });
 * ```
 * @module
 */
import type { Pep445, Profile, ViolationMode } from "../ref/types.ts";

/** What a target can do; a case whose `needs` are not all present is UNSUPPORTED on that target. */
export type Capability =
  | "api-shipped" // PyMem_GetAllocator/SetAllocator(domain, PyMemAllocatorEx) (CPython 3.5+)
  | "api-2013" // PyMem_GetRawAllocators & co, _PyObject_Get/SetArenaAllocators (the PEP text)
  | "calloc" // the *Calloc entry points
  | "pymalloc" // OBJ (and MEM in the cpython profile) default to pymalloc
  | "arena" // the arena allocator can be read and replaced
  | "debug-hooks" // PyMem_SetupDebugHooks installs CPython's debug hooks
  | "gil" // setGilHeld(false) is honoured by the MEM/OBJ debug hooks
  | "threads" // Adapter.stressRaw exists (native code on real threads)
  | "death" // cases may run in a child with violation mode "abort" (SIGABRT expected)
  | "errno" // Adapter.errno exists: the calling thread's C errno (native code in this process)
  | "hook"; // a hook under test sits over the allocators (hook:, tracemalloc): adapters/hook_session.ts

/** Every capability, in a fixed order (reporting, validation). */
export const CAPABILITIES: readonly Capability[] = [
  "api-shipped",
  "api-2013",
  "calloc",
  "pymalloc",
  "arena",
  "debug-hooks",
  "gil",
  "threads",
  "death",
  "errno",
  "hook",
];

/** A target as the suite sees it. */
export interface Adapter {
  /** "ref", "native", "cpython", "vtable:libfoo.so", "libc:libmimalloc.so.2:mi_", "mutant:<name>" */
  readonly label: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** A case for another profile is UNSUPPORTED. */
  readonly profiles: readonly Profile[];
  /** case id -> SKIP reason (a known gap of this target). */
  readonly gaps?: Readonly<Record<string, string>>;
  /** Fresh state for one case. */
  open(profile: Profile): Pep445;
  /**
   * Extension: the one-time start of the target in this process (e.g. `Py_InitializeEx`), which a worker
   * runs before it says ready, so that a run's budget never pays for it.
   */
  warmUp?(): void;
  /**
   * Extension: builds what the target's workers load (the native library) when it is missing or stale, in
   * the CLI before the first case, never inside a case's budget; returns what it built (undefined: fresh).
   */
  prebuild?(announce?: (what: string) => void): string | undefined;
  /** After each case (also after a failing one). */
  close?(): void;
  /**
   * Extra environment for the worker (`kind` "in-process") or death child (`kind` "death") running this
   * case, on top of the runner's controlled environment (child_env.ts: no PYTHON*, MALLOC_*, LD_PRELOAD,
   * ... from the caller); e.g. PYTHONMALLOC=debug for a CPython death child.
   */
  childEnv?(caseId: string, kind?: "in-process" | "death"): Record<string, string> | undefined;
  /** Extension: the violation modes `setViolationMode` honours. Absent: ["throw", "abort"]. */
  readonly violationModes?: readonly ViolationMode[];
  /**
   * Extension (needs "threads"): after `open`, run `threads` threads doing `rounds` rounds each of
   * PyMem_RawMalloc/RawFree, handing blocks between threads and checking content hashes on free
   * (native: `allocspec_stress_raw`). Returns the number of mismatches; -1 when RAW's allocator calls
   * into JS (the stress cannot run).
   */
  stressRaw?(threads: number, rounds: number, seed: number): number;
  /**
   * Extension (needs "errno"): the calling thread's C `errno`, for the informational C/POSIX cases (errno
   * is POSIX, not PEP 445: such cases never fail a run).
   */
  readonly errno?: CErrno;
  /**
   * Extension: true when the target keeps state across the cases one worker runs (a third-party
   * allocator, CPython): every FAIL and ERROR is then re-run alone in a fresh worker (pool.ts).
   */
  readonly keepsState?: boolean;
  /**
   * Extension: true when opening the target changes process-wide state that outlives it (a `hook:`
   * target puts liballocspec or libpython in the global symbol scope, where it interposes on every
   * library loaded later): its runs go to worker processes only, never into the caller's process
   * (teeth.ts; the CLI always uses workers).
   */
  readonly isolated?: boolean;
  /**
   * Extension (CPython builds): the target's DEFAULT allocators, known once `open` has initialised it
   * (adapters/cpython_defaults.ts). Cases that observe the defaults judge a build by its own: a
   * `Py_DEBUG` build has the debug hooks over pymalloc by default, a build without pymalloc has none.
   */
  readonly defaults?: BuildDefaults;
}

/** A build's default allocators, what `Py_InitializeEx` installed ({@link Adapter.defaults}). */
export interface BuildDefaults {
  /** every domain's default allocator carries CPython's debug hooks (a `Py_DEBUG` build) */
  readonly debugHooks: boolean;
  /** CPython's name for them (`_PyMem_GetCurrentAllocatorName()`), when libpython exports it */
  readonly allocator?: string;
  /** the default OBJ allocator is pymalloc (below the debug hooks or not) */
  readonly pymalloc: boolean;
}

/** Read and write the calling thread's C errno. */
export interface CErrno {
  get(): number;
  set(value: number): void;
}

/**
 * Builds an adapter from the part of `--target kind:arg` after the first colon (undefined when absent).
 * Throws {@link UsageError} (one clear line) on bad input: missing library, missing symbol, bad argument.
 */
export type AdapterFactory = (arg: string | undefined, opts: AdapterOptions) => Adapter;

/** Options of {@link AdapterFactory}. */
export interface AdapterOptions {
  abi: "shipped" | "2013";
  /**
   * true inside a worker or death child: the runner already probed the library in a child (probe.ts), so
   * the factory may load it in this process without probing again.
   */
  probed?: boolean;
  /** how long the library probe child may take, ms (default 20000) */
  probeTimeoutMs?: number;
}
