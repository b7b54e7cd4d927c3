/**
 * The package path of an allocator author: `npm pack` this checkout, `npm install` the tarball into a
 * fresh folder outside the repository (dependencies from the registry, through the npm cache), then run
 * every command there, under Bun (the default) and Deno (`--runtime deno`), with `npx allocspec` (help,
 * version, conformance, `python -- --version`) or the installed command npx runs (node_modules/.bin):
 * conformance (relative paths, the native library compiled into XDG_CACHE_HOME with one line), python
 * (`--` kept: `python -- --version` reaches Python), faults and leaks on a small program, clients on one
 * small regrtest module, libs --quick (one library per runtime), bench --quick (one scenario of each kind:
 * built from the shipped C sources, cross-runtime, trace replay). The install folder must be unchanged
 * afterwards.
 *
 * An end-to-end test: tools/run_tests.ts runs this file once (it drives both runtimes of the installed
 * package itself), beside the other suites. The tests share one install, made by the first that needs it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runProgram, runProgramAsync } from "../core/child.ts";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { buildFixtures as buildDebugFixtures } from "../debug/fixtures/build.ts";
import { findCompiler } from "../core/cbuild.ts";
import { needs, type PackageName } from "../core/optional.ts";
import { HARNESSES } from "../clients/libs/build.ts";
import { STABLE_FIGURES } from "../bench/goals.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;
let cc = true;
try {
  findCompiler();
} catch {
  cc = false;
}
const skip = !npm
  ? "npm is not on PATH"
  : !cc
  ? "no C compiler (the installed package compiles its native library on first use)"
  : false;
const RUNTIMES = ["bun", "deno"] as const;

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

interface Installed {
  tmp: string;
  tgz: string;
  proj: string;
  work: string;
  pkgDir: string;
  before: Map<string, number>;
}
let installed: Installed | undefined;

type Run = { status: number | null; stdout: string; stderr: string };
/** The child's options: the user's environment as built here (unfiltered), the cache in the test's folder. */
const childOpts = (cwd: string, extra: Record<string, string>) => ({
  cwd,
  baseEnv: env({ XDG_CACHE_HOME: join(installed!.tmp, "cache"), ...extra }),
  timeoutMs: 1_500_000,
});
function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): Run {
  return runProgram(cmd, args, childOpts(cwd, extra));
}
/** `run` without waiting: independent commands of one test run side by side (each is mostly waiting). */
function runAsync(
  cmd: string,
  args: string[],
  cwd: string,
  extra: Record<string, string> = {},
): Promise<Run> {
  return runProgramAsync(cmd, args, childOpts(cwd, extra));
}
const cmdArgs = (runtime: "bun" | "deno", args: string[]) => [
  ...(runtime === "deno" ? ["--runtime", "deno"] : []),
  ...args,
];
/** `npx allocspec ARGS` in the user's folder (or `cwd`), under `runtime`. */
function npx(runtime: "bun" | "deno", args: string[], cwd = installed!.work): Run {
  return run("npx", ["--no", "--", "allocspec", ...cmdArgs(runtime, args)], cwd);
}
/**
 * The installed command itself, `node_modules/.bin/allocspec ARGS` (what npx runs once it has found it),
 * for the commands after npx's own path is proven (help, version, conformance and `python -- --version`
 * under both runtimes go through npx): npx's start costs ~0.7 CPU-s of Node per call
 * (`/usr/bin/time npx --no -- allocspec --version`, 2026-12-07: 0.9 CPU-s, the bin alone 0.15).
 */
function bin(runtime: "bun" | "deno", args: string[], cwd = installed!.work): Run {
  return run(binPath(), cmdArgs(runtime, args), cwd);
}
const binPath = () => join(installed!.proj, "node_modules", ".bin", "allocspec");
/** {@link bin} without waiting (`extra`: more environment). */
function binAsync(
  runtime: "bun" | "deno",
  args: string[],
  cwd = installed!.work,
  extra: Record<string, string> = {},
): Promise<Run> {
  return runAsync(
    binPath(),
    cmdArgs(runtime, args),
    cwd,
    extra,
  );
}
const tail = (r: Run) => `exit ${r.status}\n${r.stderr.slice(-3000)}`;

/** Packs and installs once (the first test that needs it); removed when the process exits. */
function install(): Installed {
  if (installed) return installed;
  const tmp = mkdtempSync(join(tmpdir(), "allocspec-pack-"));
  process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
  installed = { tmp } as Installed;
  const pack = run("npm", ["pack", ROOT, "--pack-destination", tmp, "--silent"], tmp);
  assert.equal(pack.status, 0, pack.stderr);
  const tgz = join(tmp, pack.stdout.trim().split("\n").at(-1)!);
  const proj = join(tmp, "project");
  const work = join(proj, "work");
  mkdirSync(join(work, "sub"), { recursive: true });
  writeFileSync(join(proj, "package.json"), JSON.stringify({ name: "my-allocator", private: true }));
  const inst = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tgz], proj);
  assert.equal(inst.status, 0, inst.stderr.slice(-3000));
  const pkgDir = join(proj, "node_modules", "allocspec");
  const fx = buildFixtures({ names: ["good", "realloc0_frees"], quiet: true });
  copyFileSync(fx.good, join(work, "libmine.so"));
  copyFileSync(fx.realloc0_frees, join(work, "libbad.so"));
  // a small program with a MemoryError handler and a leak, for faults and leaks
  writeFileSync(
    join(work, "prog.py"),
    "import sys\nkeep = []\ntry:\n    keep.append([str(i) * 3 for i in range(200)])\nexcept MemoryError:\n    sys.exit(3)\nprint('done', len(keep[0]))\n",
  );
  Object.assign(installed, { tgz, proj, work, pkgDir, before: snapshot(pkgDir) });
  return installed;
}

test("package: npm pack ships what the commands need, and nothing built", { skip, timeout: 600_000 }, () => {
  const { tmp, tgz } = install();
  const files = run("tar", ["tzf", tgz], tmp).stdout.split("\n").filter(Boolean);
  for (
    const f of [
      "cli/allocspec.cjs",
      "cli/commands.json",
      "core/optional.ts",
      "native/src/raw.c",
      "conformance/cli.ts",
      "bench/main.ts",
      "debug/faults/engine.c",
      "core/progress.ts",
      // what the verdicts cite ships with them
      "spec/pep-0445-draft-2013.txt",
      "spec/cpython-facts.md",
      "spec/third-party-allocators.md",
    ]
  ) {
    assert.ok(files.includes(`package/${f}`), `the tarball ships ${f}`);
  }
  // every libs harness's C source (the libs test runs two of them from the package)
  for (const lib of Object.keys(HARNESSES)) {
    assert.ok(files.includes(`package/clients/libs/${lib}.c`), `the tarball ships the ${lib} harness`);
  }
  assert.deepEqual(
    files.filter((f) => /_test\.ts$|\/test_[^/]*\.c$|\/build\/|\.so$|screenshots|bench\/results\//.test(f)),
    [],
  );
});

test("package: npx allocspec conformance works there (Bun and Deno, relative paths, one native build)", {
  skip,
  timeout: 600_000,
}, () => {
  const { tmp, tgz, work } = install();
  const help = npx("bun", ["--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /usage: allocspec/);
  assert.match(help.stdout, /exit status: 0/);
  assert.equal(
    npx("bun", ["--version"]).stdout.trim(),
    JSON.parse(run("tar", ["xzOf", tgz, "package/package.json"], tmp).stdout).version,
  );
  const chelp = npx("bun", ["conformance", "--help"]);
  assert.equal(chelp.status, 0, chelp.stderr);
  assert.match(chelp.stdout, /vtable:PATH/);

  const args = ["--filter", "^(zero_size|realloc)/", "--format", "json"];
  const good = npx("bun", ["conformance", "--target", "vtable:./libmine.so", ...args]);
  assert.equal(good.status, 0, good.stderr.slice(-3000));
  const lines = good.stderr.split("\n").filter((l) => l.startsWith("allocspec: first use"));
  assert.equal(lines.length, 1, `one line announces the native build:\n${good.stderr}`);
  assert.ok(lines[0].includes(join(tmp, "cache", "allocspec")), lines[0]);
  const summary = JSON.parse(good.stdout.trim().split("\n").at(-1)!);
  assert.equal(summary.exit, 0);
  assert.ok(summary.counts.PASS > 50, JSON.stringify(summary.counts));
  assert.ok(statSync(join(tmp, "cache", "allocspec")).isDirectory());

  const bad = npx("bun", ["conformance", "--target", "vtable:../libbad.so", ...args], join(work, "sub"));
  assert.equal(bad.status, 1, bad.stderr.slice(-2000));
  assert.match(bad.stdout, /"case":"zero_size\/realloc_to_zero_non_null"[^\n]*"status":"FAIL"/);
  assert.match(
    bad.stdout,
    /"rerun":"npx allocspec conformance --target vtable:..\/libbad.so --filter '\^zero_size\/realloc_to_zero_non_null\$' --domain RAW --profile cpython"/,
    "the rerun command of the installed package",
  );
  assert.doesNotMatch(bad.stderr, /first use/, "compiled once");

  const deno = npx("deno", [
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

  const usage = npx("bun", ["conformance", "--target", "vtable:./missing.so"]);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /library \.\/missing\.so not found/);
});

for (const rt of RUNTIMES) {
  test(`package: python, faults, leaks and clients from the installed package under ${rt} (-- kept)`, {
    skip,
    timeout: 600_000,
  }, () => {
    install();
    const py = bin(rt, ["python", "--target", "native", "--", "-c", "print(6 * 7)"]);
    assert.equal(py.stdout, "42\n", tail(py));
    // `--` reaches the command: --version is Python's, not an unknown option of ours
    const ver = npx(rt, ["python", "--", "--version"]);
    assert.equal(ver.status, 0, tail(ver));
    assert.match(ver.stdout, /^Python 3\./);

    const faults = bin(rt, ["faults", "--max-points", "6", "--format", "json", "--", "prog.py"]);
    assert.equal(faults.status, 0, tail(faults));
    const report = JSON.parse(faults.stdout);
    assert.equal(report.stats.run, 6, faults.stdout.slice(0, 2000));
    assert.deepEqual(report.findings, []);

    const leaks = bin(rt, ["leaks", "--format", "json", "--", "prog.py"]);
    assert.equal(leaks.status, 0, tail(leaks));
    assert.match(leaks.stdout, /"blocks"/);

    const clients = bin(rt, ["clients", "--target", "native", "--tests", "test_bool", "--format", "json"]);
    assert.equal(clients.status, 0, tail(clients));
    assert.match(clients.stdout, /test_bool/);
  });
}

/**
 * One library per runtime. What the package decides for libs is the same for every library: the driver
 * (clients/libs/driver.c with the launcher's sources) and each harness (libs_common.c, <library>.c and the
 * fault engine's sources) compiled from the shipped files into the cache, and the command's TypeScript. The
 * harnesses differ only in the system library they link; every harness's source is checked in the tarball
 * by the first test, and every library runs from the checkout in both runtimes (clients/libs/libs_test.ts).
 * Two different harnesses, one per runtime, so each runtime builds the driver and a harness of its own.
 */
const LIBS_RUNS = [["bun", "zlib"], ["deno", "expat"]] as const;
test("package: libs --quick from the installed package (Bun and Deno)", {
  skip: skip || needs(...LIBS_RUNS.map(([, lib]) => HARNESSES[lib].debian as PackageName)),
  timeout: 600_000,
}, () => {
  install();
  for (const [rt, lib] of LIBS_RUNS) {
    const libs = bin(rt, ["libs", "--quick", "--target", "native", "--lib", lib]);
    assert.equal(libs.status, 0, tail(libs));
    assert.match(libs.stdout, new RegExp(`${lib}\\s+native`));
  }
});

/**
 * What the package decides for bench is which files it ships and where a run writes, so each KIND of
 * scenario runs once from it (every other scenario runs from the checkout in bench/main_test.ts; fault_sweep,
 * the costliest, runs here only, and every one of its stable figures must have a value):
 * - built from the package's own C sources: fault_sweep (the debug fixture extension against python3's
 *   headers, the faults layer, the programs and set_nomemory script of debug/), leak_tracer (the leaks
 *   layer), hooks (the hook fixtures of conformance/fixtures/c/hooks; cpython_hook builds one of them);
 * - cross-runtime, both directions: ffi_cost started by Bun and by Deno (each runs it in a child of both
 *   runtimes, found from the package's dependencies; mitata's stats); ref_vs_native needs nothing more;
 * - on the workload trace: debug_hooks captures it in CPython with the native tracing hook and writes it
 *   into the cache (the last test: never into the install folder), as indirection, pymalloc and
 *   ref_vs_native would (they replay the same trace);
 * - the native library alone (pymalloc, programs, check_layer: the launcher and layers are built by the
 *   commands above) and libs_sweep (the libs test) need nothing more from the package.
 * The two runs are independent: side by side, each with a TMPDIR of its own, so neither waits for the
 * machine-wide bench lock (bench/bench_lock.ts, in the temporary folder) of the other or of another bench
 * run on this machine: their figures are not read, only that every scenario ran without error.
 */
// the checkout's own build of fault_sweep's fixture: whether python3's headers are here
let NO_HEADERS: string | false = false;
try {
  buildDebugFixtures();
} catch (e) {
  NO_HEADERS = (e as Error).message.split("\n")[0];
}
const BENCH_RUNS = [
  {
    rt: "bun",
    scenarios: ["fault_sweep", "leak_tracer", "hooks", "debug_hooks", "ffi_cost"],
    cross: "ffi_cost",
  },
  { rt: "deno", scenarios: ["ffi_cost"], cross: "ffi_cost" },
] as const;
test("package: bench --quick from the installed package: its C-built and cross-runtime scenarios, no error", {
  skip,
  timeout: 1_800_000,
}, async () => {
  const { work, tmp } = install();
  const runs = await Promise.all(BENCH_RUNS.map(({ rt, scenarios }) => {
    const out = join(work, `bench-${rt}`);
    const tmpdir = join(tmp, `tmp-bench-${rt}`);
    mkdirSync(tmpdir, { recursive: true });
    const filter = `^(${scenarios.join("|")})$`;
    return binAsync(rt, ["bench", "--quick", "--filter", filter, "--out", out], work, { TMPDIR: tmpdir });
  }));
  for (const [i, { rt, scenarios, cross }] of BENCH_RUNS.entries()) {
    const b = runs[i];
    assert.equal(b.status, 0, tail(b));
    const report = JSON.parse(readFileSync(join(work, `bench-${rt}`, "latest.json"), "utf8"));
    const errors = report.scenarios.filter((s: any) => s.error).map((s: any) =>
      `${s.name}@${s.runtime}: ${s.error}`
    );
    assert.deepEqual(errors, []);
    const ran = report.scenarios.map((s: any) => `${s.name}@${s.runtime}`).sort();
    const want = [...scenarios.map((s) => `${s}@${rt}`), `${cross}@${rt === "bun" ? "deno" : "bun"}`];
    assert.deepEqual(ran, want.sort(), `${rt}: the scenarios that ran`);
  }
  // fault_sweep says "not measured" (no error) when it cannot build its fixture: where the checkout can,
  // the package must too (a fixture source missing from the tarball shows here)
  const sweep = JSON.parse(readFileSync(join(work, "bench-bun", "latest.json"), "utf8")).figures;
  const names = STABLE_FIGURES.filter((n) => n.startsWith("fault_sweep_"));
  assert.ok(names.length > 0, "fault_sweep's figures");
  for (const n of names) {
    assert.ok(sweep[n], `${n} is not in the report`);
    if (NO_HEADERS) assert.equal(sweep[n].status, "not measured", `${n} without python3's headers`);
    else assert.equal(typeof sweep[n].value, "number", `${n}: ${JSON.stringify(sweep[n])}`);
  }
});

test("package: the install folder is unchanged after every command", { skip, timeout: 60_000 }, () => {
  const { pkgDir, before } = install();
  const after = snapshot(pkgDir);
  assert.deepEqual(
    [...after.keys()].sort(),
    [...before.keys()].sort(),
    "no file added to the install folder",
  );
  for (const [p, m] of before) assert.equal(after.get(p), m, `${p} unchanged`);
});
