/**
 * The bottom of the graph (docs/contracts.md §7): what every folder needs and nothing else owns. Running a
 * child (child.ts, runtime.ts) in the controlled environment (env.ts, with the one allocator-tunables
 * policy), signals (signals.ts), what a child's outcome was (outcome.ts), finding python and libpython
 * (python.ts), building C (cbuild.ts), the user's directory (cwd.ts), bad input (usage.ts) and the
 * progress of a long run (progress.ts).
 *
 * @example
 * ```ts
 * import { runScript, UsageError } from "./mod.ts";
 * const r = runScript("conformance/cli.ts", ["--help"], { inherit: true });
 * if (r.status !== 0) throw new UsageError(r.stderr.trim());
 * ```
 * @module
 */
export {
  childEnv,
  type ChildOptions,
  type ChildOutcome,
  programStderr,
  runProgram,
  runProgramAsync,
  runScript,
  runScriptAsync,
  spawnScript,
} from "./child.ts";
export {
  currentRuntime,
  isBun,
  otherRuntime,
  PROJECT_ROOT,
  runtimeCommand,
  runtimeExecutable,
  type RuntimeName,
  runtimeVersion,
} from "./runtime.ts";
export {
  controlledEnv,
  forSpawnSync,
  INTERFERING,
  STATIC_TLS_ENV,
  STATIC_TLS_TUNABLE,
  withStaticTls,
} from "./env.ts";
export { exitStatusOf, signalName, signalNumber } from "./signals.ts";
export {
  classifyPoint,
  DEBUG_HOOK_DIAGNOSTIC,
  type FindingClass,
  type Outcome,
  type PointRun,
} from "./outcome.ts";
export {
  defaultPython,
  findLibpython,
  findPython,
  findPythonHeaders,
  LIBPYTHON_ENV,
  type LibpythonInfo,
  type PythonHeaders,
  resolveLibpython,
} from "./python.ts";
export {
  BUILD_DIR,
  buildProgram,
  buildShared,
  compileProgram,
  compileShared,
  findCompiler,
  INCLUDE_DIR,
  isFresh,
  NoCompilerError,
  sanitizerEnv,
  type Variant,
  VARIANTS,
  WARN_FLAGS,
} from "./cbuild.ts";
export { enterUserCwd, userCwd } from "./cwd.ts";
export { UsageError } from "./usage.ts";
export {
  createProgress,
  formatDuration,
  type Progress,
  progressLine,
  type ProgressOptions,
} from "./progress.ts";
