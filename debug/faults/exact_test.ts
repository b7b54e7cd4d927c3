/**
 * Exactness of the fault sweep (issue 18, item 1), as properties, on programs that use every kind of state
 * a forked child shares with its parent (debug/fixtures/exact_io.py: a file read in pieces, a module
 * imported from a zip, files written and appended to, an in-process pipe, a subprocess through pipes, a
 * socketpair, a shared writable mmap) and on a script started as `python3 script.py` (zipimport's check of
 * the script, the root cause):
 *
 *  - the sweep run counts exactly the dry run's calls (no divergence, 0 missing points);
 *  - at a sample of points the child's outcome (class, C site, Python site) equals a fresh `--fail-at N`
 *    run's;
 *  - without isolation (the engine's old behaviour) the same sweep is NOT exact: the property can fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchSpec } from "../../targets/launcher.ts";
import { buildLayer } from "../layers.ts";
import { buildFixtures, FIXTURES_DIR } from "../fixtures/build.ts";
import { classifyPoint, FINDING_CLASSES } from "../../core/outcome.ts";
import { parseSite, pythonSite, siteKey, Symbolizer } from "./site.ts";
import { runPointFresh, stdlibDirs, sweep, type SweepOptions } from "./sweep.ts";
import { defaultPython } from "../../core/python.ts";

function skipReason(): string | undefined {
  if (spawnSync("addr2line", ["--version"]).status !== 0) return "addr2line (binutils) is not installed";
  if (spawnSync(defaultPython(), ["-c", "import zipfile"]).status !== 0) return "python3 is not installed";
  try {
    buildFixtures();
    launchSpec({ layers: [buildLayer("as_faults")] });
    return undefined;
  } catch (e) {
    return `cannot build the fixture or the launcher here: ${(e as Error).message.split("\n")[0]}`;
  }
}
const skip = skipReason();

/** data.bin and mods.zip for exact_io.py, made with python3's zipfile. */
function inputs(): string {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-exact-"));
  mkdirSync(join(dir, "out"));
  writeFileSync(join(dir, "data.bin"), Uint8Array.from({ length: 20000 }, (_, i) => i % 251));
  const r = spawnSync(defaultPython(), [
    "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n z.writestr('zipmod.py', 'def answer():\\n    return 6 * 7\\n')",
    join(dir, "mods.zip"),
  ], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return dir;
}

/** A point's outcome as compared: the class, and for a finding its C site and Python site. */
function outcomeText(cls: string, key: string, py: string): string {
  return (FINDING_CLASSES as readonly string[]).includes(cls) ? `${cls} | ${key} | ${py}` : cls;
}

async function checkExact(o: SweepOptions, sample: number): Promise<void> {
  const seen = new Map<number, string>();
  const r = await sweep({
    ...o,
    confirm: false,
    onOutcome: (p, cls, key, py) => seen.set(p, outcomeText(cls, key, py)),
  });
  assert.deepEqual(r.warnings ?? [], [], "the sweep run is the dry run's: no divergence, same count");
  assert.equal(r.stats.missing, 0);
  assert.equal(r.stats.run, r.stats.planned);
  // a sample of points, fresh: the same outcome and site as the forked child
  const points = [...seen.keys()].sort((a, b) => a - b);
  const step = Math.max(1, Math.floor(points.length / sample));
  const sym = new Symbolizer();
  const stdlib = stdlibDirs(o);
  for (let i = Math.floor(step / 2); i < points.length; i += step) {
    const one = await runPointFresh(o, points[i], 60);
    const { cls } = classifyPoint(one);
    const site = one.site ? sym.site(parseSite(one.site)) : null;
    const fresh = outcomeText(cls, site ? siteKey(site) : "", site ? pythonSite(site.py, stdlib) : "");
    // ok and handled differ only in whether the program went on after the exception: compare findings exactly
    const norm = (t: string) => (t === "ok" || t === "handled" ? "no finding" : t);
    assert.equal(norm(fresh), norm(seen.get(points[i])!), `point ${points[i]}: fresh run vs forked child`);
  }
}

test("exact: files, a zip import, writes and appends, pipes, a subprocess, a socketpair, mmap", {
  skip,
  timeout: 600_000,
}, async () => {
  const dir = inputs();
  try {
    const launch = launchSpec({ layers: [buildLayer("as_faults")] });
    await checkExact({ launch, argv: [join(FIXTURES_DIR, "exact_io.py"), dir], jobs: 2, maxPoints: 120 }, 8);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("exact: a script started as `python3 script.py` (zipimport checks the script's own file)", {
  skip,
  timeout: 600_000,
}, async () => {
  const fx = buildFixtures();
  const launch = launchSpec({ layers: [buildLayer("as_faults")] });
  // every point of the startup, where children used to move the offset of the script being read
  await checkExact({
    launch,
    argv: [fx.oomDriver, "correct"],
    env: { PYTHONPATH: fx.dir },
    jobs: 2,
    maxPoints: 150,
  }, 6);
});

test("without isolation the same sweep is not exact (the property can fail)", {
  skip,
  timeout: 600_000,
}, async () => {
  const dir = inputs();
  try {
    const launch = launchSpec({ layers: [buildLayer("as_faults")] });
    const r = await sweep({
      launch,
      argv: [join(FIXTURES_DIR, "exact_io.py"), dir],
      jobs: 2,
      // the children's reads of the shared data.bin offset move the parent's once a child has run before
      // exact_io.py:57: with 60 points it did not happen once in a full CI-like run (2026-12-06, Deno,
      // the machine busy with other suites), so this negative control sweeps 120 (with 20, never)
      maxPoints: 120,
      isolation: false,
      thorough: true,
      confirm: false,
    });
    assert.ok(
      (r.warnings ?? []).some((w) => /diverged|counted/.test(w)) || r.stats.missing > 0,
      `children sharing the parent's descriptors must perturb it: ${JSON.stringify(r.warnings)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
