/**
 * Verdicts that hold under load (issue 17): the same verdict for every key (target, case, domain, variant,
 * profile) with the machine as it is, with 8 busy processes and with 24 busy processes on top, the busy
 * loops started by this test itself (`sh -c 'while :; do :; done'`, each under `timeout -s KILL`, so none
 * can outlive a killed test run).
 *
 * Both runtimes at once: at every level the CLI runs under Deno AND under Bun side by side (whichever
 * runtime runs this file), so each loaded period serves both (the busy loops, not the runs, take the
 * cores), and the two runtimes' verdicts must agree as well. The file runs once (tools/test_tiers.ts ALONE).
 *
 * What runs (CI): one CLI run per load and runtime with a representative subset of each kind the issue names: the
 * default targets (native, cpython), a `libc:` target (glibc), a `hook:` target over native (a correct
 * hook with an install-once guard) and a broken allocator fixture; one case of each way a case runs: in workers, in death children
 * and in the RAW thread stress (the cost of the test is process starts, 13x slower with 24
 * busy processes on 2 cores, so the subset is small). `ALLOCSPEC_LOAD_TEST=full` runs the
 * whole default run and more targets instead (minutes; conformance/README.md has what it measured).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runScriptAsync } from "../core/child.ts";
import type { RuntimeName } from "../core/runtime.ts";
import { groupExists, signalGroup } from "../core/group.ts";
import { findLibpython } from "../core/python.ts";
import { buildFixtures } from "./fixtures/c/build.ts";
import { buildHooks } from "./fixtures/c/hooks/build.ts";
import { currentLoad } from "./budget.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const FULL = process.env.ALLOCSPEC_LOAD_TEST === "full";

let skip: string | false = false;
let fx: Record<string, string> = {};
let hooks: Record<string, string> = {};
try {
  fx = buildFixtures({ names: ["malloc0_null", "realloc0_frees", "align8"], quiet: true });
  hooks = buildHooks({ names: ["good_once", "malloc0_null", "good_ctor_once"], quiet: true });
} catch (e) {
  skip = `C fixtures cannot be built: ${(e as Error).message.split("\n")[0]}`;
}
let python = true;
try {
  findLibpython();
} catch {
  python = false;
}

/** The CLI arguments of one load level. */
function cliArgs(): string[] {
  const targets = FULL
    ? [
      "ref",
      "native",
      ...(python ? ["cpython"] : []),
      "libc:libc.so.6",
      `hook:${hooks.good_once}`,
      `hook:${hooks.good_ctor_once}`,
      `hook:${hooks.malloc0_null}`,
      `vtable:${fx.malloc0_null}`,
      `vtable:${fx.realloc0_frees}`,
      `vtable:${fx.align8}`,
    ]
    : [
      "native",
      ...(python ? ["cpython"] : []),
      "libc:libc.so.6",
      `hook:${hooks.good_once}`,
      `vtable:${fx.malloc0_null}`,
    ];
  // one case per way a case runs: in a worker (zero_size, the hook's failure path), as a death child
  // (abort), in the RAW thread stress (threads); the loaded levels cost ~13x the idle one in process starts
  const filter = FULL ? [] : [
    "--profile",
    "cpython",
    "--filter",
    "^(zero_size/malloc_zero_distinct_non_null|abort/overflow_aborts_with_test_mem_text|" +
    "hook_failure/malloc_null_from_below_gives_null|threads/raw_stress_hands_blocks_between_threads)$",
  ];
  return [...targets.flatMap((t) => ["--target", t]), ...filter, "--format", "json"];
}

/**
 * Starts `n` busy loops, each ending itself after 15 min whatever happens. Each is a process group of its
 * own (GNU timeout makes one, so one kill ends timeout and its loop) in this test's session. In CI the
 * loops share the session with the CLIs they load, so the kernel shares the cores among processes: each
 * of ours gets 2/(n + ours) of them, as beside n busy processes of one user. Linux's autogroup scheduler
 * (`/proc/sys/kernel/sched_autogroup_enabled`) shares them among sessions instead, so loops each in a
 * session of its own (`detached`) leave everything the CLI runs 1/(n + 1) of the machine together: n busy
 * users. `ALLOCSPEC_LOAD_TEST=full` keeps that harder setting.
 */
function busy(n: number): ChildProcess[] {
  return Array.from(
    { length: n },
    () =>
      spawn("timeout", ["-s", "KILL", "900", "sh", "-c", "while :; do :; done"], {
        stdio: "ignore",
        detached: FULL,
      }),
  );
}

/** True once every loop leads its process group (timeout's setpgid ran), so the kill in runAt reaches it. */
function groupsLed(kids: ChildProcess[]): boolean {
  return kids.every((k) => groupExists(k.pid));
}

const RUNTIMES: readonly RuntimeName[] = ["deno", "bun"];

interface Level {
  label: string;
  runtime: RuntimeName;
  verdicts: Map<string, string>;
  messages: Map<string, string>;
  seconds: number;
  load: number;
  exit: number | null;
}

/** One level: the busy loops, then the CLI in both runtimes side by side under them. */
async function runAt(label: string, loops: number): Promise<Level[]> {
  const kids = busy(loops);
  try {
    // the CLIs start once the loops run (budget.ts currentLoad counts the runnable tasks this instant),
    // at most 3 s after they were started
    const until = performance.now() + 3000;
    while (loops && (currentLoad() < loops || !groupsLed(kids)) && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // a loop that leads no group would survive the kill below (only its timeout would die)
    assert.ok(
      groupsLed(kids),
      "the busy loops' timeout did not make process groups (GNU coreutils timeout?)",
    );
    const load = currentLoad();
    return await Promise.all(RUNTIMES.map(async (runtime) => {
      const t0 = performance.now();
      const o = await runScriptAsync(CLI, cliArgs(), { timeoutMs: 0, runtime });
      const rows = o.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      const verdicts = new Map<string, string>(), messages = new Map<string, string>();
      for (const r of rows.filter((x) => !x.summary)) {
        const k = `${r.target} ${r.case}[${r.domain}${r.variant ? "/" + r.variant : ""}]@${r.profile}`;
        verdicts.set(k, r.status);
        messages.set(k, `${r.message} ${r.rerunAlone ?? ""}`.trim());
      }
      const what = `${label} (${runtime})`;
      assert.ok(verdicts.size > 0, `${what}: no result (exit ${o.status}): ${o.stderr.slice(-1500)}`);
      return {
        label,
        runtime,
        verdicts,
        messages,
        seconds: (performance.now() - t0) / 1000,
        load,
        exit: o.status,
      };
    }));
  } finally {
    for (const k of kids) signalGroup(k.pid, "SIGKILL", true);
  }
}

test(
  `load: the same verdict for every key with 0, 8 and 24 busy processes, in Deno and Bun (${
    FULL ? "full" : "CI subset"
  })`,
  {
    skip,
    timeout: 3_600_000,
  },
  async () => {
    const levels = [...await runAt("as is", 0), ...await runAt("8 busy", 8), ...await runAt("24 busy", 24)];
    // the base: Deno as is; every other run (Bun as is, each runtime at each load) must match it
    const base = levels[0];
    const diffs: string[] = [];
    for (const l of levels.slice(1)) {
      const what = `${l.label} (${l.runtime})`;
      assert.deepEqual(
        [...l.verdicts.keys()].sort(),
        [...base.verdicts.keys()].sort(),
        `${what}: other keys`,
      );
      for (const [k, v] of base.verdicts) {
        if (l.verdicts.get(k) !== v) {
          diffs.push(`${k}: ${v} as is (deno), ${l.verdicts.get(k)} with ${what} (${l.messages.get(k)})`);
        }
      }
      assert.equal(l.exit, base.exit, `${what}: exit ${l.exit}, as is (deno) ${base.exit}`);
    }
    console.log(
      `load test (${base.verdicts.size} keys, deno and bun side by side): ` +
        levels.map((l) => `${l.label} ${l.runtime}: load ${l.load.toFixed(1)}, ${l.seconds.toFixed(0)} s`)
          .join("; "),
    );
    assert.deepEqual(diffs, []);
    // the broken fixtures are caught at every load (a test that cannot fail is no test)
    const bad = [...base.verdicts.entries()].filter(([, v]) => v === "FAIL").map(([k]) => k);
    assert.ok(bad.some((k) => k.includes("fixture_malloc0_null")), "malloc0_null not caught");
    if (FULL) assert.ok(bad.some((k) => k.includes("hook_malloc0_null")), "hook_malloc0_null not caught");
  },
);
