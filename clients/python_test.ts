/** The `python` command: arguments after `--` reach Python unchanged, status and bad usage (exit 2, one line). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parsePythonArgs } from "./python.ts";
import { launchSpec } from "../targets/launcher.ts";
import { runScript } from "../core/child.ts";

const SCRIPT = fileURLToPath(new URL("./python.ts", import.meta.url));
const cli = (args: string[]) => runScript(SCRIPT, args, { inherit: true, timeoutMs: 120_000 });

let skip: string | undefined;
try {
  launchSpec({ target: "native" });
} catch (e) {
  skip = `no launcher here: ${(e as Error).message}`;
}

test("parsePythonArgs: own options before --, the rest untouched", () => {
  const o = parsePythonArgs([
    "--allocator",
    "libc:libc.so.6",
    "--debug-hooks",
    "--",
    "-m",
    "x",
    "--debug-hooks",
  ]);
  assert.equal(o.target, "libc:libc.so.6");
  assert.equal(o.debugHooks, "cpython");
  assert.deepEqual(o.pythonArgs, ["-m", "x", "--debug-hooks"]);
  assert.equal(parsePythonArgs(["--debug-hooks=native"]).debugHooks, "native");
  assert.equal(parsePythonArgs([]).target, "native");
  assert.equal(parsePythonArgs(["--target", "native:pep445"]).target, "native:pep445");
  assert.equal(parsePythonArgs(["--debug-hooks=none"]).debugHooks, "");
  assert.deepEqual(parsePythonArgs(["-c", "1"]).pythonArgs, ["-c", "1"]);
  assert.deepEqual(parsePythonArgs(["--allocator", "native", "x.py", "--allocator"]).pythonArgs, [
    "x.py",
    "--allocator",
  ]);
  assert.throws(() => parsePythonArgs(["--frob"]), /after --/);
  assert.throws(
    () => parsePythonArgs(["--debug-hooks=x"]),
    /--debug-hooks=x: use --debug-hooks, --debug-hooks=cpython/,
  );
});

test(
  "python -m json.tool on jemalloc with debug hooks; exit status; bad input is one line, exit 2",
  { skip, timeout: 60000 },
  () => {
    const file = join(tmpdir(), `allocspec-python-test-${process.pid}.json`);
    writeFileSync(file, '{"a": [1, 2]}');
    const r = cli([
      "--target",
      "libc:libjemalloc.so.2",
      "--debug-hooks",
      "--",
      "-m",
      "json.tool",
      "--compact",
      file,
    ]);
    assert.equal(r.stdout, '{"a":[1,2]}\n', r.stderr);
    assert.equal(r.status, 0);
    assert.equal(cli(["--", "-c", "raise SystemExit(9)"]).status, 9);
    for (const args of [["--target", "bogus"], ["--target", "libc:/nonexistent/x.so"], ["--frob"]]) {
      const bad = cli([...args, "--", "-c", "print('ran')"]);
      assert.equal(bad.status, 2, bad.stderr);
      assert.equal(bad.stdout, "");
      assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
      assert.match(bad.stderr, /^python: /);
    }
    // the old flag name still works, with a one-line note
    const old = cli(["--allocator", "native", "--", "-c", "print('ran')"]);
    assert.equal(old.status, 0, old.stderr);
    assert.equal(old.stdout, "ran\n");
    assert.match(old.stderr, /^python: --allocator is deprecated: use --target \(same syntax\)$/m);
  },
);
