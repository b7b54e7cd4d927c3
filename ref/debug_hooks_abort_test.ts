import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";

const fixture = new URL("./debug_hooks_abort_fixture.ts", import.meta.url).pathname;
const isBun = (globalThis as any).Bun !== undefined;

/** Runs one fixture case in a child of the same runtime; stderr decoded one char per byte (%c is raw). */
function run(which: string) {
  const args = isBun ? [fixture, which] : ["run", "-A", fixture, which];
  const r = spawnSync(process.execPath, args, { encoding: "latin1", timeout: 60_000 });
  return { signal: r.signal, status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test("debug_hooks abort: buffer overflow prints CPython's dump and aborts (SIGABRT)", () => {
  const r = run("overflow");
  assert.equal(r.signal, "SIGABRT", r.stderr);
  assert.ok(r.stderr.startsWith("Debug memory block at address p=0x"), r.stderr);
  assert.ok(
    r.stderr.includes(
      "        at tail+0: 0x78 *** OUCH\n" + "        at tail+1: 0xfd\n",
    ),
  );
  assert.ok(
    r.stderr.includes(
      "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n\n" +
        "Enable tracemalloc to get the memory block allocation traceback\n\n" +
        "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n" +
        "Python runtime state: initialized\n\n",
    ),
    r.stderr,
  );
  assert.ok(!r.stdout.includes("survived"));
});

test("debug_hooks abort: API misuse and GIL failures abort with the fatal line", () => {
  const misuse = run("misuse");
  assert.equal(misuse.signal, "SIGABRT");
  assert.ok(
    misuse.stderr.includes(
      "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'r'\n",
    ),
  );
  for (const c of ["nogil", "free-null-nogil"]) {
    const r = run(c);
    assert.equal(r.signal, "SIGABRT", c);
    const func = c === "nogil" ? "_PyMem_DebugMalloc" : "_PyMem_DebugFree";
    assert.ok(
      r.stderr.startsWith(
        `Fatal Python error: ${func}: Python memory allocator called without holding the GIL\nPython runtime state: initialized\n\n`,
      ),
      r.stderr,
    );
  }
});

test("debug_hooks abort: the pep445-2013 profile prints the <=3.7 text", () => {
  const r = run("overflow-2013");
  assert.equal(r.signal, "SIGABRT");
  assert.match(
    r.stderr,
    / {4}The block was made by call #1 to debug malloc\/realloc\.\n {4}Data at p: cb cb/,
  );
  assert.ok(r.stderr.includes("\nFatal Python error: bad trailing pad byte\n\n"));
  assert.ok(!r.stderr.includes("Enable tracemalloc"));
});

test("debug_hooks abort: setViolationMode switches from throw to abort", () => {
  const r = run("mode-switch");
  assert.equal(r.stdout, "caught PyMemDebugError\n");
  assert.equal(r.signal, "SIGABRT");
  assert.ok(r.stderr.includes("bad ID: Allocated using API 'o', verified using API 'm'"));
});
