import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { findLibpython, findPython } from "./python.ts";

let python: string | undefined;
try {
  findLibpython();
  python = findPython();
} catch { /* no python3 with a shared libpython here */ }

test(
  "python: findLibpython asks an interpreter once per question, and again when the environment differs",
  { skip: python ? false : "no python3 with a shared libpython on this machine" },
  () => {
    // a python3 first on PATH that counts how often it is asked, then runs the real one
    const dir = mkdtempSync(join(tmpdir(), "allocspec-python-"));
    const log = join(dir, "asked");
    const shim = join(dir, "python3");
    writeFileSync(shim, `#!/bin/sh\necho x >> '${log}'\nexec '${python}' "$@"\n`);
    chmodSync(shim, 0o755);
    const path = process.env.PATH;
    const asked = () => readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    try {
      process.env.PATH = `${dir}:${path}`;
      const a = findLibpython();
      const b = findLibpython();
      assert.deepEqual(b, a);
      assert.equal(asked(), 1, "the same question twice in one process");
      process.env.ALLOCSPEC_PYTHON_TEST_MARK = "1"; // another environment: another question
      assert.deepEqual(findLibpython(), a);
      assert.equal(asked(), 2);
      assert.throws(() => findLibpython("/no/such/python3"), /cannot run \/no\/such\/python3/);
    } finally {
      process.env.PATH = path;
      delete process.env.ALLOCSPEC_PYTHON_TEST_MARK;
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
