/**
 * Fault injection on any Python program, built on the launcher and the fault engine (libas_faults.so):
 * dry run, forked sweep, oracles, findings deduplicated by site, shards and merge. The C API of the engine
 * is `faults.h` in this folder.
 *
 * @example
 * ```ts
 * import { choosePoints, classifyPoint, formatReport, mergeReports } from "./mod.ts";
 * choosePoints(10, 3); // [1, 4, 7]
 * classifyPoint({ code: 1, signal: 0, timedOut: false, stderr: "MemoryError" }).cls; // "handled"
 * ```
 * @module
 */
export {
  classifyPoint,
  FINDING_CLASSES,
  type FindingClass,
  type Outcome,
  type PointRun,
} from "../../core/outcome.ts";
export { choosePoints, parseShard, type Shard, shardPoints } from "./points.ts";
export { ENGINE_HEADERS, ENGINE_SOURCES } from "./sources.ts";
export {
  countedFindings,
  emptyReport,
  type FaultsReport,
  type Finding,
  formatReport,
  mergeReports,
  type PySite,
} from "./report.ts";
export { parseSite, pythonSite, type Site, siteKey, Symbolizer } from "./site.ts";
export { countCalls, failAt, type Launch, stdlibDirs, sweep, type SweepOptions } from "./sweep.ts";
export {
  type EngineCommand,
  type EngineConfig,
  engineVars,
  type PointOutcome,
  RERUN_EXIT,
  runEngineCount,
  runEngineFresh,
  runEngineSweep,
} from "./engine_run.ts";
export { main } from "./cli.ts";
