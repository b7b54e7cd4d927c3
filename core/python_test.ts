import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { defaultPython, findLibpython, findPython, findPythonHeaders, resolveLibpython } from "./python.ts";

let python: string | undefined;
try {
  findLibpython();
  python = findPython();
} catch { /* no python3 with a shared libpython here */ }

/** A folder with an executable `name` that counts its starts in `asked()`, then runs the real python. */
function countingPython(name: string): { dir: string; path: string; asked: () => number } {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-python-"));
  const log = join(dir, "asked");
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\necho x >> '${log}'\nexec '${python}' "$@"\n`);
  chmodSync(path, 0o755);
  const asked = () => {
    try {
      return readFileSync(log, "utf8").split("\n").filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { dir, path, asked };
}

test(
  "python: python3 on PATH is asked once per question (findLibpython and findPython share it), again when the environment differs",
  { skip: python ? false : "no python3 with a shared libpython on this machine" },
  () => {
    // a python3 first on PATH that counts how often it is asked, then runs the real one
    const { dir, asked } = countingPython("python3");
    const path = process.env.PATH;
    const pinned = process.env.ALLOCSPEC_PYTHON; // set by tools/run_tests.ts: this test asks PATH's python3
    try {
      delete process.env.ALLOCSPEC_PYTHON;
      process.env.PATH = `${dir}:${path}`;
      const a = findLibpython();
      const b = findLibpython();
      assert.deepEqual(b, a);
      assert.equal(asked(), 1, "the same question twice in one process");
      assert.equal(findPython(), python, "the probe's sys.executable");
      assert.equal(asked(), 1, "findPython reuses what the probe of python3 learnt");
      process.env.ALLOCSPEC_PYTHON_TEST_MARK = "1"; // another environment: another question
      assert.deepEqual(findLibpython(), a);
      assert.equal(asked(), 2);
      process.env.ALLOCSPEC_PYTHON_TEST_MARK = "2";
      assert.equal(findPython(), python);
      assert.equal(asked(), 3);
      assert.deepEqual(findLibpython(), a);
      assert.equal(asked(), 3, "the probe asks the real executable findPython found, not the wrapper");
      assert.throws(() => findLibpython("/no/such/python3"), /cannot run \/no\/such\/python3/);
    } finally {
      process.env.PATH = path;
      if (pinned !== undefined) process.env.ALLOCSPEC_PYTHON = pinned;
      delete process.env.ALLOCSPEC_PYTHON_TEST_MARK;
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  "python: $ALLOCSPEC_PYTHON is the interpreter asked when none is named (not python3 on PATH)",
  { skip: python ? false : "no python3 with a shared libpython on this machine" },
  () => {
    // an interpreter that counts how often it is asked, named by ALLOCSPEC_PYTHON, and a python3 on PATH that
    // fails: findLibpython and resolveLibpython must ask the first and never the second
    const { dir, path: mine, asked } = countingPython("mine");
    writeFileSync(join(dir, "python3"), "#!/bin/sh\nexit 7\n");
    chmodSync(join(dir, "python3"), 0o755);
    const saved = { PATH: process.env.PATH, ALLOCSPEC_PYTHON: process.env.ALLOCSPEC_PYTHON };
    try {
      process.env.PATH = `${dir}:${saved.PATH}`;
      process.env.ALLOCSPEC_PYTHON = mine;
      assert.equal(defaultPython(), mine);
      assert.equal(defaultPython({}), "python3");
      const info = findLibpython();
      assert.equal(info.python, mine);
      assert.equal(resolveLibpython(undefined, { env: { ALLOCSPEC_PYTHON: mine } }), info.path);
      assert.equal(asked(), 1, "asked once, cached");
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.ALLOCSPEC_PYTHON === undefined) delete process.env.ALLOCSPEC_PYTHON;
      else process.env.ALLOCSPEC_PYTHON = saved.ALLOCSPEC_PYTHON;
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("python: findPythonHeaders names Python.h's folder, the extension suffix and the version, asked once", {
  skip: python ? false : "no python3 with a shared libpython on this machine",
}, () => {
  const { path: counting, dir, asked } = countingPython("mine");
  try {
    let h;
    try {
      h = findPythonHeaders(counting);
    } catch (e) {
      // no python3 headers here: the one line says what to install
      assert.match((e as Error).message, /install the python3 development headers/);
      return;
    }
    assert.ok(existsSync(join(h.include, "Python.h")));
    assert.match(h.suffix, /\.so$/);
    assert.equal(h.version, findLibpython().version);
    assert.deepEqual(findPythonHeaders(counting), h);
    assert.equal(asked(), 1, "asked once per process and question");
    assert.throws(
      () => findPythonHeaders("/no/such/python3"),
      /cannot ask \/no\/such\/python3 for its headers/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
