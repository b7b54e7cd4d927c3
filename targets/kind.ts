/**
 * What a target kind is: one small descriptor ({@link TargetKind}) says everything allocspec needs about a
 * kind of `--target KIND[:ARG]`: its argument, its conformance adapter, how real programs run on it (the
 * launcher form) and how a benchmark replay reaches it. The registry (kinds.ts) lists the descriptors; a
 * new kind is one descriptor there (plus C in targets/launcher/ only when it needs a new launcher form).
 *
 * @example
 * ```ts
 * import type { TargetKind } from "./kind.ts";
 * const echo: TargetKind = {
 *   name: "ref",
 *   arg: "none",
 *   summary: "the TypeScript reference implementation",
 *   example: "ref",
 *   adapter: { module: "conformance/adapters/ref.ts", export: "refFactory" },
 * };
 * console.log(echo.name);
 * ```
 * @module
 */
import type { Variant } from "../core/cbuild.ts";
import type { LauncherFormName } from "./launcher_forms.ts";

/** How the launcher installs a kind into real CPython: a form of targets/launcher/forms.h and its fields. */
export interface LaunchForm {
  /** the launcher's form (the C side's list, targets/launcher/forms.h) */
  form: LauncherFormName;
  /** the form's fields (e.g. a library's absolute path and a symbol), joined with ':' after the form */
  fields: string[];
  /** environment the library needs to load (core/env.ts STATIC_TLS_ENV for jemalloc) */
  env?: Record<string, string>;
  /** the libpython this kind asks for (cpython:LIB) */
  libpython?: string;
  /** the build variant of liballocspec and the launcher this kind asks for (native:asan) */
  variant?: Variant;
}

/** How a benchmark replay (native's `replay`) reaches a kind. */
export type BenchForm =
  /** native's own entry points (its default allocators) */
  | { replay: "native" }
  /** the entry points of a library exporting CPython's (a libpython), through an entry table */
  | { replay: "entries"; lib: string }
  /** a malloc family: PREFIX + malloc, calloc, realloc, free of `lib` (found by the dynamic loader) */
  | { replay: "libc"; lib: string; prefix: string }
  /** a PyMemAllocatorEx data symbol of `lib` */
  | { replay: "vtable"; lib: string; symbol: string };

/** One kind of target. */
export interface TargetKind {
  /** the part of `--target` before the first colon */
  name: string;
  /** the argument after the colon, in one line (help text) */
  arg: string;
  /** what the kind is, in one line (help text) */
  summary: string;
  /** a spec that works */
  example: string;
  /** the conformance adapter: its module (from the project root, loaded lazily) and factory export */
  adapter: { module: string; export: string };
  /**
   * Real programs (python, clients, faults, leaks, the programs benchmark): the launcher form of `arg`,
   * resolved and checked (one-line UsageErrors). Absent: the launcher cannot run CPython on this kind.
   */
  launch?: (arg: string | undefined) => LaunchForm;
  /** Benchmarks: how a replay reaches `arg` (no probing; absent: the kind cannot be replayed on). */
  bench?: (arg: string | undefined) => BenchForm;
}
