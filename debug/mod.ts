/**
 * The PEP's debug tools on any Python program and allocator (PEP 445 rationale): fault injection with
 * deduplicated findings (`faults/`) and leak tracking with file:line (`leaks/`), both launcher layers in C.
 *
 * @example
 * ```ts
 * import { choosePoints, parseSnapshots } from "./mod.ts";
 * choosePoints(3); // [1, 2, 3]
 * parseSnapshots("snapshot exit\nend\n")[0].label; // "exit"
 * ```
 * @module
 */
export {
  choosePoints,
  classifyPoint,
  countCalls,
  failAt,
  type FaultsReport,
  type Finding,
  formatReport,
  main as faultsMain,
  mergeReports,
  sweep,
  type SweepOptions,
} from "./faults/mod.ts";
export {
  formatLeaks,
  type LeakSnapshot,
  main as leaksMain,
  parseSnapshots,
  trackLeaks,
} from "./leaks/mod.ts";
export { buildFixtures, type Fixtures, FIXTURES_DIR } from "./fixtures/build.ts";
