/**
 * Signals through the launchers (issue 17): SIGINT/SIGTERM/SIGHUP to the `deno` that npm puts on PATH
 * (tools/deno_launcher.cjs), to `bun run`, to the installed command (cli/allocspec.cjs), `timeout`, and a CI
 * cancel (SIGINT, then SIGTERM, to npx alone, as GitHub's runner does before it kills the tree) must end
 * the whole tree: the launcher, `deno task`, the CLI and its workers, which hang in a target's malloc
 * (hostile_hang). Each scenario marks its tree with an environment variable and looks for it in
 * /proc/PID/environ afterwards.
 *
 * The launchers are the same JavaScript whichever runtime runs this file, so each chain is exercised once:
 * the Deno chains under `deno test`, the Bun chains under `bun test` (the scenarios of one run in parallel).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { constants } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildHostileFixtures } from "../conformance/fixtures/c/build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const isBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
const MARK = "ALLOCSPEC_SIGNAL_TEST_MARK";

let hang = "";
let skip: string | false = false;
if (!existsSync("/proc/self/environ")) skip = "no /proc: cannot find the processes of a tree";
else {
  try {
    hang = buildHostileFixtures({ names: ["hang"] }).hang;
  } catch (e) {
    skip = `C fixtures cannot be built: ${(e as Error).message.split("\n")[0]}`;
  }
}

/** pid -> command line of every process whose environment carries `mark`. */
function marked(mark: string): Map<number, string> {
  const out = new Map<number, string>();
  const needle = `${MARK}=${mark}\0`;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${d}/environ`, "latin1").includes(needle)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, "latin1");
      if (/\) Z /.test(stat)) continue; // a zombie is gone, waiting for its parent to reap it
      out.set(Number(d), readFileSync(`/proc/${d}/cmdline`, "latin1").replaceAll("\0", " ").trim());
    } catch { /* exited meanwhile, or not ours */ }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, f: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

interface Scenario {
  name: string;
  runtime: "deno" | "bun";
  /** the command started (its environment carries the mark) */
  cmd: string[];
  /** what to do once the workers run: signals to the started process */
  send: NodeJS.Signals[];
  /** the started process's expected exit: a code, or a code from a set */
  exit: number[];
}

const conformance = (hangLib: string) => ["--target", `vtable:${hangLib}`, "--timeout", "600"];
const launcher = `${ROOT}node_modules/.bin/deno`;
const allocspec = `${ROOT}cli/allocspec.cjs`;

function scenarios(): Scenario[] {
  const c = conformance(hang);
  const s = (n: NodeJS.Signals) => 128 + constants.signals[n];
  return [
    // the deno that npm puts on PATH, as `npx deno` runs it (Node), and through `deno task`
    ...(["SIGTERM", "SIGINT", "SIGHUP"] as const).map((sig): Scenario => ({
      name: `${sig} to node_modules/.bin/deno task conformance`,
      runtime: "deno",
      cmd: ["node", launcher, "task", "conformance", ...c],
      send: [sig],
      exit: [s(sig)],
    })),
    {
      name: "SIGTERM to timeout npx deno task conformance (as on expiry)",
      runtime: "deno",
      cmd: ["timeout", "-s", "TERM", "900", "npx", "deno", "task", "conformance", ...c],
      send: ["SIGTERM"],
      exit: [s("SIGTERM"), 124],
    },
    {
      name: "CI cancel: SIGINT then SIGTERM to npx deno task conformance alone",
      runtime: "deno",
      cmd: ["npx", "deno", "task", "conformance", ...c],
      send: ["SIGINT", "SIGTERM"],
      exit: [s("SIGINT"), s("SIGTERM"), 1],
    },
    {
      name: "SIGTERM to node cli/allocspec.cjs --runtime deno conformance",
      runtime: "deno",
      cmd: ["node", allocspec, "--runtime", "deno", "conformance", ...c],
      send: ["SIGTERM"],
      exit: [s("SIGTERM")],
    },
    // Bun: its own runner forwards; the installed command in its default runtime
    {
      name: "SIGTERM to bun run conformance",
      runtime: "bun",
      cmd: [process.execPath, "run", "conformance", ...c],
      send: ["SIGTERM"],
      exit: [s("SIGTERM")],
    },
    {
      name: "SIGTERM to timeout npx bun run conformance (as on expiry)",
      runtime: "bun",
      cmd: ["timeout", "-s", "TERM", "900", "npx", "bun", "run", "conformance", ...c],
      send: ["SIGTERM"],
      exit: [s("SIGTERM"), 124],
    },
    {
      name: "CI cancel: SIGINT then SIGTERM to npx bun run conformance alone",
      runtime: "bun",
      cmd: ["npx", "bun", "run", "conformance", ...c],
      send: ["SIGINT", "SIGTERM"],
      exit: [s("SIGINT"), s("SIGTERM"), 1],
    },
    ...(["SIGINT", "SIGHUP"] as const).map((sig): Scenario => ({
      name: `${sig} to node cli/allocspec.cjs conformance (Bun)`,
      runtime: "bun",
      cmd: ["node", allocspec, "conformance", ...c],
      send: [sig],
      exit: [s(sig)],
    })),
  ];
}

/** Runs one scenario; returns what went wrong (empty: nothing). Leaves nothing running either way. */
async function play(sc: Scenario, mark: string): Promise<string[]> {
  const problems: string[] = [];
  const child: ChildProcess = spawn(sc.cmd[0], sc.cmd.slice(1), {
    cwd: ROOT,
    env: { ...process.env, [MARK]: mark },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((res) =>
    child.on("exit", (code, signal) => res({ code, signal }))
  );
  try {
    // the tree is up once a worker hangs in the target
    await until(
      `the workers of '${sc.name}'`,
      180_000,
      () => [...marked(mark).values()].some((c) => c.includes("worker.ts")),
    );
    for (const [k, sig] of sc.send.entries()) {
      if (k > 0) await sleep(2000);
      // not child.kill(): under Deno, a ChildProcess ignores every kill() after its first one
      process.kill(child.pid!, sig);
    }
    const ended = await Promise.race([exited, sleep(60_000).then(() => undefined)]);
    if (!ended) problems.push(`the started process did not exit within 60 s of ${sc.send.join(", ")}`);
    else {
      const code = ended.code ?? 128 + constants.signals[ended.signal as NodeJS.Signals];
      if (!sc.exit.includes(code)) {
        problems.push(
          `exit ${ended.code} signal ${ended.signal}, expected ${sc.exit.join(" or ")}: ${stderr}`,
        );
      }
    }
    // the CLI gives its workers 2 s after forwarding the signal
    try {
      await until("the tree to end", 10_000, () => marked(mark).size === 0);
    } catch {
      problems.push(`left running: ${[...marked(mark).values()].map((c) => c.slice(0, 140)).join(" | ")}`);
    }
  } finally {
    for (const pid of marked(mark).keys()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid!, "SIGKILL");
      } catch { /* gone */ }
    }
  }
  return problems;
}

test(`launchers: signals end the whole tree (${isBun ? "Bun" : "Deno"} chains)`, {
  skip,
  timeout: 400_000,
}, async () => {
  const mine = scenarios().filter((s) => s.runtime === (isBun ? "bun" : "deno"));
  const tag = `${process.pid}-${Date.now()}`;
  const results = await Promise.all(mine.map((s, i) => play(s, `${tag}-${i}`)));
  const problems = mine.flatMap((s, i) => results[i].map((p) => `${s.name}: ${p}`));
  assert.deepEqual(problems, []);
});
