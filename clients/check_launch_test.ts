/**
 * The checking layer in the launcher (`python --check`, `launchSpec({ check })`): broken allocators are
 * stopped at their first violation with the rule named (exit 86), correct ones run clean from start-up
 * on, count mode goes on and sums up, the verdicts are the same with both cores busy; every signal death
 * is one line naming the allocator and the signal (with what the layer knew when it is on); a `--layer`
 * that installs nothing or dies while installing is refused with one line and exit 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildFixtures, buildHostileFixtures } from "../conformance/fixtures/c/build.ts";
import { buildHooks } from "../conformance/fixtures/c/hooks/build.ts";
import { CHECK_EXIT_STATUS, parseCheckViolations, parseCrashLine } from "../debug/check/report.ts";
import { launchSpec } from "../targets/launcher.ts";
import { checkLayerOptions } from "../debug/check/launch.ts";

const PYTHON_CLI = fileURLToPath(new URL("./python.ts", import.meta.url));

let skip: string | undefined;
try {
  launchSpec({ target: "native", check: checkLayerOptions() });
} catch (e) {
  skip = `no launcher here: ${(e as Error).message.split("\n")[0]}`;
}

function py(target: string, args: string[], check: false | "stop" | "count" = "stop") {
  const spec = launchSpec({ target, check: check ? checkLayerOptions({ mode: check }) : undefined });
  return spawnSync(spec.exe, [...spec.argvPrefix, ...args], {
    env: spec.env,
    encoding: "utf8",
    timeout: 120_000,
  });
}

/** The verdict of one run, as the layer reports it: "clean", or "<rule> [DOMAIN]". */
function verdict(r: ReturnType<typeof py>): string {
  const v = parseCheckViolations(r.stderr);
  if (r.status === 0 && v.length === 0) return "clean";
  assert.equal(r.status, CHECK_EXIT_STATUS, r.stderr.slice(-2000));
  assert.equal(v.length, 1, r.stderr);
  return `${v[0].rule} [${v[0].domain}]`;
}

const CODE =
  "import json; d = [{'k': i, 's': 'x' * i} for i in range(3000)]; assert json.loads(json.dumps(d)) == d";

/** What each allocator must give (the fixtures fail at start-up, before any Python line). */
const EXPECTED: [string, string][] = [
  ["native", "clean"],
  ["cpython", "clean"],
  ["libc:libc.so.6", "clean"],
  ["fixture:good", "clean"],
  ["fixture:calloc_dirty", "calloc/calloc_zeroes_recycled_memory [MEM]"],
  ["fixture:malloc0_null", "zero_size/malloc_zero_distinct_non_null [MEM]"],
  ["fixture:align8", "alignment/min16_or_power_of_two_below_size [RAW]"],
  ["fixture:realloc0_frees", "zero_size/realloc_to_zero_non_null [MEM]"],
  ["fixture:realloc_loses_prefix", "realloc/realloc_grow_keeps_prefix [MEM]"],
  ["fixture:overlap", "no_overlap/live_blocks_never_overlap [RAW]"],
];

function target(name: string, fx: Record<string, string>): string {
  return name.startsWith("fixture:") ? `vtable:${fx[name.slice(8)]}` : name;
}

function verdicts(fx: Record<string, string>): string[] {
  return EXPECTED.map(([name]) => `${name}: ${verdict(py(target(name, fx), ["-c", CODE]))}`);
}

/** A bounded busy loop in a child of this runtime (killed when the test ends, ends by itself in 120 s). */
function burn(): ChildProcess {
  const code = "const end = Date.now() + 120000; while (Date.now() < end) {}";
  return (globalThis as { Bun?: unknown }).Bun
    ? spawn(process.execPath, ["-e", code], { stdio: "ignore" })
    : spawn(process.execPath, ["eval", code], { stdio: "ignore" });
}

test(
  "python --check: each broken fixture stopped with its rule, correct allocators clean; same with busy cores",
  {
    skip,
    timeout: 600_000,
  },
  () => {
    const fx = buildFixtures({
      names: [
        "good",
        "calloc_dirty",
        "malloc0_null",
        "align8",
        "realloc0_frees",
        "realloc_loses_prefix",
        "overlap",
      ],
    });
    const want = EXPECTED.map(([n, v]) => `${n}: ${v}`);
    assert.deepEqual(verdicts(fx), want);
    const burners = [burn(), burn()];
    try {
      assert.deepEqual(verdicts(fx), want, "the same verdicts with both cores busy");
    } finally {
      for (const b of burners) b.kill("SIGKILL");
    }
  },
);

test("a violation report: rule, allocator as written, call, C site, rerun and conformance commands", {
  skip,
  timeout: 120_000,
}, () => {
  const fx = buildFixtures({ names: ["calloc_dirty"] });
  const r = py(`vtable:${fx.calloc_dirty}`, ["-c", "pass"]);
  const [v] = parseCheckViolations(r.stderr);
  assert.equal(v.allocator, `vtable:${fx.calloc_dirty}`);
  assert.match(v.call!, /^calloc\(\d+, \d+\) -> 0x[0-9a-f]+$/);
  assert.match(v.cSite!, /libpython3\.\d+/);
  assert.match(v.reproduce!, /python --target vtable:\S+fixture_calloc_dirty\.so --check -- -c pass$/);
  assert.match(
    v.conformance!,
    /conformance --target vtable:\S+ --filter '\^calloc\/calloc_zeroes_recycled_memory\$'$/,
  );
  assert.match(r.stderr, /stopped at the first violation \(exit 86/);
  assert.doesNotMatch(r.stderr, /[^\x20-\x7e\n]/, "printable text only");
});

test("count mode reports every violation, goes on, and sums up at exit", { skip, timeout: 120_000 }, () => {
  const fx = buildFixtures({ names: ["align8"] });
  const r = py(`vtable:${fx.align8}`, ["-c", "print('ran')"], "count");
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  assert.equal(r.stdout, "ran\n");
  const vs = parseCheckViolations(r.stderr);
  // the first 3 of each rule in full, then one line per rule, then every count in the summary
  assert.deepEqual([...new Set(vs.map((v) => v.rule))].sort(), [
    "alignment/calloc_and_realloc_results_aligned",
    "alignment/min16_or_power_of_two_below_size",
  ]);
  assert.equal(vs.length, 6);
  assert.match(
    r.stderr,
    /further violations of alignment\/min16_or_power_of_two_below_size are counted, not printed/,
  );
  const total =
    /^allocspec check: summary: \d+ violations \(alignment\/min16_or_power_of_two_below_size x(\d+)/m
      .exec(r.stderr);
  assert.ok(total && Number(total[1]) > 1000, r.stderr.slice(-500));
});

test("a signal death is one line naming the allocator and the signal, with the layer's knowledge when on", {
  skip,
  timeout: 120_000,
}, () => {
  const fx = buildFixtures({ names: ["crash_calloc"] });
  const t = `vtable:${fx.crash_calloc}`;
  const plain = py(t, ["-c", "pass"], false);
  assert.equal(plain.signal, "SIGSEGV");
  const lines = plain.stderr.split("\n").filter((l) => l.startsWith("allocspec-python:"));
  assert.equal(lines.length, 1, plain.stderr);
  const c = parseCrashLine(plain.stderr)!;
  assert.equal(c.signal, "SIGSEGV");
  assert.match(c.allocator, /fixture_crash_calloc\.so/);
  assert.equal(c.check, undefined);
  const checked = py(t, ["-c", "pass"]);
  assert.equal(checked.signal, "SIGSEGV");
  assert.match(
    parseCrashLine(checked.stderr)!.check!,
    /^inside the allocator's calloc\(\d+, \d+\) \[RAW\]; no rule violation seen before \(\d+ calls checked\)$/,
  );
  // a signal the program raises itself is also named, after faulthandler's dump
  const abort = py("native", ["-X", "faulthandler", "-c", "import os; os.abort()"], false);
  assert.equal(abort.signal, "SIGABRT");
  assert.match(
    abort.stderr,
    /Fatal Python error: Aborted[\s\S]*allocspec-python: Python died by SIGABRT on allocator native:cpython310/,
  );
});

test(
  "python --layer: a library that installs nothing or dies while installing is refused (one line, exit 2)",
  {
    skip,
    timeout: 120_000,
  },
  () => {
    const hooks = buildHooks({ names: ["inert", "good"] });
    const hostile = buildHostileFixtures({ names: ["ctor_abort"] });
    const cli = (layer: string) =>
      spawnSync(
        process.execPath,
        [
          ...((globalThis as { Bun?: unknown }).Bun ? [] : ["run", "-A"]),
          PYTHON_CLI,
          "--target",
          "native",
          "--layer",
          layer,
          "--",
          "-c",
          "print('ran')",
        ],
        { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 },
      );
    const inert = cli(hooks.inert);
    assert.equal(inert.status, 2, inert.stderr);
    assert.equal(inert.stdout, "");
    assert.match(
      inert.stderr.trim(),
      /^allocspec-python: layer \S+hook_inert\.so installed nothing: no domain's allocator changed/,
    );
    assert.equal(inert.stderr.trim().split("\n").length, 1);
    const dies = cli(hostile.ctor_abort);
    assert.equal(dies.status, 2, dies.stderr);
    assert.equal(
      dies.stderr.trim(),
      `allocspec-python: layer ${hostile.ctor_abort} died while installing (SIGABRT)`,
    );
    const good = cli(hooks.good);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout, "ran\n");
  },
);
