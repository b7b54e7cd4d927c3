import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runPool } from "./pool.ts";
import { runScriptAsync } from "../core/child.ts";
import { prepareSuite } from "./suite.ts";
import { findLibpython } from "../core/python.ts";

// Issue 8: death-case verdicts on real CPython depended on the caller's environment (PYTHONFAULTHANDLER,
// PYTHONDEVMODE, PYTHONTRACEMALLOC, the size of the environment). The same death cases must give the same
// verdicts in a hostile environment with both cores busy as in a clean one. A clean run of these cases
// gives PASS for every run the plan runs and the plan's own status for the others: that is what
// conformance/default_run_test.ts asserts of the whole default run (cpython and native, every case, no FAIL
// and no ERROR) in both runtimes, so the hostile run is compared with the plan instead of with a second run
// of ~75 death children (process accounting, 2026-12-07: this file started 210 Bun death children).

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const FILTER = "^(debug_(pads|api_id)|abort)/";

let noPython: string | undefined;
try {
  findLibpython();
} catch (e) {
  noPython = `no shared libpython: ${(e as Error).message}`;
}

function run(
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runScriptAsync(
    CLI,
    [
      "--target",
      "cpython",
      "--target",
      "native",
      "--profile",
      "cpython",
      "--filter",
      FILTER,
      "--format",
      "json",
    ],
    { baseEnv: env, timeoutMs: 0 },
  );
}

const verdicts = (stdout: string) =>
  stdout.trim().split("\n").map((l) => JSON.parse(l)).filter((x) => !x.summary).map((x) =>
    `${x.target} ${x.case}[${x.domain}]@${x.profile}: ${x.status}`
  ).sort();

/** The verdicts of a clean run of {@link run}'s cases: PASS where the plan runs a case, else its status. */
async function clean(): Promise<string[]> {
  const prep = await prepareSuite({
    targets: ["cpython", "native"],
    abi: "shipped",
    profiles: ["cpython"],
    filter: new RegExp(FILTER),
  });
  return prep.items.map((it) =>
    `${it.adapter.label} ${it.case.id}[${it.run.domain}]@${it.run.profile}: ${
      it.disposition.kind === "skip" ? it.disposition.status : "PASS"
    }`
  ).sort();
}

/** A bounded busy loop in a child of this runtime (killed when the test ends, ends by itself in 120 s). */
function burn(): ChildProcess {
  const code = "const end = Date.now() + 120000; while (Date.now() < end) {}";
  return (globalThis as any).Bun
    ? spawn(process.execPath, ["-e", code], { stdio: "ignore" })
    : spawn(process.execPath, ["eval", code], { stdio: "ignore" });
}

test(
  "death cases: the verdicts of a clean environment in a hostile one (PYTHON*, large env, busy cores)",
  {
    skip: noPython,
    timeout: 240_000,
  },
  async () => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith("PYTHON")) {
        base[k] = v;
      }
    }
    const want = await clean();
    const hostile: Record<string, string> = {
      ...base,
      PYTHONFAULTHANDLER: "1",
      PYTHONDEVMODE: "1",
      PYTHONTRACEMALLOC: "1",
      PYTHONMALLOC: "pymalloc_debug",
      PYTHONMALLOCSTATS: "1",
      MALLOC_PERTURB_: "165",
      MALLOC_CHECK_: "3",
    };
    for (let i = 0; i < 400; i++) hostile[`ALLOCSPEC_FILLER_${i}`] = "x".repeat(100 + (i % 37));
    const burners = [burn(), burn()];
    try {
      const h = await run(hostile);
      assert.deepEqual(verdicts(h.stdout), want);
      assert.equal(h.status, 0, h.stderr + h.stdout.slice(-1500));
    } finally {
      for (const b of burners) b.kill("SIGKILL");
    }
    assert.ok(want.filter((v) => v.endsWith(": PASS")).length > 60, "too few runs: did the filter match?");
  },
);

test(
  "death cases: CPython's hooks from initialisation hold even when faulthandler reaches the child",
  {
    skip: noPython,
    timeout: 240_000,
  },
  async () => {
    // the root fix alone (PYTHONMALLOC=debug in the death child), without the controlled environment's help:
    // the variables are passed as the adapter's own environment, which the runner does not filter
    const prep = await prepareSuite({
      targets: ["cpython"],
      abi: "shipped",
      profiles: ["cpython"],
      filter: /^debug_(api_id|pads)\//,
    });
    const items = prep.items.map((it) =>
      it.disposition.kind === "death" ? { ...it, env: { ...it.env, PYTHONFAULTHANDLER: "1" } } : it
    );
    assert.ok(items.filter((it) => it.disposition.kind === "death").length > 20);
    const rs = await runPool(items, { jobs: 2, abi: "shipped" });
    const bad = rs.filter((r) => r.status !== "PASS").map((r) =>
      `${r.case}[${r.domain}]: ${r.status} ${r.message}`
    );
    assert.deepEqual(bad, []);
  },
);
