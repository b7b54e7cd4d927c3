/**
 * Targets: what allocspec runs cases, real programs and benchmarks on. One registry of kinds (kinds.ts:
 * one descriptor each, one parser of `--target KIND[:ARG]`), the flags every command shares (flags.ts:
 * `--target`, `--debug-hooks[=cpython|native|none]`), the launcher that runs real CPython on a target
 * (launcher.ts, C in launcher/, its forms in launcher/forms.h), and the library probe (probe.ts).
 *
 * @example
 * ```ts
 * import { launchForm, parseTarget } from "./mod.ts";
 * console.log(parseTarget("native:pep445"), launchForm("native:pep445"));
 * ```
 * @module
 */
export type { BenchForm, LaunchForm, TargetKind } from "./kind.ts";
export { benchForm, launchableKinds, launchForm, parseTarget, TARGET_KINDS, targetKind } from "./kinds.ts";
export { DEBUG_HOOK_VALUES, type DebugHooks, normalizeTargetFlags, parseDebugHooks } from "./flags.ts";
export { buildLauncher, launcherPath, type LaunchOptions, type LaunchSpec, launchSpec } from "./launcher.ts";
export { encodeLaunchForm, LAUNCHER_FORMS } from "./launcher_forms.ts";
export { probeLibrary, type ProbeReport } from "./probe.ts";
