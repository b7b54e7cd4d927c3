/**
 * The scenario registry, in run order. One scenario per file; each declares its parameters.
 *
 * | scenario | measures | goal figure |
 * | --- | --- | --- |
 * | indirection | trace replay in C: default vs 1 and 3 pass-through hooks | hook_added_ns_per_op |
 * | cpython_hook | Python workloads in real CPython with/without the native hook | hook_overhead_cpython_pct |
 * | debug_hooks | native debug hooks vs CPython's on the same trace | debug_vs_cpython_debug |
 * | pymalloc | native pymalloc vs obmalloc, glibc, jemalloc, mimalloc, tcmalloc | pymalloc_vs_cpython |
 * | ref_vs_native | TS replay on ref/ vs C replay on native/, both runtimes | ref_vs_native_{deno,bun} |
 * | ffi_cost | one FFI call, malloc/free pairs with and without FFI, both runtimes | (context) |
 * | fault_sweep | debug/faults fork-at-the-point sweep vs a fresh python3 + set_nomemory per point | fault_sweep_fork_vs_fresh |
 * | libs_sweep | clients/libs fault sweeps forking in one C driver vs a fresh driver per point | libs_sweep_ms_per_point_per_job |
 * | leak_tracer | debug/leaks tracing layer vs tracemalloc.start(1) on the CPython workloads | leak_tracer_vs_tracemalloc |
 * | programs | real Python programs via the launcher (clients/) on each allocator vs obmalloc | (programs_*) |
 * | hooks | CPython workloads under hooks: bare, native pass-through, tracemalloc, Scalene | hooks_passthrough_vs_bare |
 * | check_layer | real programs on each allocator with and without the checking layer (debug/check) | check_layer_cpu_ratio |
 *
 * @module
 */
import type { Scenario } from "../scenario.ts";
import { checkLayer } from "./check_layer.ts";
import { cpythonHook } from "./cpython_hook.ts";
import { debugHooks } from "./debug_hooks.ts";
import { faultSweep } from "./fault_sweep.ts";
import { ffiCost } from "./ffi_cost.ts";
import { hooks } from "./hooks.ts";
import { indirection } from "./indirection.ts";
import { leakTracer } from "./leak_tracer.ts";
import { libsSweep } from "./libs_sweep.ts";
import { programs } from "./programs.ts";
import { pymalloc } from "./pymalloc.ts";
import { refVsNative } from "./ref_vs_native.ts";

export const SCENARIOS: readonly Scenario[] = [
  indirection,
  cpythonHook,
  debugHooks,
  pymalloc,
  refVsNative,
  ffiCost,
  faultSweep,
  libsSweep,
  leakTracer,
  programs,
  hooks,
  checkLayer,
];
