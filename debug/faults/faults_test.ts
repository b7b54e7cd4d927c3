/**
 * Tests of the fault tool: the oracles, points and shards, report merging, and (on the launcher) sweeps of
 * the oomfix fixture: each planted bug reported ONCE with its site and class, the correct sites counted as
 * handled, a correct program quiet, shards merged into the same findings, the reproducer reproducing, and
 * bad input exiting 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchSpec } from "../../targets/launcher.ts";
import { buildLayer } from "../layers.ts";
import { buildFixtures, type Fixtures } from "../fixtures/build.ts";
import { classifyPoint } from "../../core/outcome.ts";
import { choosePoints, parseShard, shardPoints } from "./points.ts";
import { addFinding, emptyReport, type FaultsReport, formatReport, mergeReports } from "./report.ts";
import { parseSite } from "./site.ts";
import { countCalls, failAt, sweep, type SweepOptions } from "./sweep.ts";
import { runScript } from "../../core/child.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

let fx: Fixtures | undefined;
function skipReason(): string | undefined {
  if (spawnSync("addr2line", ["--version"]).status !== 0) return "addr2line (binutils) is not installed";
  try {
    fx = buildFixtures();
    launchSpec({ layers: [buildLayer("as_faults")] });
    return undefined;
  } catch (e) {
    return `cannot build the fixture or the launcher here: ${(e as Error).message.split("\n")[0]}`;
  }
}
const skip = skipReason();

function opts(which: "buggy" | "correct", extra: Partial<SweepOptions> = {}): SweepOptions {
  return {
    launch: launchSpec({ layers: [buildLayer("as_faults")], target: "native" }),
    argv: [fx!.oomDriver, which],
    inLibrary: "oomfix",
    env: { PYTHONPATH: fx!.dir },
    jobs: 2,
    timeoutS: 60,
    ...extra,
  };
}

const PLANTED: [string, string, string][] = [
  ["crash", "mem_unchecked", "mem"],
  ["crash", "raw_unchecked", "raw"],
  ["lost-exception", "mem_noexc", "mem"],
];

function assertPlanted(r: FaultsReport, planted = PLANTED): void {
  assert.equal(r.findings.length, planted.length, formatReport(r, "table"));
  for (const [cls, func, domain] of planted) {
    const f = r.findings.filter((x) => x.c[0]?.startsWith(`${func} (`));
    assert.equal(f.length, 1, `${func}: one finding (${formatReport(r, "table")})`);
    assert.equal(f[0].cls, cls, func);
    assert.equal(f[0].domain, domain, func);
    assert.equal(f[0].hits, 1, func);
    assert.match(f[0].c[0], /oomfix\.c:\d+\)$/, func);
    assert.match(f[0].py[0], /oom_driver\.py:\d+ in <module>$/, func);
    // a crash also says where the process died: the planted memset in the same function
    if (cls === "crash") assert.match(f[0].crash?.[0] ?? "", new RegExp(`^${func} \\(`), func);
  }
}

test("oracles: signal, abort, lost exception, hang, violation, handled, ok", () => {
  const c = (code: number, signal: number, stderr = "", timedOut = false) =>
    classifyPoint({ code, signal, timedOut, stderr }).cls;
  assert.equal(c(-1, 11, "Fatal Python error: Segmentation fault"), "crash");
  assert.equal(c(-1, 6, "Fatal Python error: _PyObject_AssertFailed"), "abort");
  assert.equal(
    c(1, 0, "SystemError: <built-in function f> returned NULL without setting an exception"),
    "lost-exception",
  );
  assert.equal(
    c(1, 0, "SystemError: <built-in function f> returned a result with an exception set"),
    "lost-exception",
  );
  assert.equal(c(-1, 6, "", true), "hang");
  assert.equal(c(-1, 6, "Debug memory block at address p=0x1234: API 'm'"), "violation");
  assert.equal(c(1, 0, "Traceback...\nMemoryError"), "handled");
  assert.equal(c(0, 0), "ok");
});

test("points: all, stratified sample, deterministic shards that partition the points", () => {
  assert.deepEqual(choosePoints(4), [1, 2, 3, 4]);
  assert.deepEqual(choosePoints(100, 4), [1, 26, 51, 76]);
  assert.deepEqual(choosePoints(100, 8, 0.25), [1, 2, 3, 19, 35, 52, 68, 84]);
  const pts = choosePoints(1000, 97);
  const shards = [1, 2, 3].map((k) => shardPoints(pts, parseShard(`${k}/3`)));
  assert.deepEqual(shards.flat().sort((a, b) => a - b), pts);
  assert.equal(new Set(shards.flat()).size, pts.length);
  assert.throws(() => parseShard("4/3"), /K\/N/);
  assert.throws(() => parseShard("x"), /K\/N/);
});

test("site files parse (C frames with offsets, Python frames, completeness)", () => {
  const s = parseSite("point 7\ndomain raw\nsize 10\nc /lib/a.so 0x1f\npy 3 <module> /x/y.py\nend\n");
  assert.deepEqual(s, {
    point: 7,
    domain: "raw",
    size: 10,
    c: [{ module: "/lib/a.so", offset: 31 }],
    py: ["/x/y.py:3 in <module>"],
    complete: true,
    crash: [],
  });
});

test("findings group by C site, then Python site; merge keeps the grouping", () => {
  const mk = (points: [number, string][]) => {
    const r = emptyReport(["x.py"]);
    for (const [point, from] of points) {
      r.stats.run++;
      r.stats.findings++;
      addFinding(r, {
        cls: "crash",
        key: "f (a.c:1)",
        domain: "mem",
        size: 8,
        c: ["f (a.c:1)"],
        py: [from],
        pySite: from,
        evidence: "",
        reproducer: `--fail-at ${point}`,
      }, point);
    }
    return r;
  };
  const one = mk([[9, "u.py:3 in f"], [12, "v.py:7 in g"], [30, "u.py:3 in f"]]);
  assert.equal(one.findings.length, 1);
  assert.deepEqual(one.findings[0].python.map((p) => [p.site, p.hits, p.points, p.reproducer]), [
    ["u.py:3 in f", 2, [9, 30], "--fail-at 9"],
    ["v.py:7 in g", 1, [12], "--fail-at 12"],
  ]);
  const m = mergeReports([mk([[9, "u.py:3 in f"]]), mk([[4, "u.py:3 in f"], [5, "w.py:1 in h"]])]);
  assert.equal(m.findings.length, 1);
  assert.equal(m.findings[0].hits, 3);
  assert.deepEqual(m.findings[0].points, [4, 5, 9]);
  assert.equal(m.findings[0].reproducer, "--fail-at 4");
  assert.deepEqual(m.findings[0].python.map((p) => [p.site, p.points]), [["u.py:3 in f", [4, 9]], [
    "w.py:1 in h",
    [5],
  ]]);
  assert.equal(m.stats.run, 3);
  assert.throws(() => mergeReports([mk([[1, "a"]]), emptyReport(["other.py"])]), /different programs/);
});

test(
  "sweep of the planted bugs: each reported once, right site and class; correct sites handled",
  { skip, timeout: 180_000 },
  async () => {
    const r = await sweep(opts("buggy"));
    assertPlanted(r);
    assert.equal(r.stats.missing, 0);
    const handled = Object.keys(r.handled);
    // obj_wrongfree's wrong-domain free is silent without debug hooks (MEM and OBJ are both pymalloc)
    for (const f of ["mem_checked", "raw_checked", "obj_checked", "obj_wrongfree"]) {
      assert.ok(
        handled.some((k) => k.startsWith(`${f} (`)),
        `${f} counted as handled: ${handled.join("; ")}`,
      );
    }
    // the reproducer of a finding reproduces it in a fresh process
    const lost = r.findings.find((f) => f.cls === "lost-exception")!;
    const one = await failAt(opts("buggy"), lost.points[0]);
    assert.equal(one.report.findings[0]?.key, lost.key);
  },
);

test("with CPython's debug hooks the wrong-domain free is a violation at its site", {
  skip,
  timeout: 180_000,
}, async () => {
  const launch = launchSpec({ layers: [buildLayer("as_faults")], debugHooks: "cpython" });
  const r = await sweep(opts("buggy", { launch }));
  assertPlanted(r, [...PLANTED, ["violation", "obj_wrongfree", "obj"]]);
  assert.match(r.findings.find((f) => f.cls === "violation")!.evidence, /Debug memory block|bad ID/);
});

test("points reached while another thread lives are rerun fresh and still found", {
  skip,
  timeout: 180_000,
}, async () => {
  const code = "import threading, allocspec_oomfix as m\n" +
    "e = threading.Event(); threading.Thread(target=e.wait, daemon=True).start()\n" +
    "m.mem_noexc(64)\ne.set()\n";
  const r = await sweep(opts("buggy", { argv: ["-c", code] }));
  assert.ok(r.stats.fresh >= 1, formatReport(r, "table"));
  assert.equal(r.stats.missing, 0);
  assert.deepEqual(r.findings.map((f) => [f.cls, f.c[0]?.split(" ")[0]]), [["lost-exception", "mem_noexc"]]);
});

test("filters narrow the numbered calls: domain, size, module, library (dry runs)", {
  skip,
  timeout: 180_000,
}, () => {
  const o = {
    launch: opts("correct").launch,
    argv: ["-c", "import json; json.dumps({'a': [1, 2, 'x' * 1000]})"],
  };
  const all = countCalls(o).counts;
  assert.equal(all.total, all.raw + all.mem + all.obj);
  assert.ok(all.raw > 0 && all.mem > 0 && all.obj > 0, JSON.stringify(all));
  assert.equal(countCalls({ ...o, domains: ["mem"] }).counts.total, all.mem);
  const big = countCalls({ ...o, sizeMin: 513 }).counts.total;
  assert.ok(big > 0 && big < all.total, `${big} of ${all.total}`);
  const inJson = countCalls({ ...o, inModule: "json" }).counts.total;
  assert.ok(inJson > 0 && inJson < all.total, `${inJson} of ${all.total}`);
  assert.equal(countCalls({ ...o, inModule: "no_such_module" }).counts.total, 0);
  assert.equal(countCalls({ ...o, inLibrary: "no_such_library" }).counts.total, 0);
});

test("a point that never ends is a hang at its site (per-point timeout: SIGABRT, then SIGKILL)", {
  skip,
  timeout: 180_000,
}, async () => {
  const r = await sweep(opts("buggy", { argv: [fx!.oomDriver, "hang"], timeoutS: 2 }));
  assert.deepEqual(r.findings.map((f) => [f.cls, f.c[0]?.split(" ")[0], f.hits]), [["hang", "mem_hang", 1]]);
  assert.equal(r.stats.missing, 0);
});

test("sweep of a correct program: no finding", { skip, timeout: 180_000 }, async () => {
  const r = await sweep(opts("correct"));
  assert.equal(r.findings.length, 0, formatReport(r, "table"));
  assert.ok(r.stats.handled > 0 && r.stats.run === r.stats.planned);
});

test("two shards merged give the same findings as one sweep", { skip, timeout: 180_000 }, async () => {
  const parts = [];
  for (const k of [1, 2]) parts.push(await sweep(opts("buggy", { shard: parseShard(`${k}/2`) })));
  assert.ok(parts.every((p) => p.stats.run > 0));
  assertPlanted(mergeReports(parts));
});

test("faults command: exit 1 with findings, 2 on bad usage (one line)", { skip, timeout: 180_000 }, () => {
  const cli = join(ROOT, "debug", "faults", "cli.ts");
  const run = (a: string[], env: Record<string, string> = {}) =>
    runScript(cli, a, { inherit: true, env, timeoutMs: 0 });
  const bad = run(["--mode", "sometimes", "--", "x.py"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.trim(), /^faults: --mode 'sometimes': use transient or persistent$/);
  const none = run(["--jobs", "2"]);
  assert.equal(none.status, 2);
  const r = run([
    "--in-library",
    "oomfix",
    "--fail-at",
    "1",
    "--format",
    "json",
    "--",
    fx!.oomDriver,
    "correct",
  ], {
    PYTHONPATH: fx!.dir,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))).stats.run, 1);
});
