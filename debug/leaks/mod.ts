/**
 * Leak tracking with file:line on any Python program, built on the launcher and the tracing layer
 * (libas_leaks.so, C API in leaks.h): snapshots of the live blocks grouped by Python file:line or C site.
 *
 * @example
 * ```ts
 * import { parseSnapshots } from "./mod.ts";
 * parseSnapshots("snapshot exit\ndomain obj 1 64 9\npy obj 64 1 3 /x.py\nend\n")[0].sites[0].where; // "/x.py:3"
 * ```
 * @module
 */
export { formatLeaks, type LeakSite, type LeakSnapshot, parseSnapshots } from "./report.ts";
export { type LeakRun, type TracemallocLine, tracemallocTop, trackLeaks } from "./run.ts";
export { main } from "./cli.ts";
