/**
 * The project's one test command (`deno task test`, also `npm test`): runs every suite and prints one
 * closing line `tests: N passed, N failed[, N skipped]` with the real counts, summed over:
 *
 * 1. static checks, one test each: `deno check --doc` (the code and its JSDoc examples), `tsc -p .`
 *    (Bun's view of the types), `deno lint`, `deno fmt --check`;
 * 2. the native C tests (`native/build.ts --test`: API test, thread stress, valgrind, sanitizers, clang);
 * 3. the unit and integration test files under `deno test` (in `--jobs` processes, each running a shard
 *    of the files in order) and under `bun test --parallel`;
 * 4. the end-to-end files (tools/test_tiers.ts), each once, in the runtime named there.
 *
 * The shared builds (native/ variants, the launcher, the layers, the C fixtures) are made once first (the
 * static checks, which need no build, run one after another beside them), then the other suites run side
 * by side (`--jobs N`, default: the number of CPUs + 1), longest expected first (the CPU
 * seconds per file and runtime in tools/test_weights.json, `tools/test_times.ts --weights`), each one's
 * output printed whole when it ends, with its wall time. `python3` on PATH is resolved once, to its real
 * executable, and handed to every suite as `ALLOCSPEC_PYTHON` ({@link pinPython}; the user's own value wins).
 * Tests skipped for a missing optional Debian
 * package (core/optional.ts) are counted apart on the closing line; with `ALLOCSPEC_REQUIRE_PACKAGES=1`
 * (`.ci/run`) they fail. Before the closing line: the run's wall time, the CPU time of the suites
 * ({@link childrenCpuSeconds}) and the machine's speed before and after (tools/speed_sample.ts), so that a
 * slower run can be told apart as more work or a slower machine.
 *
 * Exit code 0 only when every suite ran, reported its counts, and nothing failed.
 *
 * Options: `--only check|c|deno|bun|e2e` (repeatable) runs a subset; `--fast` skips valgrind and sanitizers
 * in the C suite; `--jobs N` suites at once. Test files rely on `node:test` + `node:assert/strict` only, so
 * they run unchanged in both runtimes; keep tests as top-level `test()` calls (no `describe`) so both
 * runners count alike.
 *
 * @example
 * ```sh
 * npx deno task test            # everything
 * npx deno task test --only bun # Bun's run only
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import process from "node:process";
import { readSkipLog, REQUIRE_ENV, SKIP_LOG_ENV } from "../core/optional.ts";
import { findPython } from "../core/python.ts";
import { runtimeExecutable } from "../core/runtime.ts";
import { speedSamples } from "./speed_sample.ts";
import { ALONE, ONCE } from "./test_tiers.ts";
import { loadWeights, testFiles, type Weights } from "./test_times.ts";

const root = new URL("..", import.meta.url).pathname;
const GROUPS = ["check", "c", "deno", "bun", "e2e"] as const;
type Group = typeof GROUPS[number];

/** Counts parsed from one suite's output. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** `ok | 3 passed | 0 failed | 1 ignored (25ms)` (Deno's closing line). */
export function parseDeno(out: string): Counts | null {
  const m = out.match(
    /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/,
  );
  return m ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) } : null;
}

/** ` 7 pass` / ` 1 skip` / ` 1 todo` / ` 1 fail` lines (Bun's summary). */
export function parseBun(out: string): Counts | null {
  const get = (w: string) => +(out.match(new RegExp(`^\\s*(\\d+) ${w}$`, "m"))?.[1] ?? 0);
  if (!/^Ran \d+ tests? across/m.test(out)) return null;
  return { passed: get("pass"), failed: get("fail"), skipped: get("skip") + get("todo") };
}

/** The last `N passed, N failed[, N skipped]` line (the plain form our own runners print). */
export function parsePlain(out: string): Counts | null {
  const all = [...out.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)];
  const m = all.at(-1);
  return m ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) } : null;
}

/**
 * CPU seconds (user + system) of every child this process has waited for, with their own waited-for
 * descendants: /proc/self/stat's cutime and cstime (fields 16 and 17, in USER_HZ, 100 per second on
 * Linux); null where there is no /proc. The difference across the suites is the work a run did, which
 * on a busy machine sets its wall time (CPU / CPUs), whatever the machine's speed was.
 */
export function childrenCpuSeconds(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // after "pid (comm) " the fields start at 3 (state): field N is f[N - 3]
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const s = (Number(f[13]) + Number(f[14])) / 100;
    return Number.isFinite(s) ? s : null;
  } catch {
    return null;
  }
}

/** `$ALLOCSPEC_PYTHON`, else the real executable behind `python3` on PATH, else undefined. */
export function pinPython(env: Record<string, string | undefined> = process.env): string | undefined {
  try {
    return findPython(env);
  } catch {
    return undefined;
  }
}

/** One command that reports counts (or passes/fails as one test). */
interface Suite {
  name: string;
  group: Group;
  cmd: string[];
  parse: (out: string) => Counts | null;
  /** runs with no other suite beside it, after all the others (tools/test_tiers.ts ALONE) */
  alone?: boolean;
  /** expected CPU seconds ({@link loadWeights}): the suites start longest first */
  estimate: number;
}

const deno = runtimeExecutable("deno");
/** The TypeScript folders every static check covers (new top-level folders go here and in deno.json). */
const TS_DIRS = [
  "ref",
  "core",
  "native",
  "targets",
  "conformance",
  "bench",
  "tools",
  "report",
  "cli",
  "clients",
  "debug",
  "spec",
];
const one = (status: number): Counts => ({
  passed: status === 0 ? 1 : 0,
  failed: status === 0 ? 0 : 1,
  skipped: 0,
});
const BUN_TIMEOUT = "--timeout=600000";

/** A weight lookup for one runtime: the measured CPU seconds, else the median of the measured ones. */
function weigher(table: Record<string, number>): (f: string) => number {
  const known = Object.values(table).sort((a, b) => a - b);
  const median = known.length ? known[Math.floor(known.length / 2)] : 1;
  return (f) => table[f] ?? median;
}

/**
 * Splits `files` into `n` shards of about equal time, longest first (greedy): the CPU seconds of each file
 * under Deno ({@link loadWeights}), the median for a file not there.
 */
export function shard(files: string[], n: number, weights: Weights = loadWeights()): string[][] {
  const w = weigher(weights.deno);
  const out = Array.from(
    { length: Math.max(1, Math.min(n, files.length)) },
    () => ({ t: 0, fs: [] as string[] }),
  );
  for (const f of [...files].sort((a, b) => w(b) - w(a))) {
    const s = out.reduce((a, b) => (b.t < a.t ? b : a));
    s.t += w(f);
    s.fs.push(f);
  }
  return out.map((s) => s.fs.sort()).filter((fs) => fs.length);
}

/**
 * The suites of `groups`, longest expected first (they start in this order, the ones that load the machine
 * last): Longest Processing Time first, so the short suites fill the slots at the end and no long suite
 * starts last beside nothing.
 */
function suites(groups: Set<Group>, fast: boolean, jobs: number): Suite[] {
  const files = testFiles();
  const both = files.filter((f) => !(f in ONCE) && !(f in ALONE));
  for (const f of [...Object.keys(ONCE), ...Object.keys(ALONE)]) {
    if (!files.includes(f)) throw new Error(`tools/test_tiers.ts names ${f}, which is not a test file`);
  }
  const weights = loadWeights();
  const w = { deno: weigher(weights.deno), bun: weigher(weights.bun) };
  const sum = (rt: "deno" | "bun", fs: string[]) => fs.reduce((t, f) => t + w[rt](f), 0);
  const denoTest = (fs: string[]) => [deno, "test", "-A", "--no-check", ...fs];
  // Bun's pinned binary itself, not `npx bun`: npx's own start is ~0.9 CPU-s of Node per suite (process
  // accounting of a whole run, 2026-12-07: 9 Bun suites, 8.5 CPU-s in npx), and it gave the Bun suites an
  // environment (npm_*, INIT_CWD) that the Deno suites did not have
  const bunTest = (fs: string[]) => [
    runtimeExecutable("bun"),
    "test",
    BUN_TIMEOUT,
    ...(fs.length > 1 ? [`--parallel=${jobs}`] : []),
    ...fs.map((f) => `./${f}`),
  ];
  const out: Suite[] = [];
  const flag = (s: Suite) => groups.has(s.group) && out.push(s);
  // bun's --parallel spreads its files over `jobs` processes: its wall time is about its CPU / jobs
  flag({
    name: "bun test",
    group: "bun",
    cmd: bunTest(both),
    parse: parseBun,
    estimate: sum("bun", both) / jobs,
  });
  // Deno's --parallel runs files as workers of one process, where FFI libraries (and their global
  // allocator state) are shared: separate processes instead, each running its shard in order
  const shards = shard(both, jobs, weights);
  shards.forEach((fs, i) =>
    flag({
      name: shards.length > 1 ? `deno test (shard ${i + 1}/${shards.length})` : "deno test",
      group: "deno",
      cmd: denoTest(fs),
      parse: parseDeno,
      estimate: sum("deno", fs),
    })
  );
  // the end-to-end files, once each, as suites of their own (so they spread over the free slots)
  for (const [f, [rt]] of Object.entries(ONCE)) {
    flag({
      name: `${f} (end-to-end, once, ${rt})`,
      group: "e2e",
      cmd: rt === "deno" ? denoTest([f]) : bunTest([f]),
      parse: rt === "deno" ? parseDeno : parseBun,
      estimate: w[rt](f),
    });
  }
  // the files that load the machine: last, one at a time (see the queue in main)
  for (const [f, [rt]] of Object.entries(ALONE)) {
    flag({
      name: `${f} (alone, once, ${rt})`,
      group: "e2e",
      cmd: rt === "deno" ? denoTest([f]) : bunTest([f]),
      parse: rt === "deno" ? parseDeno : parseBun,
      alone: true,
      estimate: w[rt](f),
    });
  }
  const suiteWeight = (name: string) => weights.suites?.[name] ?? 0;
  if (existsSync(`${root}native/build.ts`)) {
    const name = "native C tests";
    flag({
      name,
      group: "c",
      cmd: [deno, "run", "-A", "native/build.ts", "--test", ...(fast ? ["--fast"] : [])],
      parse: parsePlain,
      estimate: suiteWeight(name),
    });
  }
  const check = (name: string, cmd: string[]) =>
    flag({ name, group: "check", cmd, parse: () => null, estimate: suiteWeight(name) });
  // --doc type-checks the code and its JSDoc examples: one run covers both
  check("typecheck and JSDoc examples (deno check --doc)", [deno, "check", "--doc", ...TS_DIRS]);
  check("typecheck (tsc, Bun types)", ["npx", "tsc", "-p", "."]);
  check("lint (deno lint)", [deno, "lint"]);
  check("format (deno fmt --check)", [deno, "fmt", "--check"]);
  // a stable sort: equal estimates (no weights at all) keep the order above
  return out.sort((a, b) => b.estimate - a.estimate);
}

/** The outcome of one suite. */
interface Ran {
  suite: Suite;
  status: number;
  out: string;
  seconds: number;
}

function start(s: Suite, env: Record<string, string>): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const c = spawn(s.cmd[0], s.cmd.slice(1), { cwd: root, env: { ...process.env, NO_COLOR: "1", ...env } });
    let raw = "";
    c.stdout.on("data", (d) => (raw += d));
    c.stderr.on("data", (d) => (raw += d));
    c.on("error", (e) => (raw += `\nrun_tests: could not start ${s.cmd[0]}: ${e.message}\n`));
    c.on("close", (code, signal) => {
      // deno-lint-ignore no-control-regex
      const out = raw.replace(/\x1b\[[0-9;]*m/g, "");
      resolve({
        suite: s,
        status: code ?? (signal ? 128 : 1),
        out,
        seconds: (performance.now() - t0) / 1000,
      });
    });
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: "string", multiple: true },
      fast: { type: "boolean", default: false },
      jobs: { type: "string" },
    },
  });
  const only = new Set((values.only ?? GROUPS) as Group[]);
  for (const o of only) {
    if (!(GROUPS as readonly string[]).includes(o)) {
      console.error(`run_tests: unknown --only value '${o}': use ${GROUPS.join(", ")}`);
      process.exit(2);
    }
  }
  // One suite more than the CPUs, as `make -j N+1`: a suite spends part of its time waiting (for children
  // to start, for a pipe, for a timeout it tests). Process accounting of a whole run on 2 cores with 2
  // suites at once (2026-12-07): 1.64 cores busy on average, i.e. 18% of the machine idle.
  const jobs = values.jobs === undefined ? availableParallelism() + 1 : Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    console.error(`run_tests: --jobs '${values.jobs}': use an integer >= 1`);
    process.exit(2);
  }
  const speedBefore = await speedSamples();
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  // Every suite records the tests it skipped for a missing optional package here (core/optional.ts).
  const skipDir = mkdtempSync(join(tmpdir(), "allocspec-test-skips-"));
  const skipLog = join(skipDir, "package-skips");
  const env: Record<string, string> = { [SKIP_LOG_ENV]: skipLog, DENO_JOBS: String(jobs) };
  // python3 resolved once for every suite (core/python.ts defaultPython): the interpreter behind `python3` on
  // PATH, so a wrapper such as pyenv's shim (a bash script, ~0.35 CPU-s and ~20 processes per start) is
  // not run again by each of the ~230 processes that ask (process accounting of a whole run, 2026-12-07:
  // 230 python3 and 4,581 bash processes). The user's own ALLOCSPEC_PYTHON wins; no python3: unset, and
  // the tests that need one skip as before. Tests of the PATH lookup itself unset it (core/python_test.ts).
  const pinned = pinPython();
  if (pinned) env.ALLOCSPEC_PYTHON = pinned;
  console.log(`run_tests: python3 for the suites: ${pinned ?? "none found (tests that need it skip)"}`);

  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  const lines: string[] = [];
  const add = (r: Ran) => {
    let c = r.suite.parse(r.out) ?? (r.suite.group === "check" ? one(r.status) : null);
    const took = `[${r.seconds.toFixed(0)} s]`;
    if (!c) {
      lines.push(
        `${r.suite.name}: no counts found in its output (exit ${r.status}): counted as 1 failed ${took}`,
      );
      total.failed += 1;
      return;
    }
    if (r.status !== 0 && c.failed === 0) {
      lines.push(`${r.suite.name}: exit ${r.status} with no failed test reported: counted as 1 failed`);
      c = { ...c, failed: 1 };
    }
    lines.push(`${r.suite.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped ${took}`);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  };

  const all = suites(only, values.fast!, jobs);
  const report = (r: Ran) => {
    console.log(`\n$ ${r.suite.cmd.join(" ")}\n${r.out}`);
    console.log(`[${r.suite.name}: exit ${r.status}, ${r.seconds.toFixed(0)} s]`);
    add(r);
  };
  // The static checks need no build: one after another beside the shared builds, which kept 1.6 of 2 cores
  // busy (process accounting, 2026-12-07)
  const checks = (async () => {
    for (const s of all.filter((s) => s.group === "check")) {
      console.log(`run_tests: started ${s.name} (beside the shared builds): ${s.cmd.join(" ")}`);
      report(await start(s, env));
    }
  })();

  // the shared builds, once, before the suites that use them run side by side (in `jobs` processes)
  if (only.has("c") || only.has("deno") || only.has("bun") || only.has("e2e")) {
    const t0 = performance.now();
    const builds = await Promise.all(
      Array.from({ length: jobs }, (_, i) =>
        start({
          name: `shared builds ${i + 1}/${jobs}`,
          group: "c",
          cmd: [deno, "run", "-A", "tools/prebuild.ts", "--shard", `${i + 1}/${jobs}`],
          parse: () => null,
          estimate: 0,
        }, env)),
    );
    for (const b of builds) console.log(`$ ${b.suite.cmd.join(" ")}\n${b.out}`);
    console.log(`[shared builds: ${((performance.now() - t0) / 1000).toFixed(0)} s]`);
  }

  // the suites that load the machine go last, each with nothing beside it
  const rest = all.filter((s) => s.group !== "check");
  const queue = [...rest.filter((s) => !s.alone), ...rest.filter((s) => s.alone)];
  const running = new Set<Promise<void>>();
  for (const s of queue) {
    if (s.alone) await checks;
    while (running.size >= (s.alone ? 1 : jobs)) await Promise.race(running);
    console.log(`run_tests: started ${s.name} (load ${loadavg()[0].toFixed(1)}): ${s.cmd.join(" ")}`);
    const p: Promise<void> = start(s, env).then((r) => {
      report(r);
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all([...running, checks]);

  const pkgSkips = readSkipLog(skipLog);
  rmSync(skipDir, { recursive: true, force: true });
  if (pkgSkips.count && process.env[REQUIRE_ENV] === "1") {
    // .ci/run installed every optional package: a skip for a missing one means the install or the
    // detection is broken, and hides the tests that needed it
    lines.push(
      `${pkgSkips.count} tests skipped for missing optional packages (${
        pkgSkips.packages.join(", ")
      }) although ${REQUIRE_ENV}=1: counted as failed`,
    );
    total.failed += pkgSkips.count;
    total.skipped -= pkgSkips.count;
  }

  console.log("\n" + lines.join("\n"));
  const wall = performance.now() - started;
  console.log(`wall time: ${(wall / 60000).toFixed(1)} min (${jobs} suites at once)`);
  const cpuAfter = childrenCpuSeconds();
  if (cpuBefore !== null && cpuAfter !== null) {
    const cpus = availableParallelism();
    console.log(
      `CPU time of the suites: ${(cpuAfter - cpuBefore).toFixed(0)} s (user + system of every process they ` +
        `waited for); ${cpus} CPUs x the wall time: ${(cpus * wall / 1000).toFixed(0)} s`,
    );
  }
  const speedAfter = await speedSamples();
  console.log(
    `machine speed (tools/speed_sample.ts, CPU ms of one copy per CPU; more: slower): ` +
      `[${speedBefore.join(", ")}] before the suites, [${speedAfter.join(", ")}] after`,
  );
  console.log(
    `skipped for missing optional packages: ${
      pkgSkips.count ? `${pkgSkips.count} (${pkgSkips.packages.join(", ")})` : "none"
    }`,
  );
  console.log(
    `tests: ${total.passed} passed, ${total.failed} failed` +
      (total.skipped ? `, ${total.skipped} skipped` : "") +
      (pkgSkips.count && process.env[REQUIRE_ENV] !== "1"
        ? ` (${pkgSkips.count} for missing optional packages: ${pkgSkips.packages.join(", ")})`
        : ""),
  );
  process.exit(total.failed === 0 ? 0 : 1);
}
