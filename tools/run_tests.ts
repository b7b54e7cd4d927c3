/**
 * The project's one test command (`deno task test`, also `npm test`): runs every suite and prints one
 * closing line `tests: N passed, N failed[, N skipped]` with the real counts, summed over:
 *
 * 1. static checks, one test each: `deno check` and `tsc -p .` (Bun's view of the types), the JSDoc
 *    examples (`deno check --doc`), `deno lint`, `deno fmt --check`;
 * 2. the native C tests (`native/build.ts --test`: API test, thread stress, valgrind, sanitizers), when
 *    native/ exists;
 * 3. every `*_test.ts` under `deno test`;
 * 4. the same files under `bun test`.
 *
 * Exit code 0 only when every suite ran, reported its counts, and nothing failed.
 *
 * Options: `--only deno|bun|c|check` (repeatable) runs a subset; `--fast` skips valgrind and sanitizers
 * in the C suite. Test files rely on `node:test` + `node:assert/strict` only, so they run unchanged in
 * both runtimes; keep tests as top-level `test()` calls (no `describe`) so both runners count alike.
 *
 * @example
 * ```sh
 * npx deno task test            # everything
 * npx deno task test --only bun # Bun's run only
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import process from "node:process";

const root = new URL("..", import.meta.url).pathname;
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { only: { type: "string", multiple: true }, fast: { type: "boolean", default: false } },
});
const only = new Set(values.only ?? []);
for (const o of only) {
  if (!["deno", "bun", "c", "check"].includes(o)) {
    console.error(`run_tests: unknown --only value '${o}': use deno, bun, c or check`);
    process.exit(2);
  }
}
const want = (s: string) => only.size === 0 || only.has(s);

/** Counts parsed from one suite's output. */
interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Runs `cmd` in the project root, echoing its output, and returns status and the combined text. */
function run(cmd: string[], env: Record<string, string> = {}): { status: number; out: string } {
  console.log(`\n$ ${cmd.join(" ")}`);
  const r = spawnSync(cmd[0], cmd.slice(1), {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const raw = (r.stdout ?? "") + (r.stderr ?? "");
  process.stdout.write(raw);
  // deno-lint-ignore no-control-regex
  const out = raw.replace(/\x1b\[[0-9;]*m/g, "");
  if (r.error) console.error(`run_tests: could not start ${cmd[0]}: ${r.error.message}`);
  return { status: r.status ?? 1, out };
}

/** `ok | 3 passed | 0 failed | 1 ignored (25ms)` (Deno's closing line). */
function parseDeno(out: string): Counts | null {
  const m = out.match(
    /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/,
  );
  return m ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) } : null;
}

/** ` 7 pass` / ` 1 skip` / ` 1 todo` / ` 1 fail` lines (Bun's summary). */
function parseBun(out: string): Counts | null {
  const get = (w: string) => +(out.match(new RegExp(`^\\s*(\\d+) ${w}$`, "m"))?.[1] ?? 0);
  if (!/^Ran \d+ tests? across/m.test(out)) return null;
  return { passed: get("pass"), failed: get("fail"), skipped: get("skip") + get("todo") };
}

/** The last `N passed, N failed[, N skipped]` line (the plain form our own runners print). */
function parsePlain(out: string): Counts | null {
  const all = [...out.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)];
  const m = all.at(-1);
  return m ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) } : null;
}

const total: Counts = { passed: 0, failed: 0, skipped: 0 };
const lines: string[] = [];
function add(name: string, status: number, c: Counts | null) {
  if (!c) {
    lines.push(`${name}: no counts found in its output (exit ${status}): counted as 1 failed`);
    total.failed += 1;
    return;
  }
  if (status !== 0 && c.failed === 0) {
    lines.push(`${name}: exit ${status} with no failed test reported: counted as 1 failed`);
    c = { ...c, failed: 1 };
  }
  lines.push(`${name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
}

const deno = process.execPath.endsWith("deno") ? process.execPath : "deno";
/** The TypeScript folders every static check covers (new top-level folders go here and in deno.json). */
const TS_DIRS = [
  "ref",
  "core",
  "native",
  "conformance",
  "bench",
  "tools",
  "report",
  "cli",
  "clients",
  "debug",
];
/** One command that passes or fails as a whole, counted as one test. */
function single(name: string, cmd: string[]) {
  const r = run(cmd);
  add(name, r.status, { passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1, skipped: 0 });
}
if (want("check")) {
  single("typecheck (deno check)", [deno, "check", ...TS_DIRS]);
  single("typecheck (tsc, Bun types)", ["npx", "tsc", "-p", "."]);
  // JSDoc @example blocks type-check as their own modules (imports included).
  single("doc examples (deno check --doc)", [deno, "check", "--doc", ...TS_DIRS]);
  single("lint (deno lint)", [deno, "lint"]);
  single("format (deno fmt --check)", [deno, "fmt", "--check"]);
}
if (want("c") && existsSync(`${root}native/build.ts`)) {
  const r = run([deno, "run", "-A", "native/build.ts", "--test", ...(values.fast ? ["--fast"] : [])]);
  add("native C tests", r.status, parsePlain(r.out));
}
if (want("deno")) {
  const r = run([deno, "test", "-A", "--no-check"]);
  add("deno test", r.status, parseDeno(r.out));
}
if (want("bun")) {
  const r = run(["npx", "bun", "test", "--timeout=120000"]);
  add("bun test", r.status, parseBun(r.out));
}

console.log("\n" + lines.join("\n"));
console.log(
  `tests: ${total.passed} passed, ${total.failed} failed` +
    (total.skipped ? `, ${total.skipped} skipped` : ""),
);
process.exit(total.failed === 0 ? 0 : 1);
