/**
 * Tests of the leak tracker: the snapshot parser, and (on the launcher) the fixture driver's planted leaks:
 * named by file:line with the right bytes and blocks, in agreement with tracemalloc on the same program for
 * MEM/OBJ, at exit and at a snapshot the program requests; bad usage exits 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchSpec } from "../../targets/launcher.ts";
import { buildLayer } from "../layers.ts";
import { FIXTURES_DIR } from "../fixtures/build.ts";
import { parseSnapshots } from "./report.ts";
import { tracemallocTop, trackLeaks } from "./run.ts";
import { runScript } from "../../core/child.ts";
import { defaultPython } from "../../core/python.ts";

const DRIVER = join(FIXTURES_DIR, "leak_driver.py");
const CLI = join(dirname(fileURLToPath(import.meta.url)), "cli.ts");

function skipReason(): string | undefined {
  if (spawnSync("addr2line", ["--version"]).status !== 0) return "addr2line (binutils) is not installed";
  try {
    launchSpec({ layers: [buildLayer("as_leaks")] });
    return undefined;
  } catch (e) {
    return `cannot build the launcher or the tracer here: ${(e as Error).message.split("\n")[0]}`;
  }
}
const skip = skipReason();

/** Line of the driver holding `marker` (not hard-coded: found in the file). */
function lineOf(marker: string): number {
  return readFileSync(DRIVER, "utf8").split("\n").findIndex((l) => l.includes(marker)) + 1;
}

test("snapshot files parse: per-domain counts, Python sites grouped by file:line, sorted by bytes", () => {
  const [s] = parseSnapshots(
    "snapshot exit\ndomain obj 3 96 10\ndomain mem 1 8 2\npy obj 32 1 7 /a.py\npy mem 8 1 3 /a.py\n" +
      "py obj 64 2 3 /a.py\nend\n",
  );
  assert.equal(s.label, "exit");
  assert.deepEqual(s.domains.obj, { blocks: 3, bytes: 96, calls: 10 });
  assert.deepEqual(s.sites.map((x) => [x.where, x.bytes, x.blocks]), [["/a.py:3", 72, 3], [
    "/a.py:7",
    32,
    1,
  ]]);
  assert.deepEqual(s.sites[0].domains, { mem: 8, obj: 64 });
});

test("planted leaks: right lines, bytes and blocks, in agreement with tracemalloc", {
  skip,
  timeout: 180_000,
}, () => {
  const launch = launchSpec({ layers: [buildLayer("as_leaks")], target: "native" });
  const run = trackLeaks(launch, [DRIVER, "--snapshot"]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.snapshots.map((s) => s.label), ["after-leaks", "exit"]);
  const exit = run.snapshots[1];
  const big = lineOf("PLANTED LEAK 1"), small = lineOf("PLANTED LEAK 2");
  // expected sizes from the interpreter itself: 5 bytes(100_000); 50 bytearray(4_000) (object + buffer)
  const sz = spawnSync(defaultPython(), [
    "-c",
    "import sys; print(sys.getsizeof(bytes(100_000)), sys.getsizeof(bytearray(4_000)))",
  ], { encoding: "utf8" }).stdout.trim().split(" ").map(Number);
  assert.deepEqual(exit.sites[0].where, `${DRIVER}:${big}`);
  assert.equal(exit.sites[0].bytes, 5 * sz[0]);
  assert.equal(exit.sites[0].blocks, 5);
  const s2 = exit.sites.find((x) => x.where === `${DRIVER}:${small}`)!;
  // object + buffer each, plus the KEPT list's item array (grown by append on the same line)
  assert.ok(s2.blocks >= 100 && s2.blocks <= 101, `${s2.blocks} blocks`);
  assert.ok(s2.bytes >= 50 * sz[1] && s2.bytes <= 50 * sz[1] + 1024, `${s2.bytes} vs 50 x ${sz[1]}`);
  assert.ok(exit.domains.obj.calls > 1000 && exit.domains.mem.calls > 0);
  // tracemalloc on the same program (CPython's allocator): same top lines, same bytes and blocks
  const tm = tracemallocTop(launchSpec({}), [DRIVER]).filter((l) => l.file === DRIVER && l.bytes >= 1000);
  assert.ok(tm.length >= 2);
  for (const l of tm) {
    const ours = exit.sites.find((x) => x.where === `${l.file}:${l.line}`);
    assert.ok(ours, `line ${l.line} missing from the leak report`);
    assert.equal(ours.bytes, l.bytes, `bytes at line ${l.line}`);
    assert.equal(ours.blocks, l.blocks, `blocks at line ${l.line}`);
  }
});

test(
  "leaks command: a report with the planted line; exit 1 without the snapshot; 2 on bad usage",
  { skip, timeout: 180_000 },
  () => {
    const run = (a: string[]) => runScript(CLI, a, { inherit: true, timeoutMs: 0 });
    const ok = run(["--format", "json", "--", DRIVER]);
    assert.equal(ok.status, 0, ok.stderr);
    const rep = JSON.parse(ok.stdout.slice(ok.stdout.indexOf("{")));
    assert.equal(rep.sites[0].where, `${DRIVER}:${lineOf("PLANTED LEAK 1")}`);
    const none = run(["--snapshot", "after-leaks", "--", DRIVER]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no snapshot 'after-leaks' \(taken: exit;/);
    const bad = run(["--top", "0", "--", DRIVER]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.trim(), /^leaks: --top '0': use an integer >= 1$/);
  },
);
