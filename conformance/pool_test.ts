import { test } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter } from "./adapters/mod.ts";
import { loadCase } from "./cases/mod.ts";
import { judgeDeath } from "./execute.ts";
import { dispose, type RunSpec } from "./plan.ts";
import { ALONE, runPool, type WorkItem } from "./pool.ts";
import { buildFixtures } from "./fixtures/c/build.ts";
import { BudgetMeter } from "./budget.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileShared } from "../core/cbuild.ts";

async function items(target: string, ids: string[]): Promise<WorkItem[]> {
  const adapter = await loadAdapter(target, { abi: "shipped" });
  const out: WorkItem[] = [];
  for (const id of ids) {
    const c = await loadCase(id);
    const run: RunSpec = { caseId: id, domain: c.domains.length ? "RAW" : "-", profile: "cpython" };
    out.push({ target, adapter, case: c, run, disposition: dispose(adapter, c, run) });
  }
  return out;
}

const CRASHING = "hook_args/malloc_42_passes_exactly"; // calls malloc(42)
const AFTER = ["zero_size/malloc_zero_distinct_non_null", "free_null/free_null_is_noop"];

test("pool: a worker that aborts in a case makes that case ERROR and the batch goes on in a new worker", {
  timeout: 60000,
}, async () => {
  const rs = await runPool(await items("mutant:crash_on_malloc_42", [CRASHING, ...AFTER]), {
    jobs: 1,
    abi: "shipped",
  });
  assert.equal(rs[0].status, "ERROR");
  assert.match(rs[0].message, /target crashed: signal SIGABRT.*worker restarted/);
  assert.deepEqual(rs.slice(1).map((r) => r.status), ["PASS", "PASS"]);
});

test(
  "pool: a worker that exits in a case makes that case ERROR with the exit status",
  { timeout: 60000 },
  async () => {
    const rs = await runPool(await items("mutant:exit_on_malloc_42", [AFTER[0], CRASHING, AFTER[1]]), {
      jobs: 1,
      abi: "shipped",
    });
    assert.deepEqual(rs.map((r) => r.status), ["PASS", "ERROR", "PASS"]);
    assert.match(rs[1].message, /target crashed: exit 7/);
  },
);

test(
  "pool: a hang is cut at the budget, run again alone with 4x the budget, then ERROR; the next case runs",
  { timeout: 60000 },
  async () => {
    const budget = new BudgetMeter(1500, () => 0); // an idle machine: load factor 1
    const rs = await runPool(await items("mutant:hang_on_malloc_42", [CRASHING, AFTER[0]]), {
      jobs: 1,
      abi: "shipped",
      budget,
    });
    assert.equal(rs[0].status, "ERROR");
    assert.match(
      rs[0].message,
      /^timed out after 1.5 s \(target hung\) with 1 jobs in parallel, and again when run alone: timed out after 6 s/,
    );
    assert.equal(rs[1].status, "PASS");
    assert.deepEqual([budget.rerunAlone, budget.confirmedTimeouts], [1, 1]);
  },
);

test("pool: a run that only timed out under load passes alone: its verdict is the rerun's, labelled", {
  timeout: 60000,
}, async () => {
  // a budget too short for any case (1 ms) in the parallel phase, a real one alone
  const budget = Object.assign(new BudgetMeter(1, () => 0), { caseMs: () => 1, aloneMs: () => 30_000 });
  const slow = await items("ref", ["zero_size/malloc_zero_distinct_non_null"]);
  const rs = await runPool(slow, { jobs: 1, abi: "shipped", budget });
  assert.equal(rs[0].status, "PASS", rs[0].message);
  assert.match(
    rs[0].rerunAlone ?? "",
    /^timed out after 0 s \(target hung\) with 1 jobs in parallel; run alone with 30 s: PASS$/,
  );
  assert.deepEqual([budget.rerunAlone, budget.confirmedTimeouts], [1, 0]);
});

test("pool: results come back in item order with --jobs 2 and progress is reported for each", {
  timeout: 60000,
}, async () => {
  const ids = [
    "zero_size/malloc_zero_distinct_non_null",
    "free_null/free_null_is_noop",
    "realloc/realloc_null_acts_as_malloc",
    "threads/raw_stress_hands_blocks_between_threads",
  ];
  const seen: number[] = [];
  const rs = await runPool(await items("ref", ids), {
    jobs: 2,
    abi: "shipped",
    onResult: (_r, done) => seen.push(done),
  });
  assert.deepEqual(rs.map((r) => r.case), ids);
  assert.deepEqual(rs.map((r) => r.status), ["PASS", "PASS", "PASS", "UNSUPPORTED"]);
  assert.deepEqual(seen.sort((a, b) => a - b), [1, 2, 3, 4]);
});

test("pool: a death case runs in its own child and passes on SIGABRT with the expected stderr", {
  timeout: 60000,
}, async () => {
  const rs = await runPool(await items("ref", ["abort/overflow_aborts_with_test_mem_text"]), {
    jobs: 1,
    abi: "shipped",
  });
  assert.equal(rs[0].status, "PASS", rs[0].message);
  const mutated = await runPool(
    await items("mutant:no_tail_check", ["abort/overflow_aborts_with_test_mem_text"]),
    { jobs: 1, abi: "shipped" },
  );
  assert.equal(mutated[0].status, "FAIL");
  assert.match(mutated[0].message, /expected the process to die by SIGABRT, it ended with exit 0/);
});

test("pool: a death child that dies before it is ready runs once more; only twice is an ERROR", {
  timeout: 120000,
}, async () => {
  // LD_PRELOAD'd into the death child: its constructor aborts the runtime before it can say ready, once
  // (a marker file) or always, as Bun's crash handler did once in a child starting under 24 busy loops
  const dir = mkdtempSync(join(tmpdir(), "allocspec-pool-test-"));
  try {
    const src = join(dir, "crash.c");
    writeFileSync(
      src,
      `#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void crash(void) {
  const char *mark = getenv("CRASH_MARK");
  if (!mark) return;
  if (mark[0] == '/' && open(mark, O_CREAT | O_EXCL | O_WRONLY, 0600) < 0) return; /* crashed once already */
  abort();
}
`,
    );
    const lib = join(dir, "libcrash.so");
    compileShared({ sources: [src], output: lib });
    const run = async (mark: string) => {
      const its = await items("ref", ["abort/overflow_aborts_with_test_mem_text"]);
      for (const it of its) it.env = { LD_PRELOAD: lib, CRASH_MARK: mark };
      return (await runPool(its, { jobs: 1, abi: "shipped" }))[0];
    };
    // the same for a worker that serves in-process runs
    const served = async (mark: string) => {
      const its = await items("ref", ["zero_size/malloc_zero_distinct_non_null"]);
      for (const it of its) it.env = { LD_PRELOAD: lib, CRASH_MARK: mark };
      return (await runPool(its, { jobs: 1, abi: "shipped" }))[0];
    };
    const w1 = await served(join(dir, "worker-crashed"));
    assert.equal(w1.status, "PASS", w1.message);
    assert.match(
      w1.rerunAlone ?? "",
      /^worker ended before it was ready: .*; run again in a fresh child: PASS$/,
    );
    const w2 = await served("always");
    assert.equal(w2.status, "ERROR");
    assert.match(w2.message, /^worker ended before it was ready/);
    const once = await run(join(dir, "crashed"));
    assert.equal(once.status, "PASS", once.message);
    assert.match(
      once.rerunAlone ?? "",
      /^death child ended before it was ready \(signal SIGABRT\).*; run again in a fresh child: PASS$/,
    );
    const always = await run("always");
    assert.equal(always.status, "ERROR");
    assert.match(always.message, /^death child ended before it was ready \(signal SIGABRT\)/);
    assert.match(always.rerunAlone ?? "", /; run again in a fresh child: ERROR$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("judgeDeath: signal and every stderr pattern decide", async () => {
  const c = await loadCase("abort/malloc_without_gil_aborts");
  const text =
    "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\n";
  assert.equal(judgeDeath(c, { status: null, signal: "SIGABRT", stderr: text, stdout: "" }).status, "PASS");
  const wrongSignal = judgeDeath(c, { status: null, signal: "SIGSEGV", stderr: text, stdout: "" });
  assert.equal(wrongSignal.status, "FAIL");
  assert.match(wrongSignal.message, /ended with signal SIGSEGV/);
  // the expected fatal line was printed, then another crash: the judge says what it saw
  assert.match(
    wrongSignal.message,
    /^stderr shows the expected "Fatal Python error: _PyMem_DebugMalloc: .*", then the process crashed a second time on the fatal-error path: it ended with signal SIGSEGV, not SIGABRT/,
  );
  const plainSegv = judgeDeath(c, { status: null, signal: "SIGSEGV", stderr: "boom\n", stdout: "" });
  assert.match(plainSegv.message, /^expected the process to die by SIGABRT, it ended with signal SIGSEGV/);
  const wrongText = judgeDeath(c, {
    status: null,
    signal: "SIGABRT",
    stderr: "free(): invalid pointer\n",
    stdout: "",
  });
  assert.equal(wrongText.status, "FAIL");
  assert.match(wrongText.message, /stderr does not match/);
  const bodyFailed = judgeDeath(c, {
    status: 1,
    signal: null,
    stderr: "",
    stdout: "body failed before any abort: X",
  });
  assert.match(bodyFailed.message, /exit 1 \(body failed before any abort: X\)/);
});

test("judgeDeath: a violation case without explicit stderr patterns expects CPython's fatal line", async () => {
  const c = await loadCase("debug_api_id/mem_block_freed_by_raw");
  const ok =
    "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'r'\n";
  assert.equal(judgeDeath(c, { status: null, signal: "SIGABRT", stderr: ok, stdout: "" }).status, "PASS");
  const noPrefix = "Fatal Python error: bad ID: Allocated using API 'm', verified using API 'r'\n";
  assert.equal(
    judgeDeath(c, { status: null, signal: "SIGABRT", stderr: noPrefix, stdout: "" }).status,
    "PASS",
  );
  const other = "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n";
  assert.equal(judgeDeath(c, { status: null, signal: "SIGABRT", stderr: other, stdout: "" }).status, "FAIL");
});

let malloc0Null: string | undefined;
try {
  malloc0Null = buildFixtures({ names: ["malloc0_null"], quiet: true }).malloc0_null;
} catch { /* no C compiler: skipped below */ }

test("pool: isolateFailures false: a FAIL after earlier cases keeps its status and message, unlabelled", {
  skip: malloc0Null ? false : "the C fixtures cannot be built here (no C compiler)",
  timeout: 60000,
}, async () => {
  // free(NULL) passes first, then malloc(0) FAILs in the same worker: by default it is run again alone
  const its = await items(`vtable:${malloc0Null}`, [AFTER[1], AFTER[0]]);
  const on = await runPool(its, { jobs: 1, abi: "shipped" });
  assert.deepEqual(on.map((r) => r.status), ["PASS", "FAIL"]);
  assert.equal(on[1].alone, ALONE);
  const off = await runPool(its, { jobs: 1, abi: "shipped", isolateFailures: false });
  assert.deepEqual(off.map((r) => r.status), ["PASS", "FAIL"]);
  assert.equal(off[1].alone, undefined);
  assert.equal(off[1].message, on[1].message);
});
