import assert from "node:assert/strict";
import { test } from "node:test";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runScript } from "../../core/child.ts";
import { findLibpython } from "../../core/python.ts";

// Issue 17: under a hook over cpython, death children crashed a SECOND time on CPython's fatal-error path
// (SIGSEGV after the expected "Fatal Python error" line), in about one run in four, which runs depending
// on ASLR: flush_std_files() ran Python code that freed objects allocated before the debug hooks were
// set up at run time (cpython_embed.ts quietFatalPath). How often depended on the CALLER's environment
// (its size moves the heap): with only PATH and HOME, 13 and 9 of the 24 runs of
// debug_pads/trailing_pad_overflow_detected FAILed (Deno, Bun); with a shell's full environment, none.
// So the CLI runs here with that small environment, 15 death children (debug_api_id/), which must all die
// by SIGABRT with the expected text.

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
let noPython: string | false = false;
try {
  findLibpython();
} catch (e) {
  noPython = `no shared libpython: ${(e as Error).message.split("\n")[0]}`;
}

test(
  "tracemalloc: the death children of debug_api_id/ all PASS, from a small environment (no second crash)",
  {
    skip: noPython,
    timeout: 300_000,
  },
  () => {
    const args = [
      "--target",
      "tracemalloc",
      "--profile",
      "cpython",
      "--filter",
      "^debug_api_id/",
      "--format",
      "json",
    ];
    const baseEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/" };
    const r = runScript(CLI, args, { baseEnv, timeoutMs: 300_000 });
    const rows = (r.stdout ?? "").trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
    const results = rows.filter((x) => !x.summary);
    assert.equal(results.length, 15, r.stderr);
    const bad = results.filter((x) => x.status !== "PASS").map((x) =>
      `${x.domain}/${x.variant}: ${x.message}`
    );
    assert.deepEqual(bad, []);
    assert.equal(r.status, 0, r.stderr);
  },
);
