import assert from "node:assert/strict";
import { test } from "node:test";
import { judgeChild, normalizeFatal } from "./death.ts";
import { type ChildOutcome, programStderr } from "../core/child.ts";
import {
  CPYTHON_RUNTIME_HOOKS_SECONDARY,
  runDeathScenario,
  type ScenarioName,
  SCENARIOS,
} from "./death_scenarios.ts";
import type { DomainName } from "./case.ts";
import { findLibpython } from "../core/python.ts";
import { LIBPYTHON_ENV } from "./adapters/cpython.ts";

const BUN_BANNER =
  "============================================================\nBun v1.4.5 (a7733435c) Linux x64\n" +
  "panic(main thread): abort() called\noh no: Bun has crashed. This indicates a bug in Bun, not your code.\n";
const child = (o: Partial<ChildOutcome>): ChildOutcome => ({
  status: null,
  signal: null,
  stdout: "",
  stderr: "",
  timedOut: false,
  ...o,
});

test("death: judgeChild matches stderr patterns before Bun's crash banner", () => {
  const c = child({
    signal: "SIGABRT",
    stderr: "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n" + BUN_BANNER,
  });
  assert.deepEqual(judgeChild(c, { signal: "SIGABRT", stderr: [/bad trailing pad byte/] }), {
    ok: true,
    message: "",
  });
  assert.equal(programStderr(c.stderr), "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n");
});

test("death: judgeChild names the difference (signal, exit, pattern, hang)", () => {
  const exit0 = judgeChild(child({ status: 0 }), { signal: "SIGABRT" });
  assert.equal(exit0.ok, false);
  assert.match(exit0.message, /expected death by SIGABRT, the child ended with exit 0/);
  const segv = judgeChild(child({ signal: "SIGSEGV" }), { signal: "SIGABRT" });
  assert.match(segv.message, /ended with signal SIGSEGV/);
  const text = judgeChild(child({ signal: "SIGABRT", stderr: "bad leading pad byte" }), {
    signal: "SIGABRT",
    stderr: [/bad trailing/],
  });
  assert.match(text.message, /stderr does not match \/bad trailing\//);
  assert.equal(judgeChild(child({ timedOut: true }), { signal: null }).ok, false);
  assert.equal(
    judgeChild(child({ status: 0, stderr: "Fatal Python error: x" }), { signal: null, notStderr: [/Fatal/] })
      .ok,
    false,
  );
  assert.equal(judgeChild(child({ status: 0 }), { signal: null }).ok, true);
});

// the stderr of a CI run (2026-12-06) where CPython's fatal-error path, with hooks installed at run time,
// freed a block from before them through the hooks and crashed in its dump (SIGSEGV, not SIGABRT)
const FIRST = SCENARIOS.overflow.expect("MEM");
const overflowDump =
  "Debug memory block at address p=0x7f0000001000: API 'm'\n    16 bytes originally requested\n" +
  "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n" +
  "    The 8 pad bytes at tail=0x7f0000001010 are not all FORBIDDENBYTE (0xfd):\n        at tail+0: 0x78 *** OUCH\n" +
  "        at tail+1: 0xfd\n    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n\n" +
  "Enable tracemalloc to get the memory block allocation traceback\n\n" +
  "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n\n";
const secondDump =
  "Debug memory block at address p=0x7f8b6c75c000: API 'q'\n    8104849426352549937 bytes originally " +
  "requested\n    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):\n        at p-7: 0xb1 *** OUCH\n" +
  "    Because memory is corrupted at the start, the count of bytes requested\n" +
  "       may be bogus, and checking the trailing pad bytes may segfault.\n" +
  "    The 8 pad bytes at tail=0x6e61ecf06cd0f0b0 are ";

test("death: a known second failure after the expected diagnostic is accepted only as declared", () => {
  const want = { ...FIRST, secondary: CPYTHON_RUNTIME_HOOKS_SECONDARY };
  const ci = child({ signal: "SIGSEGV", stderr: overflowDump + secondDump });
  assert.deepEqual(judgeChild(ci, want), {
    ok: true,
    message:
      `ended with signal SIGSEGV after the expected diagnostic: ${CPYTHON_RUNTIME_HOOKS_SECONDARY.why}`,
  });
  // not declared: the same child fails, naming the signal
  assert.match(
    judgeChild(ci, FIRST).message,
    /expected death by SIGABRT, the child ended with signal SIGSEGV/,
  );
  // a SIGSEGV before (or instead of) the diagnostic under test is never excused
  assert.equal(judgeChild(child({ signal: "SIGSEGV", stderr: secondDump }), want).ok, false);
  assert.equal(judgeChild(child({ signal: "SIGSEGV", stderr: overflowDump }), want).ok, false);
  // the dump of a wrong first diagnostic is not excused by a second one
  const wrong = overflowDump.replace("bad trailing pad byte", "bad leading pad byte");
  assert.equal(judgeChild(child({ signal: "SIGSEGV", stderr: wrong + secondDump }), want).ok, false);
  // another signal than the declared one is not excused
  assert.equal(judgeChild(child({ signal: "SIGBUS", stderr: overflowDump + secondDump }), want).ok, false);
});

test("death: normalizeFatal scrubs addresses and drops the thread block", () => {
  const raw =
    "Debug memory block at address p=0x55d0c0ffee10: API 'm'\n    The 8 pad bytes at tail=0x55d0c0ffee20 are\n" +
    "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n\n" +
    'Current thread 0x00007f00 (most recent call first):\n  File "<string>", line 3 in <module>\n' +
    BUN_BANNER;
  assert.equal(
    normalizeFatal(raw),
    "Debug memory block at address p=ADDR: API 'm'\n    The 8 pad bytes at tail=ADDR are\n" +
      "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n\n",
  );
});

let libpython: string | undefined;
try {
  libpython = findLibpython().path;
} catch { /* no shared libpython on this machine */ }
const noPython = libpython
  ? false
  : "no shared libpython (python3 built with --enable-shared) on this machine";

/** CPython 3.11's debug hooks, installed by PYTHONMALLOC=debug at init (cpython-facts.md §3). */
const CPYTHON: Array<[ScenarioName, DomainName]> = [
  ["overflow", "MEM"],
  ["overflow", "RAW"],
  ["underflow", "OBJ"],
  ["overflow_realloc", "OBJ"],
  ["api_misuse", "MEM"],
  ["api_misuse", "OBJ"],
  ["no_gil", "OBJ"],
  ["no_gil", "RAW"],
  ["clean", "MEM"],
];
for (const [scenario, domain] of CPYTHON) {
  test(`death: cpython PYTHONMALLOC=debug ${scenario} ${domain}`, { skip: noPython }, () => {
    const v = runDeathScenario("cpython", scenario, domain, {
      env: { PYTHONMALLOC: "debug", [LIBPYTHON_ENV]: libpython! },
    });
    assert.ok(v.ok, v.message);
  });
}

test("death: cpython hooks installed at run time by PyMem_SetupDebugHooks() catch an overflow", {
  skip: noPython,
}, () => {
  const v = runDeathScenario("cpython", "overflow", "MEM", {
    env: { PYTHONMALLOC: "", [LIBPYTHON_ENV]: libpython! },
    hooks: true,
    secondary: CPYTHON_RUNTIME_HOOKS_SECONDARY,
  });
  assert.ok(v.ok, v.message);
});

test(
  "death: cpython without debug hooks does not detect an overflow (release pymalloc)",
  { skip: noPython },
  () => {
    const v = runDeathScenario("cpython", "overflow", "MEM", {
      env: { PYTHONMALLOC: "", [LIBPYTHON_ENV]: libpython! },
    });
    assert.equal(v.ok, false, "an overflow without debug hooks must not produce CPython's diagnostic");
    assert.doesNotMatch(v.child.stderr, /Fatal Python error/);
  },
);

/** The native library in violation mode "abort" prints CPython's text and aborts like CPython. */
const NATIVE: Array<[ScenarioName, DomainName]> = [
  ["overflow", "MEM"],
  ["underflow", "RAW"],
  ["api_misuse", "OBJ"],
  ["no_gil", "MEM"],
  ["clean", "OBJ"],
];
for (const [scenario, domain] of NATIVE) {
  test(`death: native abort mode ${scenario} ${domain}`, () => {
    const v = runDeathScenario("native", scenario, domain, { hooks: true });
    assert.ok(v.ok, v.message);
  });
}

test("death: every scenario has an expectation for every domain", () => {
  for (const [name, s] of Object.entries(SCENARIOS)) {
    for (const d of ["RAW", "MEM", "OBJ"] as const) {
      assert.ok(s.expect(d).signal !== undefined, `${name} ${d}`);
    }
  }
});
