/**
 * The test tiers (like memray's): which test files run in both runtimes and which run once.
 *
 * - unit (in-process) and integration (processes, FFI, workers, CLIs) files run under `deno test` AND
 *   `bun test`: the runtime is what they test.
 * - end-to-end files drive whole commands whose work happens in other processes (Python, regrtest, the
 *   installed package, the benchmark, which itself runs its cross-runtime scenarios in both runtimes):
 *   the runtime that starts them is not what they test, so they run once, in the runtime named here,
 *   beside the other suites. Every file not listed is in both runtimes. The runtime named is the one
 *   that runs the file with less CPU where that was measured (`tools/test_times.ts`, 2026-12-06: the C
 *   fixtures' teeth 79 CPU-s under Deno, 54 under Bun; the hook fixtures' 97 and 63), since a Bun child
 *   process starts in about half a Deno one's CPU time.
 *
 * `tools/run_tests.ts` reads this; `tools/test_tiers_test.ts` checks every entry is an existing file.
 *
 * @example
 * ```ts
 * import { ONCE } from "./test_tiers.ts";
 * console.log(Object.keys(ONCE)); // the end-to-end files
 * ```
 * @module
 */

/** End-to-end test files, run once: path -> [runtime, why once is enough]. */
export const ONCE: Readonly<Record<string, readonly ["deno" | "bun", string]>> = {
  "bench/main_test.ts": [
    "bun",
    "bench --quick runs every scenario (fault_sweep: from the installed package, cli/pack_test.ts) in this " +
    "runtime and the cross-runtime ones in the other",
  ],
  "cli/pack_test.ts": [
    "bun",
    "the installed package's launcher runs every command under Bun and under Deno (--runtime deno)",
  ],
  "clients/clients_test.ts": [
    "bun",
    "CPython's regrtest runs in Python processes; the runtime only starts them",
  ],
  "conformance/teeth_test.ts": [
    "deno",
    "the suite's verdicts on the mutants (pure TypeScript, in both runtimes' unit tests of ref/ and the suite)",
  ],
  "conformance/fixtures/c/fixtures_test.ts": [
    "bun",
    "the suite's teeth on every C fixture (a full suite run each); the vtable target's FFI and workers are " +
    "tested in both runtimes by conformance/adapters/vtable_test.ts and the pool tests",
  ],
  "conformance/fixtures/c/hooks/hooks_test.ts": [
    "bun",
    "the suite's teeth on every C fixture hook (a suite run each); the hook target's FFI, workers and " +
    "install paths are tested in both runtimes by conformance/adapters/hook_test.ts",
  ],
  "debug/check/check_test.ts": [
    "deno",
    "the checking layer's C API as C programs (release, ASan/UBSan, TSan, valgrind): the runtime only builds " +
    "and starts them; the layer in real programs is tested in both runtimes by clients/check_*_test.ts",
  ],
  "debug/faults/faults_c_test.ts": [
    "bun",
    "the fault engine's C API from a plain C program (release, ASan/UBSan): the runtime only builds and " +
    "starts it; the engine under the faults CLI is tested in both runtimes by debug/faults/*_test.ts",
  ],
  "debug/faults/exact_test.ts": [
    "deno",
    "exactness of the fault engine's forked children (C, in Python processes) against fresh --fail-at runs: the " +
    "runtime only drives the sweep; the faults CLI and its sweep driver are tested in both runtimes by " +
    "debug/faults/faults_test.ts and from the installed package by cli/pack_test.ts",
  ],
  "clients/libs/libs_test.ts": [
    "deno",
    "the five libraries' C harnesses under the layers and the fault engine (C processes): the runtime only " +
    "builds and starts them; `libs --quick` runs under Bun and under Deno from the installed package " +
    "(cli/pack_test.ts)",
  ],
  "clients/check_launch_test.ts": [
    "bun",
    "the checking layer in Python processes started by the launcher: the runtime only starts them; the " +
    "launcher with the layer is tested in both runtimes by clients/check_clients_test.ts (violations, reports, " +
    "raw_threads) and the launcher itself by clients/launcher_test.ts",
  ],
  "report/browser_test.ts": [
    "deno",
    "the conformance page's behaviour in Chromium (its own JavaScript, the DOM): the runtime only makes the page " +
    "with the CLI and drives the browser; the page is made and checked in both runtimes by report/page_test.ts " +
    "and conformance/report/report_test.ts, and each runtime's rerun commands rerun by conformance/report/" +
    "rerun_test.ts",
  ],
  "bench/html_browser_test.ts": [
    "deno",
    "the bench page in Chromium from fixed reports: the runtime only drives the browser; the page is made by " +
    "this file under Deno and by bench --quick under Bun (bench/main_test.ts checks its latest.html)",
  ],
  "conformance/death_env_test.ts": [
    "bun",
    "death verdicts of CPython children in hostile environments under load; the runtime only starts them",
  ],
};

/**
 * Files that load the machine on purpose (24 busy processes on 2 cores): each runs after every other
 * suite has finished and with nothing beside it, so its load neither slows the other suites nor stretches
 * their load-scaled timeouts, and its "as is" level is the machine as it is. Path -> [runtime, why once].
 */
export const ALONE: Readonly<Record<string, readonly ["deno" | "bun", string]>> = {
  "conformance/load_test.ts": [
    "deno",
    "it runs the conformance CLI under Deno and under Bun side by side at every load and compares all runs",
  ],
};
