/**
 * The external-library harnesses in the libs driver: the five libraries verified under native and cpython
 * (quick workloads, with the debug hooks over the checking layer and without them), the glib row, planted
 * bugs the checks must report (a leak, a foreign free), broken allocators caught with the rule named, and
 * the fault sweeps forking in one driver: every point swept, each finding confirmed fresh, and for sampled
 * points the forked child's outcome equal to a fresh `--fail-at` run's, with both cores busy. Deno and Bun.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { findLibpython } from "../../core/python.ts";
import { UsageError } from "../../core/usage.ts";
import { choosePoints } from "../../debug/faults/points.ts";
import { Symbolizer } from "../../debug/faults/site.ts";
import { exitStatus, judge, type LibsRow, runLibs } from "./run.ts";
import { formatRows } from "./report.ts";
import { buildHarness } from "./build.ts";
import { driverLaunch } from "./driver.ts";
import { classify, freshPoint, LIBS_HEAD_SHARE, type PointClass, sweep } from "./sweep.ts";
import { buildFixtures } from "../../conformance/fixtures/c/build.ts";

import { needs, type PackageName } from "../../core/optional.ts";
import { HARNESSES } from "./build.ts";

/** The -dev packages of every harness (the glib row included). */
const DEV = Object.values(HARNESSES).map((h) => h.debian as PackageName);
let noPython: string | undefined;
try {
  findLibpython();
} catch (e) {
  noPython = `no python3 with a shared libpython (the driver runs the libraries through it): ${
    (e as Error).message
  }`;
}
const noLibs = needs(...DEV) || noPython;

const rowsOf = (rows: LibsRow[], target: string, scenario: string) => {
  const r = rows.filter((x) => x.target === target && x.scenario === scenario);
  assert.ok(r.length, `no row ${scenario} on ${target}`);
  return r;
};
const row = (rows: LibsRow[], target: string, scenario: string, hooks?: string) => {
  const r = rowsOf(rows, target, scenario).find((x) => !hooks || x.debugHooks === hooks);
  assert.ok(r, `no row ${scenario} on ${target} with debug hooks ${hooks}`);
  return r;
};

function assertVerified(rows: LibsRow[], target: string): void {
  for (const lib of ["zlib", "expat", "openssl", "libxml2", "sqlite"]) {
    for (const r of rowsOf(rows, target, lib)) {
      const where = `${lib} on ${target} (debug hooks ${r.debugHooks})`;
      assert.equal(r.status, "PASS", `${where}: ${r.message}`);
      assert.ok(r.result!.routed > 0, `${where}: no call was routed through the target`);
      assert.ok(r.result!.checks_passed >= 5, `${where}: only ${r.result!.checks_passed} checks ran`);
      assert.equal(r.result!.leaks.blocks, 0);
      assert.equal(r.violations, 0, `${where}: ${r.rules}`);
      assert.equal(r.result!.threads, 4, `${where}: no thread phase`);
    }
  }
  for (const g of rowsOf(rows, target, "glib")) {
    assert.equal(g.status, "PASS", g.message);
    assert.equal(g.result!.vtable_calls, 0);
    assert.equal(g.result!.routable, false);
    assert.match(g.result!.notes.texts.join("\n"), /custom memory allocation vtable not supported/);
  }
  // the late xmlMemSetup demonstration must show its cross-allocator frees, one way or another
  for (const late of rowsOf(rows, target, "libxml2 (late xmlMemSetup)")) {
    assert.equal(late.status, "FINDING", late.message);
    assert.ok(late.expected);
  }
}

test("libs: five libraries verified through native's RAW domain, with and without debug hooks", {
  skip: noLibs,
  timeout: 300_000,
}, async () => {
  const rows = await runLibs({ targets: ["native"], quick: true });
  assert.deepEqual([...new Set(rows.map((r) => r.debugHooks))], ["native", "none"]);
  assertVerified(rows, "native");
  // without the debug hooks the checking layer sees the late xmlMemSetup's frees itself, rule named
  const late = row(rows, "native", "libxml2 (late xmlMemSetup)", "none");
  assert.deepEqual(late.rules, ["hook_forward/free_below_gets_pointers_from_below"], late.message);
  assert.equal(exitStatus(rows), 0);
  assert.match(formatRows(rows, "markdown"), /^\| library \| target \| debug hooks \| routed calls/);
});

test("libs: five libraries verified through libpython's RAW domain (CPython's debug hooks)", {
  skip: noLibs,
  timeout: 300_000,
}, async () => {
  const rows = await runLibs({ targets: ["cpython"], quick: true, bare: false });
  assertVerified(rows, "cpython");
  assert.equal(row(rows, "cpython", "zlib").debugHooks, "cpython");
  assert.equal(exitStatus(rows), 0);
});

test("libs: a planted leak is reported with its size and site (native and cpython)", {
  skip: needs("zlib1g-dev"),
  timeout: 180_000,
}, async () => {
  const targets = ["native", "cpython"];
  const rows = await runLibs({ targets, libraries: ["zlib"], quick: true, plant: "leak", bare: false });
  for (const t of targets) {
    const r = row(rows, t, "zlib");
    assert.equal(r.status, "FINDING", r.message);
    assert.equal(r.result!.leaks.blocks, 2);
    assert.deepEqual(r.result!.leaks.groups.map((g) => g.size).sort((a, b) => a - b), [7160, 32768]);
    assert.match(r.message, /left live after cleanup.*zlib:zalloc/);
    assert.match(r.rerun!, /libs --target \S+ --lib zlib --quick --plant leak$/);
  }
  assert.equal(exitStatus(rows), 1);
});

test("libs: a planted foreign free: native debug hooks, CPython's abort, the checking layer's rule", {
  skip: noLibs,
  timeout: 180_000,
}, async () => {
  const rows = await runLibs({
    targets: ["native", "cpython"],
    libraries: ["zlib"],
    quick: true,
    plant: "foreign",
  });
  const n = row(rows, "native", "zlib", "native");
  assert.equal(n.status, "FINDING");
  assert.equal(n.result!.foreign_frees, 1);
  assert.equal(n.violations, 1);
  assert.match(n.violationText!, /bad_id in _PyMem_DebugRawFree/);
  const c = row(rows, "cpython", "zlib", "cpython");
  assert.equal(c.status, "FINDING", c.message);
  assert.equal(c.ended, "signal SIGABRT");
  assert.match(c.violationText!, /Fatal Python error: _PyMem_DebugRawFree: bad ID/);
  for (const t of ["native", "cpython"]) {
    const bare = row(rows, t, "zlib", "none");
    assert.equal(bare.status, "FINDING", bare.message);
    assert.deepEqual(bare.rules, ["hook_forward/free_below_gets_pointers_from_below"], bare.message);
    assert.match(
      bare.message,
      /^rule hook_forward\/free_below_gets_pointers_from_below broken \[RAW\]: free of 0x/,
    );
  }
  assert.equal(exitStatus(rows), 1);
});

test("libs: judge: check-layer reports, the launcher's signal line, crashes and failed checks", () => {
  const sc = { id: "zlib", lib: "zlib", options: "" };
  const crash = judge("native", sc, {
    status: null,
    signal: "SIGSEGV",
    stdout: "",
    stderr: "",
    timedOut: false,
  }, 0);
  assert.equal(crash.status, "ERROR");
  assert.match(crash.message, /^libs-driver signal SIGSEGV on target native, library zlib/);
  const signalLine = judge("vtable:./x.so", sc, {
    status: null,
    signal: "SIGSEGV",
    stdout: "",
    stderr: "garbage \x01\x02\n" +
      "allocspec-python: Python died by SIGSEGV on allocator vtable:./x.so (debug hooks: native); check: inside the allocator's free(NULL) [RAW]\n",
    timedOut: false,
  }, 0);
  assert.equal(signalLine.status, "ERROR");
  assert.match(
    signalLine.message,
    /^libs-driver died by SIGSEGV on allocator vtable:\.\/x\.so \(debug hooks: native\); check: inside the allocator's free\(NULL\) \[RAW\], library zlib: garbage \\x01\\x02$/,
  );
  const violation = judge("vtable:./x.so", sc, {
    status: 86,
    signal: null,
    stdout: "",
    stderr:
      "allocspec check: violation of realloc/realloc_grow_keeps_prefix [RAW] the first 8 bytes were not kept\n" +
      "  call: realloc(0x10, 16) -> 0x20\n  C site: inflate (zlib)\n  reproduce: x\n" +
      "allocspec check: stopped at the first violation (exit 86; ALLOCSPEC_CHECK_MODE=count goes on)\n",
    timedOut: false,
  }, 0);
  assert.equal(violation.status, "FINDING");
  assert.deepEqual(violation.rules, ["realloc/realloc_grow_keeps_prefix"]);
  assert.match(
    violation.message,
    /^rule realloc\/realloc_grow_keeps_prefix broken \[RAW\]: the first 8 bytes were not kept \(realloc\(0x10, 16\) -> 0x20\) at inflate \(zlib\)$/,
  );
  assert.doesNotMatch(violation.violationText!, /reproduce/);
  assert.equal(
    violation.check!.reproduce,
    undefined,
    "the driver's argv is not a command: the row's rerun is",
  );
  // a demonstration: its own rule is the expected finding, another rule broken there is a real one
  const late = {
    id: "libxml2 (late xmlMemSetup)",
    lib: "libxml2",
    options: "mode=late",
    demonstrates: "late setup",
    demonstratesRules: ["hook_forward/free_below_gets_pointers_from_below"],
  };
  const report = (rule: string) => ({
    status: 86,
    signal: null,
    stdout: "",
    stderr: `allocspec check: violation of ${rule} [RAW] x\n`,
    timedOut: false,
  });
  assert.equal(
    judge("native", late, report("hook_forward/free_below_gets_pointers_from_below"), 0).expected,
    true,
  );
  const other = judge("vtable:./x.so", late, report("realloc/realloc_shrink_keeps_prefix"), 0);
  assert.equal(other.status, "FINDING");
  assert.equal(other.expected, false);
  assert.match(
    other.message,
    /not what "libxml2 \(late xmlMemSetup\)" demonstrates: realloc\/realloc_shrink_keeps_prefix\)$/,
  );
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
      /unknown target kind 'nope'/,
    );
  },
);

test("libs: sweep oracles: points, OOM errors, silent failures", () => {
  assert.deepEqual(choosePoints(3, 10, LIBS_HEAD_SHARE), [1, 2, 3]);
  assert.deepEqual(choosePoints(100, 3, LIBS_HEAD_SHARE), [1, 34, 67]);
  const p = choosePoints(1000, 40, LIBS_HEAD_SHARE);
  assert.equal(p.length, 40);
  assert.deepEqual(p.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual(p.slice(10, 13), [11, 44, 77]);
  assert.equal(p.at(-1), 968);
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
  assert.equal(classify("native", sc, { ...crash, signal: "SIGABRT", timedOut: true }).cls, "hang");
});

test("libs: fault sweeps fork in one driver: every point of zlib and expat, findings confirmed fresh", {
  skip: noLibs,
  timeout: 240_000,
}, async () => {
  const rows = await runLibs({
    targets: ["native"],
    libraries: ["zlib", "expat"],
    quick: true,
    faults: 1000,
  });
  const z = row(rows, "native", "zlib", "native").faults!;
  assert.ok(z.points > 30, `only ${z.points} allocation points counted`);
  assert.equal(z.swept, z.points, "the sweep's parent must count the dry run's points");
  assert.equal(z.tried, z.points);
  assert.equal(z.fresh + z.missing, 0);
  assert.equal(z.reported, z.points, "every failed zalloc must surface as Z_MEM_ERROR");
  const e = row(rows, "native", "expat", "native").faults!;
  assert.equal(e.swept, e.points);
  assert.equal(e.tried, e.points);
  // expat 2.5's out-of-memory reported as "unbound prefix" (README): found, confirmed by a fresh rerun
  const f = e.findings.find((x) => x.cls === "unreported" && /unbound prefix/.test(x.detail));
  assert.ok(f, JSON.stringify(e.findings));
  assert.ok(f.confirmed, f.rerun ?? "");
  assert.match(f.reproducer!, /libs --target native --lib expat --fail-at \d+$/);
  assert.ok(
    !rowsOf(rows, "native", "zlib").find((r) => r.debugHooks === "none")!.faults,
    "one sweep per library",
  );
});

/** A busy loop in another process for `s` seconds (killed when the test ends). */
function burn(s: number): ChildProcess {
  return spawn("sh", ["-c", `end=$(($(date +%s) + ${s})); while [ "$(date +%s)" -lt "$end" ]; do :; done`], {
    stdio: "ignore",
  });
}

test(
  "libs: a forked child's outcome equals a fresh --fail-at run's (SQLite, sampled points, both cores busy)",
  {
    skip: noLibs,
    timeout: 300_000,
  },
  async () => {
    const busy = [burn(240), burn(240)];
    try {
      const launch = driverLaunch("native", false); // as sweeps run: no checking layer
      const so = buildHarness("sqlite");
      const sc = { id: "sqlite", lib: "sqlite", options: "" };
      const forked = new Map<number, string>();
      const r = await sweep({
        launch,
        sc,
        so,
        max: 24,
        jobs: 2,
        confirm: false,
        onPoint: (k: number, cls: PointClass, site: string) => forked.set(k, `${cls} at ${site}`),
      });
      assert.equal(r.swept, r.points, r.warnings.join("; "));
      assert.equal(r.hangs, 0, "a child hung where a fresh run does not (locks held at the point)");
      const points = choosePoints(r.points, 24, LIBS_HEAD_SHARE);
      assert.deepEqual([...forked.keys()], points);
      const symbolizer = new Symbolizer();
      for (const k of points.filter((_, i) => i % 3 === 0)) {
        const fresh = classify(launch.target, sc, await freshPoint(launch, so, k, "tiny"), symbolizer);
        assert.equal(`${fresh.cls} at ${fresh.site}`, forked.get(k), `point ${k}`);
      }
    } finally {
      for (const b of busy) b.kill("SIGKILL");
    }
  },
);

test("libs: broken allocators caught with the rule named; the correct fixture passes", {
  skip: noLibs,
  timeout: 300_000,
}, async () => {
  const fx = buildFixtures({ names: ["good", "not_thread_safe", "realloc_loses_prefix", "align8"] });
  const t = (name: keyof typeof fx) => `vtable:${fx[name]}`;
  const rows = await runLibs({
    targets: [t("good"), t("not_thread_safe"), t("realloc_loses_prefix"), t("align8")],
    libraries: ["libxml2", "sqlite"],
    quick: true,
    debugHooks: "none",
  });
  for (const r of rows.filter((x) => x.target === t("good") && !x.expected)) {
    assert.equal(r.status, "PASS", `${r.scenario}: ${r.message}`);
  }
  const caught = (target: string, rule: RegExp) => {
    const hits = rows.filter((r) => r.target === target && !r.expected && r.rules?.some((x) => rule.test(x)));
    assert.ok(hits.length, `${target}: ${rows.filter((r) => r.target === target).map((r) => r.message)}`);
  };
  caught(t("not_thread_safe"), /^threads\//);
  caught(t("realloc_loses_prefix"), /^realloc\/realloc_(grow|shrink)_keeps_prefix$/);
  caught(t("align8"), /^alignment\//);
});
