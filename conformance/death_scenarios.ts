/**
 * Misuse scenarios for death tests, with what CPython does for each (cpython-facts.md §2.4-2.6 and the
 * transcripts of §3, CPython 3.11.7 with PYTHONMALLOC=debug): the process dies by SIGABRT and stderr
 * carries the `_PyObject_DebugDumpAddress` dump and the `Fatal Python error:` line. The same texts are
 * what the native target prints in violation mode "abort" (contracts §2, profile "cpython").
 *
 * @example
 * ```ts
 * import { runDeathScenario } from "./death_scenarios.ts";
 * const v = runDeathScenario("cpython", "overflow", "MEM", { env: { PYTHONMALLOC: "debug" } });
 * console.log(v.ok, v.message);
 * ```
 * @module
 */
import type { DomainName } from "./case.ts";
import { type DeathExpectation, judgeChild } from "./death.ts";
import { type ChildOutcome, runScript } from "../core/child.ts";
import type { Pep445, Ptr } from "../ref/types.ts";

type Ops = { malloc(n: number): Ptr; free(p: Ptr): void; realloc(p: Ptr, n: number): Ptr };
const ID: Record<DomainName, string> = { RAW: "r", MEM: "m", OBJ: "o" };
const ops = (py: Pep445, d: DomainName): Ops =>
  d === "RAW"
    ? {
      malloc: (n) => py.PyMem_RawMalloc(n),
      free: (p) => py.PyMem_RawFree(p),
      realloc: (p, n) => py.PyMem_RawRealloc(p, n),
    }
    : d === "MEM"
    ? {
      malloc: (n) => py.PyMem_Malloc(n),
      free: (p) => py.PyMem_Free(p),
      realloc: (p, n) => py.PyMem_Realloc(p, n),
    }
    : {
      malloc: (n) => py.PyObject_Malloc(n),
      free: (p) => py.PyObject_Free(p),
      realloc: (p, n) => py.PyObject_Realloc(p, n),
    };
/** The domain a block is wrongly freed in (API misuse). */
const OTHER: Record<DomainName, DomainName> = { RAW: "MEM", MEM: "RAW", OBJ: "MEM" };
const ADDR = String.raw`(?:0x)?[0-9a-fA-F]+`;

/** One scenario: what the child does, and what must happen per domain. */
export interface Scenario {
  run(py: Pep445, d: DomainName): void;
  expect(d: DomainName): DeathExpectation;
}

const fatal = (func: string, reason: string) =>
  new RegExp(String.raw`(?:^|\n)Fatal Python error: ${func}: ${reason}\nPython runtime state: initialized\n`);

/** The scenarios, by name. */
export const SCENARIOS = {
  /** malloc(16), write 'x' at p[16], free: bad trailing pad byte (CPython test_buffer_overflow). */
  overflow: {
    run(py, d) {
      const o = ops(py, d);
      const p = o.malloc(16);
      py.memory.write(p + 16, [0x78]);
      o.free(p);
    },
    expect: (d) => ({
      signal: "SIGABRT",
      stderr: [
        new RegExp(
          String.raw`Debug memory block at address p=${ADDR}: API '${
            ID[d]
          }'\n    16 bytes originally requested\n` +
            String.raw`    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n` +
            String
              .raw`    The 8 pad bytes at tail=${ADDR} are not all FORBIDDENBYTE \(0xfd\):\n        at tail\+0: 0x78 \*\*\* OUCH\n        at tail\+1: 0xfd\n`,
        ),
        / {4}Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n\nEnable tracemalloc to get the memory block allocation traceback\n/,
        fatal("_PyMem_DebugRawFree", "bad trailing pad byte"),
      ],
    }),
  },
  /** malloc(16), write 'x' at p[-1], free: bad leading pad byte. */
  underflow: {
    run(py, d) {
      const o = ops(py, d);
      const p = o.malloc(16);
      py.memory.write(p - 1, [0x78]);
      o.free(p);
    },
    expect: () => ({
      signal: "SIGABRT",
      stderr: [
        / {4}The 7 pad bytes at p-7 are not all FORBIDDENBYTE \(0xfd\):\n {8}at p-7: 0xfd\n/,
        / {8}at p-1: 0x78 \*\*\* OUCH\n {4}Because memory is corrupted at the start, the count of bytes requested\n {7}may be bogus, and checking the trailing pad bytes may segfault.\n/,
        fatal("_PyMem_DebugRawFree", "bad leading pad byte"),
      ],
    }),
  },
  /** overflow caught by realloc instead of free: the function named is _PyMem_DebugRawRealloc. */
  overflow_realloc: {
    run(py, d) {
      const o = ops(py, d);
      const p = o.malloc(16);
      py.memory.write(p + 16, [0x78]);
      o.realloc(p, 32);
    },
    expect: () => ({ signal: "SIGABRT", stderr: [fatal("_PyMem_DebugRawRealloc", "bad trailing pad byte")] }),
  },
  /** allocate in this domain, free in another: bad ID (CPython test_api_misuse). */
  api_misuse: {
    run(py, d) {
      const p = ops(py, d).malloc(16);
      ops(py, OTHER[d]).free(p);
    },
    expect: (d) => ({
      signal: "SIGABRT",
      stderr: [
        / {4}The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected\.\n {4}The 8 pad bytes at tail=\S+ are FORBIDDENBYTE, as expected\.\n/,
        fatal(
          "_PyMem_DebugRawFree",
          `bad ID: Allocated using API '${ID[d]}', verified using API '${ID[OTHER[d]]}'`,
        ),
      ],
    }),
  },
  /** malloc without the GIL: MEM and OBJ abort (no dump); RAW has no GIL check and runs on. */
  no_gil: {
    run(py, d) {
      py.setGilHeld(false);
      const o = ops(py, d);
      o.free(o.malloc(10));
      py.setGilHeld(true);
    },
    expect: (d) =>
      d === "RAW" ? { signal: null, status: 0, notStderr: [/Fatal Python error/] } : {
        signal: "SIGABRT",
        stderr: [fatal("_PyMem_DebugMalloc", "Python memory allocator called without holding the GIL")],
        notStderr: [/Debug memory block/],
      },
  },
  /** control: correct use must not abort. */
  clean: {
    run(py, d) {
      const o = ops(py, d);
      const p = o.malloc(16);
      py.memory.write(p, new Uint8Array(16).fill(1));
      o.free(o.realloc(p, 64));
    },
    expect: () => ({ signal: null, status: 0, notStderr: [/Fatal Python error/] }),
  },
} satisfies Record<string, Scenario>;

/** A scenario's name. */
export type ScenarioName = keyof typeof SCENARIOS;

/**
 * What may follow the diagnostic under test when CPython's hooks are installed at run time
 * (PyMem_SetupDebugHooks after Py_InitializeEx; PEP 445 "Add a new PyMem_SetupDebugHooks() function ...
 * to reinstall the debug hooks on top of the new allocators"): Py_FatalError's own path then frees, through
 * the hooks, blocks allocated before them (cpython.ts), and the dump of such a block reads the size of
 * bytes requested from the 16 bytes before it, which the hooks never wrote. CPython warns in that very
 * dump ("the count of bytes requested may be bogus, and checking the trailing pad bytes may segfault"):
 * the process may die by SIGSEGV instead of SIGABRT, AFTER the expected diagnostic. Whether it does
 * depends on what lies before a block CPython allocated: the environment, never the target.
 */
export const CPYTHON_RUNTIME_HOOKS_SECONDARY: NonNullable<DeathExpectation["secondary"]> = {
  signal: "SIGSEGV",
  after: /Debug memory block at address p=\S+: API '[^']*'\n[\s\S]*may segfault\./,
  why: "CPython's fatal-error path freed a block allocated before the run-time hooks through them",
};

/**
 * Runs a scenario in a death child (death_child.ts) for `target` and judges it. `hooks`: have the child
 * call PyMem_SetupDebugHooks first (needed unless the env installs them, e.g. PYTHONMALLOC=debug).
 * `secondary`: a known second failure allowed after the expected diagnostic (DeathExpectation).
 */
export function runDeathScenario(
  target: string,
  scenario: ScenarioName,
  domain: DomainName,
  opts: { env?: Record<string, string>; hooks?: boolean; secondary?: DeathExpectation["secondary"] } = {},
): { ok: boolean; message: string; child: ChildOutcome } {
  const script = new URL("./death_child.ts", import.meta.url).pathname;
  const child = runScript(script, [target, scenario, domain, ...(opts.hooks ? ["--hooks"] : [])], {
    env: opts.env,
  });
  const want = { ...SCENARIOS[scenario].expect(domain), secondary: opts.secondary };
  return { ...judgeChild(child, want), child };
}
