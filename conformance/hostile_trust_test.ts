/**
 * "The runner trusts nothing a target writes" (issue 17), through the CLI as a user runs it, in the runtime
 * running this file: each hostile fixture (conformance/fixtures/c/hostile/) costs an ERROR for exactly the
 * runs in which it misbehaves, nothing else (every other verdict is the one of the fixture it is built on),
 * and leaves no process behind (each CLI's tree is marked with an environment variable and looked for in
 * /proc afterwards).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runScript, spawnScript } from "../core/child.ts";
import { buildFixtures, buildHostileFixtures } from "./fixtures/c/build.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));
const MARK = "ALLOCSPEC_HOSTILE_TEST_MARK";

let lib: Record<string, string> = {};
let base: Record<string, string> = {};
let skip: string | false = false;
try {
  lib = buildHostileFixtures({ names: ["fork_ctor", "fd3_forger", "exit0", "segv_ignored", "hang"] });
  base = buildFixtures({ names: ["good", "malloc0_null"], quiet: true });
} catch (e) {
  skip = `C fixtures cannot be built: ${(e as Error).message.split("\n")[0]}`;
}
if (!skip && !existsSync("/proc/self/environ")) skip = "no /proc: cannot look for processes left behind";

interface Row {
  target: string;
  case: string;
  domain: string;
  variant?: string;
  profile: string;
  status: string;
  message: string;
}
let n = 0;
/** pid -> command line of the live processes whose environment carries `mark`. */
function marked(mark: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/environ`, "latin1").includes(`${MARK}=${mark}\0`)) continue;
      if (/\) Z /.test(readFileSync(`/proc/${d}/stat`, "latin1"))) continue;
      out.set(Number(d), readFileSync(`/proc/${d}/cmdline`, "latin1").replaceAll("\0", " ").slice(0, 160));
    } catch { /* gone */ }
  }
  return out;
}
/** Runs the CLI; returns its rows, summary and the processes of its tree still alive afterwards. */
function cli(args: string[]) {
  const mark = `${process.pid}-${n++}`;
  const o = runScript(CLI, [...args, "--format", "json"], {
    inherit: true,
    env: { [MARK]: mark },
    timeoutMs: 0,
  });
  const lines = o.stdout.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
  const left: string[] = [];
  for (const [pid, cmd] of marked(mark)) {
    left.push(cmd);
    try {
      process.kill(pid, "SIGKILL"); // a failed test leaves nothing either
    } catch { /* gone */ }
  }
  return {
    status: o.status,
    stdout: o.stdout,
    stderr: o.stderr,
    rows: lines.filter((x) => !x.summary) as Row[],
    summary: lines.find((x) => x.summary),
    left,
  };
}
const key = (r: Row) => `${r.case}[${r.domain}${r.variant ? "/" + r.variant : ""}]@${r.profile}`;

/** Every row of `got` has the status of the same key in `want`, or is an ERROR matching `err`. */
function sameOrError(got: Row[], want: Row[], err: RegExp): Row[] {
  const w = new Map(want.map((r) => [key(r), r.status]));
  assert.deepEqual(got.map(key).sort(), want.map(key).sort(), "the same runs");
  const errors = got.filter((r) => r.status !== w.get(key(r)));
  for (const r of errors) {
    assert.equal(
      r.status,
      "ERROR",
      `${key(r)}: ${r.status} (${w.get(key(r))} on the fixture it is built on)`,
    );
    assert.match(r.message, err, key(r));
  }
  return errors;
}

const ZERO = ["--profile", "cpython", "--filter", "^zero_size/"];

test(
  "hostile: a constructor that forks a child holding stdout: a correct allocator's verdicts, nothing left",
  {
    skip,
    timeout: 300_000,
  },
  () => {
    const args = ["--filter", "^(zero_size|free_null)/"];
    const h = cli(["--target", `vtable:${lib.fork_ctor}`, ...args]);
    const g = cli(["--target", `vtable:${base.good}`, ...args]);
    assert.equal(h.status, 0, h.stderr);
    assert.deepEqual(sameOrError(h.rows, g.rows, /^$/), []);
    assert.ok(h.rows.length >= 50);
    assert.deepEqual(h.left, [], "processes left behind");
  },
);

test("hostile: a result forged on fd 3 costs the run in flight an ERROR, never a PASS or a made-up target", {
  skip,
  timeout: 300_000,
}, () => {
  const h = cli(["--target", `vtable:${lib.fd3_forger}`, ...ZERO]);
  const b = cli(["--target", `vtable:${base.malloc0_null}`, ...ZERO]);
  const errors = sameOrError(h.rows, b.rows, /^worker protocol: unauthenticated result/);
  assert.ok(errors.length >= 3, `only ${errors.length} runs saw the forgery`);
  assert.deepEqual(Object.keys(h.summary.targets), [`vtable:${lib.fd3_forger}`]);
  assert.ok(h.rows.every((r) => r.target === `vtable:${lib.fd3_forger}`));
  assert.equal(h.status, 1);
  assert.deepEqual(h.left, []);
});

test("hostile: exit(0) in malloc is an ERROR for that run, not a result", { skip, timeout: 300_000 }, () => {
  const h = cli(["--target", `vtable:${lib.exit0}`, ...ZERO]);
  const g = cli(["--target", `vtable:${base.good}`, ...ZERO]);
  const errors = sameOrError(h.rows, g.rows, /^target crashed: exit 0; worker restarted$/);
  assert.ok(errors.length >= 3);
  assert.equal(h.status, 1);
  assert.deepEqual(h.left, []);
});

test("hostile: SIGSEGV swallowed and SIGTERM ignored (a hang): ERROR after a rerun alone, nothing left", {
  skip,
  timeout: 300_000,
}, () => {
  const only = [
    "--profile",
    "cpython",
    "--filter",
    "^zero_size/malloc_zero_distinct_non_null$",
    "--timeout",
    "0.2",
  ];
  const h = cli(["--target", `vtable:${lib.segv_ignored}`, ...only]);
  const g = cli(["--target", `vtable:${base.good}`, ...only]);
  const errors = sameOrError(
    h.rows,
    g.rows,
    /^(timed out after [\d.]+ s \(target hung\) with \d+ jobs in parallel, and again when run alone: timed out after [\d.]+ s|target stopped after 2 consecutive timeouts confirmed alone)/,
  );
  assert.equal(errors.length, 3);
  assert.equal(h.summary.budget.confirmedTimeouts, 2);
  assert.equal(h.status, 1);
  assert.deepEqual(h.left, []);
});

test("hostile: SIGKILL to the runner (no handler can run): its workers hung in a target die with it", {
  skip,
  timeout: 300_000,
}, async () => {
  const mark = `${process.pid}-kill`;
  const cli = spawnScript(CLI, ["--target", `vtable:${lib.hang}`, "--timeout", "600"], {
    inherit: true,
    env: { [MARK]: mark },
    stdio: "ignore",
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    for (let i = 0; i < 1200 && ![...marked(mark).values()].some((c) => c.includes("worker.ts")); i++) {
      await sleep(100);
    }
    const workers = [...marked(mark)].filter(([, c]) => c.includes("worker.ts")).map(([p]) => p);
    assert.ok(workers.length > 0, "no worker started");
    await sleep(500); // into the hang
    process.kill(cli.pid!, "SIGKILL");
    for (let i = 0; i < 100 && marked(mark).size > 0; i++) await sleep(100);
    assert.deepEqual([...marked(mark).values()], [], "left behind (PR_SET_PDEATHSIG)");
  } finally {
    for (const pid of marked(mark).keys()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
  }
});
