/**
 * The client run with teeth, CI-sized (two test modules): CPython's tests on native (both geometries) and
 * glibc show no new failure, no crash and no debug-hook violation against the baseline, and the pymalloc
 * divergences are listed with their reasons; broken C fixtures (conformance/fixtures/c) run through the
 * same selection show new failures and crashes attributed to them (calloc_dirty). A test module that
 * misuses the API (PyObject_Malloc freed with PyMem_Free) shows that violations come back with CPython's
 * text and the module that caused them, from CPython's hooks and from liballocspec's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { compareRuns, type Verdict } from "./compare.ts";
import { launchSpec } from "../targets/launcher.ts";
import { runRegrtest } from "./regrtest.ts";
import { formatReport } from "./report.ts";
import { runScript } from "../core/child.ts";

const TESTS = ["test_json", "test_sys"];
// test_sys narrowed to SysModuleTest (where the pymalloc divergences are): seconds per allocator
const MATCH = ["-m", "SysModuleTest", "-m", "test_json"];
const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

let skip: string | undefined;
try {
  launchSpec({ target: "native" });
  const r = spawnSync(launchSpec({ target: "cpython" }).exe, [
    "-c",
    "import test.libregrtest, test.test_json",
  ], {
    env: launchSpec({ target: "cpython" }).env,
  });
  if (r.status !== 0) skip = "this CPython has no Lib/test (regrtest): install its test suite";
} catch (e) {
  skip = `no launcher here: ${(e as Error).message.split("\n")[0]}`;
}

test(
  "CPython's tests: native (both geometries) and glibc clean against the baseline; broken fixtures caught",
  {
    skip,
    timeout: 300_000,
  },
  () => {
    const fx = buildFixtures({ names: ["calloc_dirty"] });
    const plain = launchSpec({ target: "cpython" });
    const run = (allocator: string) =>
      runRegrtest(launchSpec({ target: allocator, debugHooks: "cpython" }), TESTS, {
        jobs: 2,
        baseline: plain,
        extra: MATCH,
        label: allocator,
      });
    const base = run("cpython");
    assert.ok(base.counts.run > 150, `baseline ran ${base.counts.run} tests: ${base.tail}`);
    assert.equal(base.result, "SUCCESS");
    const verdicts: Verdict[] = [compareRuns(base, base)];
    for (const a of ["native", "native:pep445", "libc:libc.so.6"]) {
      const v = compareRuns(base, run(a));
      verdicts.push(v);
      assert.deepEqual(v.newFailures, [], a);
      assert.deepEqual(v.crashes, [], a);
      assert.deepEqual(v.run.violations, [], a);
      assert.equal(v.run.counts.run, base.counts.run, a);
      assert.deepEqual(
        v.expected.map((e) => e.id).sort(),
        [
          "test.test_sys.SysModuleTest.test_debugmallocstats",
          "test.test_sys.SysModuleTest.test_getallocatedblocks",
        ],
        `${a}: pymalloc divergences are listed with reasons`,
      );
      assert.ok(v.expected.every((e) => e.reason && e.reason.length > 20));
      assert.ok(v.clean);
      assert.ok(v.run.peakRssKb! > 10_000 && v.wallRatio! > 0);
    }
    const dirty = compareRuns(base, run(`vtable:${fx.calloc_dirty}`));
    verdicts.push(dirty);
    assert.ok(!dirty.clean);
    assert.ok(dirty.newFailures.length >= 1);
    assert.ok(
      dirty.crashes.some((c) => c.id === "(start-up)" && /SIGSEGV|SIGABRT/.test(c.detail)),
      JSON.stringify(dirty.crashes),
    );
    const ctx = { tests: TESTS, debugHooks: "cpython" };
    const table = formatReport("table", verdicts, ctx);
    assert.match(table, /NEW failures on: vtable:.*fixture_calloc_dirty\.so$/, table.slice(-400));
    assert.match(table, /sys\.getallocatedblocks\(\) counts CPython's pymalloc blocks/);
    const json = JSON.parse(formatReport("json", verdicts, ctx));
    assert.equal(json.allocators.length, 5);
    assert.match(formatReport("markdown", verdicts, ctx), /^\| allocator \| run \| passed/m);
    const junit = formatReport("junit", verdicts, ctx);
    assert.match(junit, /<testsuite name="native" tests="\d+" failures="0"/);
    assert.match(junit, /<testsuite name="vtable:[^"]*fixture_calloc_dirty\.so" tests="\d+" failures="[1-9]/);
  },
);

const BADFREE = `import ctypes, unittest
class T(unittest.TestCase):
    def test_bad_id(self):
        m = ctypes.pythonapi.PyObject_Malloc; m.restype = ctypes.c_void_p; m.argtypes = [ctypes.c_size_t]
        f = ctypes.pythonapi.PyMem_Free; f.argtypes = [ctypes.c_void_p]
        f(m(16))
`;

test("debug-hook violations come back with CPython's text and the module, from both hook implementations", {
  skip,
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-badfree-"));
  writeFileSync(join(dir, "test_badfree.py"), BADFREE);
  writeFileSync(
    join(dir, "test_fine.py"),
    "import unittest\nclass T(unittest.TestCase):\n    def test_ok(self): pass\n",
  );
  const plain = launchSpec({ target: "cpython" });
  try {
    badFree(dir, plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Both hook implementations on the bad-free module in `dir`: one violation, CPython's text. */
function badFree(dir: string, plain: ReturnType<typeof launchSpec>): void {
  for (const hooks of ["cpython", "native"] as const) {
    const r = runRegrtest(launchSpec({ target: "native", debugHooks: hooks }), [
      "test_badfree",
      "test_fine",
    ], {
      jobs: 2,
      baseline: plain,
      extra: ["--testdir", dir],
    });
    assert.equal(r.modules.test_badfree.status, "crashed", hooks);
    assert.equal(r.modules.test_fine.status, "passed", hooks);
    assert.equal(r.violations.length, 1, `${hooks}: ${JSON.stringify(r.violations)}`);
    assert.equal(r.violations[0].module, "test_badfree");
    assert.match(
      r.violations[0].text,
      /^Debug memory block at address p=0x[0-9a-f]+: API 'o'\n {4}16 bytes originally requested/,
    );
    assert.match(
      r.violations[0].text,
      /Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'o', verified using API 'm'$/,
    );
  }
}

test("clients CLI: bad usage is one line, exit 2, nothing run", { timeout: 60_000 }, () => {
  for (
    const args of [
      ["--target", "bogus"],
      ["--tests", "a b"],
      ["--tests", "test_nonexistent_xyz"],
      [
        "--format",
        "xml",
      ],
      ["--jobs", "0"],
      [
        "--frob",
      ],
    ]
  ) {
    const r = runScript(CLI, args, { inherit: true });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /^clients: /);
  }
});
