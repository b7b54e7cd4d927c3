/**
 * The `tracemalloc[:FRAMES]` conformance target: CPython's own PEP 445 hook, started in the embedded
 * interpreter with `tracemalloc.start(FRAMES)` (default 1) through `PyRun_SimpleString`, over the
 * real libpython (the `cpython` target's library) with the recorder and guard below it
 * (hook_session.ts), as for `hook:PATH@cpython`.
 *
 * tracemalloc keeps its state outside the domains (it is "tracing" until `tracemalloc.stop()`, and
 * `start()` while tracing does nothing), so every case ends with `tracemalloc.stop()`, which puts back
 * the allocators it saved at `start()` (clients-facts.md §3), before the base restores its own.
 *
 * @example
 * ```ts
 * import { tracemallocFactory } from "./tracemalloc.ts";
 * // const a = tracemallocFactory("25", { abi: "shipped" }); const py = a.open("cpython"); a.close?.();
 * ```
 * @module
 */
import process from "node:process";
import { type AdapterFactory } from "../adapter.ts";
import { UsageError } from "../../core/usage.ts";
import { resolveLibpython } from "../../core/python.ts";
import { hookAdapter, PROBED_ENV, probeInChild } from "./hook.ts";
import type { Installer } from "./hook_session.ts";
import { openLibrary } from "../../native/ffi/library.ts";

const RUN = { PyRun_SimpleString: { params: ["buf"], result: "i32" } } as const;

/** Runs Python source in the embedded interpreter (GIL held); a non-zero status is an Error. */
export function runPython(libpython: string, source: string): void {
  const f = openLibrary(libpython, RUN).symbols.PyRun_SimpleString;
  if (!f) throw new Error(`${libpython} does not export PyRun_SimpleString`);
  const rc = f(new TextEncoder().encode(source + "\0"));
  if (rc !== 0) throw new Error(`Python failed running ${JSON.stringify(source)} (see stderr)`);
}

/** tracemalloc.start(frames) / tracemalloc.stop() as an {@link Installer}. */
export function tracemallocInstaller(libpython: string, frames: number): Installer {
  return {
    label: `tracemalloc.start(${frames})`,
    install: () => runPython(libpython, `import tracemalloc; tracemalloc.start(${frames})`),
    uninstall: () => runPython(libpython, "import tracemalloc; tracemalloc.stop()"),
  };
}

const NO_HINT =
  'CPython prints "Enable tracemalloc to get the memory block allocation traceback" only while tracemalloc is NOT tracing (_PyMem_DumpTraceback); tracing, it prints the block\'s traceback or nothing';

/** Cases whose expected text assumes tracemalloc is off (SKIP with the reason on this target). */
export const TRACEMALLOC_GAPS: Readonly<Record<string, string>> = Object.fromEntries(
  [
    "abort/api_misuse_aborts_with_test_mem_text",
    "abort/overflow_aborts_with_test_mem_text",
    "debug_text/api_misuse_text_matches_test_mem",
    "debug_text/overflow_text_matches_test_mem",
    "debug_text/underflow_text_matches_transcript",
    "debug_text/zero_byte_block_has_no_data_line",
  ].map((id) => [id, NO_HINT]),
);

/** Builds the `tracemalloc` adapter. */
export const tracemallocFactory: AdapterFactory = (arg) => {
  const frames = arg === undefined || arg === "" ? 1 : Number(arg);
  if (!Number.isInteger(frames) || frames < 1 || frames > 65535) {
    throw new UsageError(`tracemalloc target: frames must be an integer 1..65535, got '${arg}'`);
  }
  const spec = arg ? `tracemalloc:${arg}` : "tracemalloc";
  const lib = resolveLibpython(undefined, { who: "tracemalloc target" });
  if (!process.env[PROBED_ENV]) probeInChild(spec);
  return hookAdapter(spec, tracemallocInstaller(lib, frames), "cpython", lib, TRACEMALLOC_GAPS);
};
