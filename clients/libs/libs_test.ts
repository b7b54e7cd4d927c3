/**
 * The external-library harnesses under native and cpython (quick workloads, results verified), the glib
 * row, and planted bugs that the checks must report (a leak, a foreign free), under Deno and Bun.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { findLibpython } from "../../conformance/adapters/cpython_lib.ts";
import { UsageError } from "../../conformance/adapter.ts";
import { exitStatus, judge, type LibsRow, runLibs } from "./run.ts";
import { formatRows } from "./report.ts";
import { choosePoints, classify } from "./sweep.ts";
import { buildFixtures } from "../../conformance/fixtures/c/build.ts";

function why(): string | undefined {
  const cc = spawnSync("cc", ["--version"]);
  if (cc.status !== 0) return "no C compiler";
  for (const p of ["zlib", "expat", "openssl", "libxml-2.0", "sqlite3", "glib-2.0"]) {
    if (spawnSync("pkg-config", ["--exists", p]).status !== 0) return `${p} development files missing`;
  }
  return undefined;
}
const noLibs = why();
let noPython: string | undefined;
try {
  findLibpython();
} catch (e) {
  noPython = (e as Error).message;
}

const row = (rows: LibsRow[], target: string, scenario: string) => {
  const r = rows.find((x) => x.target === target && x.scenario === scenario);
  assert.ok(r, `no row ${scenario} on ${target}`);
  return r;
};

function assertVerified(rows: LibsRow[], target: string): void {
  for (const lib of ["zlib", "expat", "openssl", "libxml2", "sqlite"]) {
    const r = row(rows, target, lib);
    assert.equal(r.status, "PASS", `${lib} on ${target}: ${r.message}`);
    assert.ok(r.result!.routed > 0, `${lib} on ${target}: no call was routed through the target`);
    assert.ok(r.result!.checks_passed >= 5, `${lib}: only ${r.result!.checks_passed} checks ran`);
    assert.equal(r.result!.leaks.blocks, 0);
    assert.equal(r.violations, 0);
  }
  assert.equal(row(rows, target, "zlib").result!.threads, 4);
  assert.equal(row(rows, target, "openssl").result!.threads, 4);
  const g = row(rows, target, "glib");
  assert.equal(g.status, "PASS", g.message);
  assert.equal(g.result!.vtable_calls, 0);
  assert.equal(g.result!.routable, false);
  assert.match(g.result!.notes.texts.join("\n"), /custom memory allocation vtable not supported/);
  // the late xmlMemSetup demonstration must show its cross-allocator frees, one way or another
  const late = row(rows, target, "libxml2 (late xmlMemSetup)");
  assert.equal(late.status, "FINDING", late.message);
  assert.ok(late.expected);
}

test("libs: five libraries verified through native's RAW domain, glib row, late libxml2 finding", {
  skip: noLibs,
  timeout: 180_000,
}, async () => {
  const rows = await runLibs({ targets: ["native"], quick: true });
  assertVerified(rows, "native");
  assert.equal(exitStatus(rows), 0);
  assert.match(formatRows(rows, "markdown"), /^\| library \| target \| routed calls/);
});

test("libs: five libraries verified through libpython's RAW domain (CPython's debug hooks)", {
  skip: noLibs ?? noPython,
  timeout: 180_000,
}, async () => {
  const rows = await runLibs({ targets: ["cpython"], quick: true });
  assertVerified(rows, "cpython");
  assert.equal(exitStatus(rows), 0);
});

test("libs: a planted leak is reported with its size and site (native and cpython)", {
  skip: noLibs,
  timeout: 180_000,
}, async () => {
  const targets = noPython ? ["native"] : ["native", "cpython"];
  const rows = await runLibs({ targets, libraries: ["zlib"], quick: true, plant: "leak" });
  for (const t of targets) {
    const r = row(rows, t, "zlib");
    assert.equal(r.status, "FINDING", r.message);
    assert.equal(r.result!.leaks.blocks, 2);
    assert.deepEqual(r.result!.leaks.groups.map((g) => g.size).sort((a, b) => a - b), [7160, 32768]);
    assert.match(r.message, /left live after cleanup.*zlib:zalloc/);
  }
  assert.equal(exitStatus(rows), 1);
});

test("libs: a planted foreign free is caught by the debug hooks (native: collected; cpython: abort)", {
  skip: noLibs,
  timeout: 180_000,
}, async () => {
  const targets = noPython ? ["native"] : ["native", "cpython"];
  const rows = await runLibs({ targets, libraries: ["zlib"], quick: true, plant: "foreign" });
  const n = row(rows, "native", "zlib");
  assert.equal(n.status, "FINDING");
  assert.equal(n.result!.foreign_frees, 1);
  assert.equal(n.violations, 1);
  assert.match(n.violationText!, /bad_id in _PyMem_DebugRawFree/);
  if (!noPython) {
    const c = row(rows, "cpython", "zlib");
    assert.equal(c.status, "FINDING", c.message);
    assert.equal(c.ended, "signal SIGABRT");
    assert.match(c.violationText!, /Fatal Python error: _PyMem_DebugRawFree: bad ID/);
  }
  assert.equal(exitStatus(rows), 1);
});

test("libs: judge: a crash without a debug-hook report is an ERROR; a failed check is a FAIL", () => {
  const sc = { id: "zlib", lib: "zlib", options: "" };
  const crash = judge("native", sc, {
    status: null,
    signal: "SIGSEGV",
    stdout: "",
    stderr: "",
    timedOut: false,
  }, 0);
  assert.equal(crash.status, "ERROR");
  const base = {
    library: "zlib",
    calls: { malloc: 1, calloc: 0, realloc: 0, free: 1 },
    routed: 2,
    bytes: 1,
    peak_bytes: 1,
    zero_size: 0,
    free_null: 0,
    foreign_frees: 0,
    failed_allocs: 0,
    leaks: { blocks: 0, bytes: 0, groups: [] },
    violations: { count: 0, texts: [] },
    checks_passed: 3,
    checks_failed: { count: 1, texts: ["level 6 streaming: round trip differs"] },
    notes: { count: 0, texts: [] },
  };
  const out = `@@libs@@${JSON.stringify({ rc: 1, result: base })}\n`;
  const fail = judge("native", sc, { status: 0, signal: null, stdout: out, stderr: "", timedOut: false }, 0);
  assert.equal(fail.status, "FAIL");
  assert.match(fail.message, /round trip differs/);
});

test(
  "libs: targets the launcher cannot install and unknown libraries are usage errors",
  { timeout: 60_000 },
  async () => {
    await assert.rejects(runLibs({ targets: ["ref"], quick: true }), UsageError);
    await assert.rejects(
      runLibs({ targets: ["native"], libraries: ["bzip9"], quick: true }),
      /unknown library/,
    );
    await assert.rejects(
      runLibs({ targets: ["nope:x"], quick: true }),
      /allocator 'nope:x': use cpython, native/,
    );
  },
);

test("libs: fault sweep on the one engine: zlib's failed zallocs are handled (Z_MEM_ERROR), no leak", {
  skip: noLibs,
  timeout: 180_000,
}, async () => {
  const rows = await runLibs({ targets: ["native"], libraries: ["zlib"], quick: true, faults: 4 });
  const f = row(rows, "native", "zlib").faults!;
  assert.ok(f.points > 10, `only ${f.points} allocation points counted`);
  assert.equal(f.tried, 4);
  assert.equal(f.handled, 4, JSON.stringify(f.findings));
  assert.equal(f.reported, 4, "every failed zalloc must surface as Z_MEM_ERROR");
  assert.equal(f.crashes + f.leaks + f.violations + f.unreported, 0);
});

test("libs: sweep oracles: points, OOM errors, silent failures", () => {
  assert.deepEqual(choosePoints(3, 10), [1, 2, 3]);
  assert.deepEqual(choosePoints(100, 3), [1, 51, 100]);
  const p = choosePoints(1000, 40);
  assert.equal(p.length, 40);
  assert.deepEqual(p.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(p.at(-1), 1000);
  const sc = { id: "expat", lib: "expat", options: "" };
  const res = (errors: string[], failed: string[], leaks = 0) => ({
    status: 0,
    signal: null,
    timedOut: false,
    stderr: "",
    stdout: `@@libs@@${
      JSON.stringify({
        rc: failed.length ? 1 : 0,
        result: {
          library: "expat",
          calls: { malloc: 1, calloc: 0, realloc: 0, free: 1 },
          routed: 2,
          bytes: 1,
          peak_bytes: 1,
          zero_size: 0,
          free_null: 0,
          foreign_frees: 0,
          failed_allocs: 1,
          leaks: {
            blocks: leaks,
            bytes: leaks * 8,
            groups: leaks ? [{ size: 8, count: leaks, site: "x" }] : [],
          },
          violations: { count: 0, texts: [] },
          checks_passed: 1,
          checks_failed: { count: failed.length, texts: failed },
          notes: { count: 0, texts: [] },
          library_errors: { count: errors.length, texts: errors },
          fault_site: "expat:malloc_fcn",
        },
      })
    }\n`,
  });
  assert.equal(classify("native", sc, res(["XML_Parse: out of memory"], ["parse failed"])).cls, "reported");
  assert.equal(
    classify("native", sc, res(["XML_Parse: unbound prefix"], ["parse failed"])).cls,
    "unreported",
  );
  assert.equal(classify("native", sc, res([], [])).cls, "absorbed");
  assert.equal(classify("native", sc, res(["XML_Parse: out of memory"], ["x"], 2)).cls, "leak");
  const crash = { status: null, signal: "SIGSEGV", timedOut: false, stderr: "", stdout: "" };
  assert.equal(classify("native", sc, crash).cls, "crash");
});

test(
  "libs: 4 threads through RAW catch a racy allocator (vtable fixture not_thread_safe); the good one passes",
  {
    skip: noLibs,
    timeout: 180_000,
  },
  async () => {
    const fx = buildFixtures({ names: ["good", "not_thread_safe"] });
    const good = `vtable:${fx.good}`, racy = `vtable:${fx.not_thread_safe}`;
    const rows = await runLibs({ targets: [good, racy], libraries: ["openssl"], quick: true });
    assert.equal(row(rows, good, "openssl").status, "PASS", row(rows, good, "openssl").message);
    const r = row(rows, racy, "openssl");
    // caught = never PASS: the race surfaces as a crash, a failed check, or OpenSSL freeing a block the
    // corrupted allocator never handed out (reported as a FINDING on the target's free)
    assert.notEqual(r.status, "PASS", `racy allocator not caught: ${r.message}`);
    assert.match(`${r.status} ${r.message}`, /^(ERROR|FAIL|FINDING) /);
  },
);
