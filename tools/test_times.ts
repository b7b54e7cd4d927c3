/**
 * Where the test time goes: runs each test file on its own, under Deno and/or Bun, one after the other,
 * and prints a table of wall time and CPU time (user + system of the runner and every process it waited
 * for) per file and runtime, with the tests each run reported (name and status).
 *
 * CPU time is what decides on a shared, loaded machine (wall time there measures the other tenants); wall
 * time is what a user waits for on a quiet one. The load average before and after each run is recorded.
 *
 * Options: `--runtime deno|bun` (repeatable; default both), `--filter RE` (file paths), `--json FILE`
 * (everything measured, the test names included), `--weights` (write each measured file's CPU seconds into
 * tools/test_weights.json for its runtime, keeping the rest: tools/run_tests.ts splits and orders its
 * suites by them). `--compare A B` (each a JSON file of this tool, or the
 * log of a whole `npx deno task test`) prints both tables and lists the tests of A that B ran in no
 * runtime (exit 1 when there is one), then those B ran in the other runtime only.
 *
 * @example
 * ```sh
 * npx deno run -A tools/test_times.ts --json /tmp/times.json           # every file, both runtimes
 * npx deno run -A tools/test_times.ts --runtime bun --filter '^bench/'
 * npx deno run -A tools/test_times.ts --compare /tmp/before.json --compare /tmp/test-command.log
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";

/** One test as a runner reported it. */
export interface TestOutcome {
  name: string;
  status: "pass" | "fail" | "skip";
}

/** One file run under one runtime. */
export interface FileTime {
  file: string;
  runtime: "deno" | "bun";
  wallS: number;
  cpuS: number;
  exit: number;
  load: [number, number];
  tests: TestOutcome[];
}

const root = new URL("..", import.meta.url).pathname;

/** Every `*_test.ts` under the project (what `deno test` and `bun test` discover), sorted. */
export function testFiles(dir = root): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      if (e === "node_modules" || e.startsWith(".") || e === "build") continue;
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith("_test.ts")) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Top-level test lines of `deno test` (`name ... ok (2ms)`) and `bun test` (`(pass) name [2ms]`). */
export function parseTests(runtime: "deno" | "bun", out: string): TestOutcome[] {
  const tests: TestOutcome[] = [];
  for (const line of out.split("\n")) {
    if (runtime === "deno") {
      const m = line.match(/^(\S.*?) \.\.\. (ok|ignored|FAILED)(?: \(.*\))?$/);
      if (m) {
        tests.push({ name: m[1], status: m[2] === "ok" ? "pass" : m[2] === "ignored" ? "skip" : "fail" });
      }
    } else {
      const m = line.match(/^\((pass|fail|skip|todo)\) (.*?)(?: \[[\d.]+m?s\])?$/);
      if (m) tests.push({ name: m[2], status: m[1] === "todo" ? "skip" : m[1] as TestOutcome["status"] });
    }
  }
  return tests;
}

/** Runs one file under one runtime, timing it through the shell's `times` (children's user + system). */
export function timeFile(file: string, runtime: "deno" | "bun"): FileTime {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-times-"));
  const times = join(dir, "times");
  const cmd = runtime === "deno"
    ? ["npx", "deno", "test", "-A", "--no-check", file]
    : ["npx", "bun", "test", "--timeout=600000", `./${file}`];
  const load0 = loadavg()[0];
  const t0 = performance.now();
  const r = spawnSync("sh", ["-c", '"$@"; rc=$?; times > "$T"; exit $rc', "sh", ...cmd], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", T: times },
  });
  const wallS = (performance.now() - t0) / 1000;
  let cpuS = NaN;
  try {
    // the second line is the children's user and system time: `0m1.230s 0m0.450s`
    const line = readFileSync(times, "utf8").trim().split("\n").at(-1) ?? "";
    const parts = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => +m[1] * 60 + +m[2]);
    if (parts.length === 2) cpuS = parts[0] + parts[1];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // deno-lint-ignore no-control-regex
  const out = ((r.stdout ?? "") + (r.stderr ?? "")).replace(/\x1b\[[0-9;]*m/g, "");
  return {
    file,
    runtime,
    wallS,
    cpuS,
    exit: r.status ?? 1,
    load: [load0, loadavg()[0]],
    tests: parseTests(runtime, out),
  };
}

const f1 = (n: number) => Number.isFinite(n) ? n.toFixed(1) : "?";

/** A markdown table: file, then wall / CPU seconds and counts per runtime, slowest (CPU) first. */
export function table(rows: FileTime[]): string {
  const files = [...new Set(rows.map((r) => r.file))];
  const get = (f: string, rt: string) => rows.find((r) => r.file === f && r.runtime === rt);
  const cpu = (f: string) => (get(f, "deno")?.cpuS ?? 0) + (get(f, "bun")?.cpuS ?? 0);
  files.sort((a, b) => cpu(b) - cpu(a));
  const cell = (r?: FileTime) => {
    if (!r) return "- | - | -";
    const n = (s: string) => r.tests.filter((t) => t.status === s).length;
    return `${f1(r.wallS)} | ${f1(r.cpuS)} | ${n("pass")}/${n("fail")}/${n("skip")}${
      r.exit ? ` (exit ${r.exit})` : ""
    }`;
  };
  const lines = [
    "| file | deno wall s | deno CPU s | deno pass/fail/skip | bun wall s | bun CPU s | bun pass/fail/skip |",
    "| --- | ---: | ---: | --- | ---: | ---: | --- |",
    ...files.map((f) => `| ${f} | ${cell(get(f, "deno"))} | ${cell(get(f, "bun"))} |`),
  ];
  const sum = (rt: string, k: "wallS" | "cpuS") =>
    rows.filter((r) => r.runtime === rt).reduce((s, r) => s + (Number.isFinite(r[k]) ? r[k] : 0), 0);
  lines.push(
    `| **total** | ${f1(sum("deno", "wallS"))} | ${f1(sum("deno", "cpuS"))} | | ${
      f1(sum("bun", "wallS"))
    } | ${f1(sum("bun", "cpuS"))} | |`,
  );
  return lines.join("\n");
}

/**
 * The tests a whole run reported (the output of `npx deno task test`), per file and runtime: Deno's
 * `running N tests from ./file` headers and Bun's `file.ts:` headers, then their test lines. No times.
 */
export function fromLog(log: string): FileTime[] {
  const rows = new Map<string, FileTime>();
  let cur: FileTime | undefined;
  const row = (file: string, runtime: "deno" | "bun") => {
    const k = `${runtime} ${file}`;
    if (!rows.has(k)) {
      rows.set(k, { file, runtime, wallS: NaN, cpuS: NaN, exit: 0, load: [NaN, NaN], tests: [] });
    }
    return rows.get(k)!;
  };
  // deno-lint-ignore no-control-regex
  for (const line of log.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
    const d = line.match(/^running \d+ tests? from \.\/(\S+_test\.ts)$/);
    const b = line.match(/^(\S+_test\.ts):$/);
    if (d) cur = row(d[1], "deno");
    else if (b) cur = row(b[1].replace(/^\.\//, ""), "bun");
    else if (cur) cur.tests.push(...parseTests(cur.runtime, line));
  }
  return [...rows.values()];
}

/** Tests (file :: name) that `a` ran and `b` did not, in any runtime. */
export function vanished(a: FileTime[], b: FileTime[]): string[] {
  const names = (rows: FileTime[]) =>
    new Set(rows.flatMap((r) => r.tests.map((t) => `${r.file} :: ${t.name}`)));
  const nb = names(b);
  return [...names(a)].filter((n) => !nb.has(n)).sort();
}

/** Tests (file :: name) that `a` ran and `b` did not, per runtime. */
export function missingTests(a: FileTime[], b: FileTime[]): string[] {
  const names = (rows: FileTime[], rt: string) =>
    new Set(
      rows.filter((r) => r.runtime === rt).flatMap((r) => r.tests.map((t) => `${r.file} :: ${t.name}`)),
    );
  const out: string[] = [];
  for (const rt of ["deno", "bun"]) {
    const nb = names(b, rt);
    for (const n of names(a, rt)) if (!nb.has(n)) out.push(`${rt}: ${n}`);
  }
  return out;
}

/**
 * tools/test_weights.json: the CPU seconds of each test file under each runtime, measured by
 * `tools/test_times.ts --weights` (run alone, one file at a time), and of the suites that are not test
 * files (`suites`, by suite name). Used only to split and order the work, never to judge it.
 */
export interface Weights {
  deno: Record<string, number>;
  bun: Record<string, number>;
  suites?: Record<string, number>;
}

/** Where the weights are kept (written by `tools/test_times.ts --weights`). */
export const WEIGHTS_FILE: string = join(root, "tools", "test_weights.json");

/** The weights file, or empty weights when it is missing or unreadable (then all files weigh the same). */
export function loadWeights(): Weights {
  try {
    const w = JSON.parse(readFileSync(WEIGHTS_FILE, "utf8"));
    return { bun: w.bun ?? {}, deno: w.deno ?? {}, suites: w.suites ?? {} }; // the file's order
  } catch {
    return { bun: {}, deno: {}, suites: {} };
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runtime: { type: "string", multiple: true },
      filter: { type: "string" },
      json: { type: "string" },
      compare: { type: "string", multiple: true },
      "from-log": { type: "string" },
      weights: { type: "boolean", default: false },
    },
  });
  if (values.compare) {
    if (values.compare.length !== 2) {
      console.error("test_times: --compare needs two JSON files (--compare A.json --compare B.json)");
      process.exit(2);
    }
    const load = (f: string) =>
      f.endsWith(".json")
        ? JSON.parse(readFileSync(f, "utf8")) as FileTime[]
        : fromLog(readFileSync(f, "utf8"));
    const [a, b] = values.compare.map(load);
    console.log(`## ${values.compare[0]}\n\n${table(a)}\n\n## ${values.compare[1]}\n\n${table(b)}\n`);
    const gone = vanished(a, b);
    console.log(
      gone.length ? `tests in A, in no runtime of B:\n${gone.join("\n")}` : "every test of A is in B",
    );
    const once = missingTests(a, b);
    console.log(once.length ? `\ntests in A, not in the same runtime of B:\n${once.join("\n")}` : "");
    process.exit(gone.length ? 1 : 0);
  }
  const runtimes = (values.runtime ?? ["deno", "bun"]) as Array<"deno" | "bun">;
  const re = values.filter ? new RegExp(values.filter) : undefined;
  const rows: FileTime[] = [];
  for (const file of testFiles().filter((f) => !re || re.test(f))) {
    for (const rt of runtimes) {
      const t = timeFile(file, rt);
      rows.push(t);
      console.error(
        `${rt} ${file}: wall ${f1(t.wallS)} s, CPU ${
          f1(t.cpuS)
        } s, ${t.tests.length} tests, exit ${t.exit}, load ${t.load.map(f1).join("->")}`,
      );
      if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 1));
    }
  }
  console.log(table(rows));
  if (values.weights) {
    const w = loadWeights(); // the file run_tests reads, the rest of it (the suites' weights) kept
    for (const r of rows) {
      if (Number.isFinite(r.cpuS)) w[r.runtime][r.file] = Math.round(r.cpuS * 10) / 10;
    }
    writeFileSync(WEIGHTS_FILE, JSON.stringify(w, null, 2) + "\n");
    console.error(`test_times: ${rows.length} weights written to ${relative(root, WEIGHTS_FILE)}`);
  }
}
