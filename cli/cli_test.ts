/**
 * The `allocspec` launcher from this checkout (node cli/allocspec.cjs) and the user-directory rule of the
 * repository's own entry points (`deno task conformance` starts in the repository root with INIT_CWD set).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
const COMMANDS = JSON.parse(readFileSync(new URL("./commands.json", import.meta.url), "utf8")) as Record<
  string,
  unknown
>;
import { userCwd } from "../core/cwd.ts";
import { runScript } from "../core/child.ts";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { findCompiler } from "../core/cbuild.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LAUNCHER = join(ROOT, "cli", "allocspec.cjs");
const CLI = join(ROOT, "conformance", "cli.ts");
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const node = spawnSync("node", ["--version"]).status === 0;
let cc = true;
try {
  findCompiler();
} catch {
  cc = false;
}

/** The environment without what a surrounding npm/deno task or an outer allocspec set. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(INIT_CWD|ALLOCSPEC_|npm_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

function launch(args: string[], cwd = ROOT) {
  const r = spawnSync("node", [LAUNCHER, ...args], {
    cwd,
    env: cleanEnv(),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

test("cwd: ALLOCSPEC_CWD, then INIT_CWD, then the process's directory; missing directories ignored", () => {
  const d = tmpdir();
  assert.equal(userCwd({ ALLOCSPEC_CWD: d, INIT_CWD: "/" }), d);
  assert.equal(userCwd({ INIT_CWD: d }), d);
  assert.equal(userCwd({ ALLOCSPEC_CWD: "/no/such/dir", INIT_CWD: d }), d);
  assert.equal(userCwd({}), process.cwd());
});

test(
  "launcher: --help, --version, command help, usage errors (exit 2)",
  { skip: node ? false : "no node" },
  () => {
    const h = launch(["--help"]);
    assert.equal(h.status, 0);
    for (const w of ["conformance", "bench", "--runtime", "exit status", "vtable:./libmine.so", "stderr"]) {
      assert.ok(h.stdout.includes(w), `--help mentions ${w}`);
    }
    assert.equal(launch(["--version"]).stdout.trim(), VERSION);
    const none = launch([]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /usage: allocspec/);
    const bad = launch(["frobnicate"]);
    assert.equal(bad.status, 2);
    assert.equal(
      bad.stderr.trim(),
      `allocspec: unknown command 'frobnicate': use one of ${
        Object.keys(COMMANDS).join(", ")
      } (see allocspec --help)`,
    );
    assert.equal(launch(["--runtime", "node", "conformance"]).status, 2);
    const ch = launch(["conformance", "--help"]);
    assert.equal(ch.status, 0, ch.stderr);
    assert.match(ch.stdout, /--target T/);
    assert.match(ch.stdout, /Exit status: 0 no FAIL and no ERROR/);
    const bh = launch(["help", "bench"]);
    assert.equal(bh.status, 0, bh.stderr);
    assert.match(bh.stdout, /--quick/);
    const bt = launch(["conformance", "--target", "nope:x"]);
    assert.equal(bt.status, 2);
    assert.match(bt.stderr, /unknown target kind 'nope'/);
  },
);

test(
  "relative target paths resolve where the user typed the command (launcher, and deno task's INIT_CWD)",
  { skip: !node ? "no node" : !cc ? "no C compiler" : false, timeout: 120_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-cwd-"));
    try {
      const fx = buildFixtures({ names: ["good", "realloc0_frees"], quiet: true });
      mkdirSync(join(dir, "sub"));
      copyFileSync(fx.good, join(dir, "libmine.so"));
      copyFileSync(fx.realloc0_frees, join(dir, "libbad.so"));
      const args = ["--filter", "^zero_size/", "--format", "json", "--profile", "cpython"];
      const ok = launch(["conformance", "--target", "vtable:../libmine.so", ...args], join(dir, "sub"));
      assert.equal(ok.status, 0, ok.stderr);
      const summary = JSON.parse(ok.stdout.trim().split("\n").at(-1)!);
      assert.ok(summary.counts.PASS > 0 && summary.counts.FAIL === 0, JSON.stringify(summary.counts));
      const bad = launch(["conformance", "--target", "vtable:./libbad.so", ...args], dir);
      assert.equal(bad.status, 1, "the broken allocator fails");
      assert.match(bad.stdout, /"case":"zero_size\/realloc_to_zero_non_null"[^\n]*"status":"FAIL"/);

      // the repository's entry point started in the root, as `deno task` / `npx bun run` do
      const task = (env: Record<string, string>) =>
        runScript(CLI, ["--target", "vtable:../libmine.so", ...args], { cwd: ROOT, baseEnv: cleanEnv(env) });
      const withInit = task({ INIT_CWD: join(dir, "sub") });
      assert.equal(withInit.status, 0, withInit.stderr);
      const without = task({});
      assert.equal(without.status, 2);
      assert.match(without.stderr, /library \.\.\/libmine\.so not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
