/**
 * The client run with the checking layer (clients' default): an allocator broken at start-up is ONE
 * finding naming its rule, with a rerun command that starts nothing but Python; the raw_threads phase
 * names the thread-safety rule for an allocator with one unlocked operation and passes a correct one; the
 * reports are printable text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileShared } from "../core/cbuild.ts";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { checkLayerOptions } from "../debug/check/launch.ts";
import { launchSpec } from "../targets/launcher.ts";
import { compareRuns } from "./compare.ts";
import { RAW_THREADS, runRawThreads } from "./raw_threads.ts";
import { runRegrtest } from "./regrtest.ts";
import { formatReport } from "./report.ts";

let skip: string | undefined;
try {
  launchSpec({ target: "native", check: checkLayerOptions() });
} catch (e) {
  skip = `no launcher here: ${(e as Error).message.split("\n")[0]}`;
}

test("a start-up violation is one finding with its rule; the report reruns it with -c pass", {
  skip,
  timeout: 300_000,
}, () => {
  const fx = buildFixtures({ names: ["calloc_dirty"] });
  const check = checkLayerOptions();
  const plain = launchSpec({ target: "cpython" });
  const base = runRegrtest(launchSpec({ target: "cpython", check }), ["test_json"], {
    jobs: 2,
    baseline: plain,
    extra: ["-m", "test_json"],
  });
  assert.equal(
    base.result,
    "SUCCESS",
    `${base.tail}\n${JSON.stringify(base.modules)}\n${
      JSON.stringify(base.cases.filter((c) => c.status === "failed" || c.status === "error").slice(0, 3))
    }\nviolations: ${JSON.stringify(base.checkViolations.slice(0, 3))}`,
  );
  assert.deepEqual(base.checkViolations, [], "CPython's own allocators break no rule");
  const target = `vtable:${fx.calloc_dirty}`;
  const run = runRegrtest(launchSpec({ target, check }), ["test_json"], {
    jobs: 2,
    baseline: plain,
    label: target,
  });
  const v = compareRuns(base, run);
  assert.equal(v.startupCrash, true);
  assert.deepEqual(v.crashes.map((c) => c.id), ["(start-up)"]);
  assert.deepEqual(v.newFailures.map((c) => c.id), ["(start-up)"]);
  assert.match(v.crashes[0].detail, /stopped by the checking layer.*calloc\/calloc_zeroes_recycled_memory/);
  assert.deepEqual(v.rules.map((r) => r.rule), ["calloc/calloc_zeroes_recycled_memory"]);
  const table = formatReport("table", [compareRuns(base, base), v], { tests: ["test_json"], debugHooks: "" });
  assert.match(table, /rules broken \(checking layer; each id is a conformance case\):/);
  assert.match(table, /reproduce: .*python --target vtable:\S+ --check -- -c pass$/m);
  assert.match(table, /conformance: .* --filter '\^calloc\/calloc_zeroes_recycled_memory\$'$/m);
  assert.doesNotMatch(table, /[^\x20-\x7e\n]/, "printable text only");
  assert.equal(table.split("\n").filter((l) => l.includes("(start-up)")).length, 1, "listed once");
});

test("raw_threads: an unlocked malloc is named by the thread-safety rule; a correct allocator passes", {
  skip,
  timeout: 300_000,
}, () => {
  const fx = buildFixtures({ names: ["not_thread_safe_malloc", "good"] });
  const check = checkLayerOptions();
  const bad = runRawThreads(launchSpec({ target: `vtable:${fx.not_thread_safe_malloc}`, check }));
  assert.equal(bad.module.status, "crashed", JSON.stringify(bad));
  assert.ok(
    bad.checkViolations.some((c) =>
      c.module === RAW_THREADS &&
      (c.rule === "threads/raw_stress_hands_blocks_between_threads" ||
        c.rule === "no_overlap/live_blocks_never_overlap")
    ),
    JSON.stringify(bad.checkViolations),
  );
  const good = runRawThreads(launchSpec({ target: `vtable:${fx.good}`, check }));
  assert.equal(good.module.status, "passed", JSON.stringify(good));
  assert.deepEqual(good.checkViolations, []);
});

/** A correct allocator that refuses every block above 1 MiB (PEP 445 lets any request fail). */
const CAPPED_C = `#include <stdlib.h>
#include "pep445.h"
#define CAP ((size_t)1 << 20)
static void *m(void *c, size_t n) { (void)c; return n > CAP ? NULL : malloc(n ? n : 1); }
static void *z(void *c, size_t k, size_t n) {
    (void)c;
    if (n && k > CAP / n) return NULL;
    return calloc(k ? k : 1, n ? n : 1);
}
static void *r(void *c, void *p, size_t n) { (void)c; return n > CAP ? NULL : realloc(p, n ? n : 1); }
static void f(void *c, void *p) { (void)c; free(p); }
__attribute__((visibility("default"))) PyMemAllocatorEx pep445_allocator = {NULL, m, z, r, f};
`;

test("raw_threads: an allocator that refuses large blocks (MemoryError) is not a crash", {
  skip,
  timeout: 300_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-capped-"));
  try {
    writeFileSync(join(dir, "capped.c"), CAPPED_C);
    compileShared({ sources: [join(dir, "capped.c")], output: join(dir, "libcapped.so"), quiet: true });
    const r = runRawThreads(
      launchSpec({ target: `vtable:${join(dir, "libcapped.so")}`, check: checkLayerOptions() }),
    );
    assert.equal(r.module.status, "passed", JSON.stringify(r));
    assert.match(r.module.detail, /^raw_threads: refused: .*MemoryError/);
    assert.deepEqual(r.checkViolations, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
