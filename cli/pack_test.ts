/**
 * The package path of an allocator author: `npm pack` this checkout, `npm install` the tarball into a
 * fresh folder outside the repository (dependencies from the registry, through the npm cache), then run
 * `npx allocspec` there: --help, --version, the suite on a correct and on a broken vtable allocator
 * (relative paths, native library compiled into XDG_CACHE_HOME with one line), and the same under Deno.
 * The install folder must be unchanged afterwards.
 *
 * It runs once per test run, under `bun test`: packing and installing take about a minute, and this one
 * test drives both runtimes of the installed package (Bun, the default, and `--runtime deno`), so a
 * second copy under `deno test` would check nothing new. Under Deno it is a skip saying so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { findCompiler } from "../core/cbuild.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const isBun = !!(globalThis as any).Bun;
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;
let cc = true;
try {
  findCompiler();
} catch {
  cc = false;
}
const skip = !isBun
  ? "runs once, under bun test (it packs and installs, ~1 min, and covers both runtimes of the installed package)"
  : !npm
  ? "npm is not on PATH"
  : !cc
  ? "no C compiler (the installed package compiles its native library on first use)"
  : false;

function env(extra: Record<string, string>): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(INIT_CWD|ALLOCSPEC_|npm_|XDG_CACHE_HOME)/.test(k)) e[k] = v;
  }
  return { ...e, ...extra };
}

/** path -> mtime of every file under dir (symlinks not followed). */
function snapshot(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(p, statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return out;
}

test("package: npm pack, install the tarball in a fresh folder, npx allocspec works there", {
  skip,
  timeout: 600_000,
}, () => {
  const tmp = mkdtempSync(join(tmpdir(), "allocspec-pack-"));
  try {
    const run = (cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) => {
      const r = spawnSync(cmd, args, {
        cwd,
        env: env({ XDG_CACHE_HOME: join(tmp, "cache"), ...extra }),
        encoding: "utf8",
        maxBuffer: 64 << 20,
        timeout: 300_000,
      });
      return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    };
    const pack = run("npm", ["pack", ROOT, "--pack-destination", tmp, "--silent"], tmp);
    assert.equal(pack.status, 0, pack.stderr);
    const tgz = join(tmp, pack.stdout.trim().split("\n").at(-1)!);
    const files = run("tar", ["tzf", tgz], tmp).stdout.split("\n").filter(Boolean);
    for (
      const f of [
        "cli/allocspec.cjs",
        "cli/commands.json",
        "native/src/raw.c",
        "conformance/cli.ts",
        "bench/main.ts",
      ]
    ) {
      assert.ok(files.includes(`package/${f}`), `the tarball ships ${f}`);
    }
    assert.deepEqual(
      files.filter((f) => /_test\.ts$|\/build\/|\.so$|screenshots|bench\/results\//.test(f)),
      [],
    );

    const proj = join(tmp, "project");
    mkdirSync(join(proj, "work", "sub"), { recursive: true });
    writeFileSync(join(proj, "package.json"), JSON.stringify({ name: "my-allocator", private: true }));
    const inst = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tgz], proj);
    assert.equal(inst.status, 0, inst.stderr.slice(-3000));
    const pkgDir = join(proj, "node_modules", "allocspec");
    const before = snapshot(pkgDir);

    const fx = buildFixtures({ names: ["good", "realloc0_frees"], quiet: true });
    copyFileSync(fx.good, join(proj, "work", "libmine.so"));
    copyFileSync(fx.realloc0_frees, join(proj, "work", "libbad.so"));
    const work = join(proj, "work");
    const npx = (args: string[], cwd = work) => run("npx", ["--no", "--", "allocspec", ...args], cwd);

    const help = npx(["--help"]);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /usage: allocspec/);
    assert.match(help.stdout, /exit status: 0/);
    assert.equal(
      npx(["--version"]).stdout.trim(),
      JSON.parse(run("tar", ["xzOf", tgz, "package/package.json"], tmp).stdout).version,
    );
    const chelp = npx(["conformance", "--help"]);
    assert.equal(chelp.status, 0, chelp.stderr);
    assert.match(chelp.stdout, /vtable:PATH/);

    const args = ["--filter", "^(zero_size|realloc)/", "--format", "json"];
    const good = npx(["conformance", "--target", "vtable:./libmine.so", ...args]);
    assert.equal(good.status, 0, good.stderr.slice(-3000));
    const lines = good.stderr.split("\n").filter((l) => l.startsWith("allocspec: first use"));
    assert.equal(lines.length, 1, `one line announces the native build:\n${good.stderr}`);
    assert.ok(lines[0].includes(join(tmp, "cache", "allocspec")), lines[0]);
    const summary = JSON.parse(good.stdout.trim().split("\n").at(-1)!);
    assert.equal(summary.exit, 0);
    assert.ok(summary.counts.PASS > 50, JSON.stringify(summary.counts));
    assert.ok(statSync(join(tmp, "cache", "allocspec")).isDirectory());

    const bad = npx(["conformance", "--target", "vtable:../libbad.so", ...args], join(work, "sub"));
    assert.equal(bad.status, 1, bad.stderr.slice(-2000));
    assert.match(bad.stdout, /"case":"zero_size\/realloc_to_zero_non_null"[^\n]*"status":"FAIL"/);
    assert.doesNotMatch(bad.stderr, /first use/, "compiled once");

    const deno = npx([
      "--runtime",
      "deno",
      "conformance",
      "--target",
      "vtable:./libmine.so",
      "--filter",
      "^zero_size/",
      "--format",
      "html",
    ]);
    assert.equal(deno.status, 0, deno.stderr.slice(-3000));
    assert.match(deno.stdout, /^<!doctype html>/);
    assert.match(
      deno.stdout,
      /allocspec conformance --target vtable:\.\/libmine\.so/,
      "the command line as typed",
    );

    const usage = npx(["conformance", "--target", "vtable:./missing.so"]);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /library \.\/missing\.so not found/);

    const after = snapshot(pkgDir);
    assert.deepEqual(
      [...after.keys()].sort(),
      [...before.keys()].sort(),
      "no file added to the install folder",
    );
    for (const [p, m] of before) assert.equal(after.get(p), m, `${p} unchanged`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
