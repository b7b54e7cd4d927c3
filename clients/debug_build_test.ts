/**
 * Debian's debug build (libpython3.11-dbg: libpython3.11d.so, Py_DEBUG, default allocator pymalloc_debug) as
 * a second real CPython: a launcher interpreter (`--python python3.11d`, its libpython found by sysconfig as
 * for any python3) and a conformance target (`cpython:/path/libpython3.11d.so.1.0`).
 *
 * Measured on the full conformance run of that target (clients/README.md): 207 PASS, 13 FAIL, 9 ERROR, all
 * in groups that observe the default allocators, which in a Py_DEBUG build already carry the debug hooks
 * (fallback/, debug_setup/, debug_fill/, arena/, posix/ where a Py_DEBUG assert() aborts); the groups below
 * do not, and must PASS.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findLibpython } from "../core/python.ts";
import { launchSpec } from "../targets/launcher.ts";
import { runScript } from "../core/child.ts";

const PROBE = fileURLToPath(new URL("../targets/launcher/probe.py", import.meta.url));
const CLI = fileURLToPath(new URL("../conformance/cli.ts", import.meta.url));

let dbg: string | undefined;
let skip: string | undefined;
try {
  dbg = findLibpython("python3.11d").path;
  launchSpec({ python: dbg });
} catch (e) {
  skip = `Debian's debug CPython is not usable here (apt-get install python3.11-dbg): ${
    (e as Error).message.split("\n")[0]
  }`;
}

test("the launcher runs Debian's Py_DEBUG CPython on native with debug hooks, and on its own allocators", {
  skip,
  timeout: 120000,
}, () => {
  const spec = launchSpec({ python: "python3.11d", target: "native:pep445", debugHooks: "cpython" });
  assert.equal(spec.libpython, dbg);
  const r = spawnSync(spec.exe, ["-c", "import sys; print(hasattr(sys, 'gettotalrefcount'))"], {
    env: spec.env,
    encoding: "utf8",
  });
  assert.equal(r.stdout, "True\n", r.stderr);
  const p = spawnSync(spec.exe, [PROBE, "--peel"], { env: spec.env, encoding: "utf8" });
  const out = JSON.parse(p.stdout);
  assert.equal(out.obj, "libpython3.11d.so.1.0", p.stderr);
  assert.equal(out.obj_under_hooks, "liballocspec.so");
  const base = launchSpec({ target: `cpython:${dbg}` });
  const b = JSON.parse(spawnSync(base.exe, [PROBE], { env: base.env, encoding: "utf8" }).stdout);
  assert.equal(b.raw, "libpython3.11d.so.1.0");
});

/**
 * Cases of these groups that do observe the Py_DEBUG build's default allocator (pymalloc_debug: CPython's
 * debug hooks over pymalloc), with the reason each aborts there.
 */
const PY_DEBUG_DEVIATIONS: Record<string, string> = {
  "zero_size/malloc_zero_byte_writable":
    "CPython's debug hooks give malloc(0) no data byte (its trailing pad starts at p): writing the byte that " +
    "'as if malloc(1)' promises makes the free abort with 'bad trailing pad byte'",
  "zero_size/realloc_null_zero_acts_as_malloc_zero": "the same block from realloc(NULL, 0), its byte written",
  "size_checks/allocator_calloc_overflow_called_directly":
    "_PyMem_DebugRawCalloc assert()s the product that release builds leave to the entry points",
};

test(
  "conformance target cpython:libpython3.11d.so: the groups that do not observe the default allocators PASS",
  {
    skip,
    timeout: 120_000,
  },
  () => {
    const filter = "^(zero_size|realloc|size_checks|hook_args|get_set|free_null)/";
    const args = ["--target", `cpython:${dbg}`, "--filter", filter, "--format", "json", "--jobs", "1"];
    const r = runScript(CLI, args, { inherit: true, timeoutMs: 120_000 });
    const rows = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
      .filter((x) => x.status && x.status !== "UNSUPPORTED");
    assert.ok(rows.length >= 50, `ran ${rows.length} cases: ${r.stderr}`);
    const bad = rows.filter((x) => x.status !== "PASS" && !(x.case in PY_DEBUG_DEVIATIONS))
      .map((x) => `${x.case}[${x.domain}] ${x.status}`);
    assert.deepEqual(bad, []);
    // the deviations are real and observed in every domain, each as the crash its reason predicts
    for (const [id, why] of Object.entries(PY_DEBUG_DEVIATIONS)) {
      const got = rows.filter((x) => x.case === id);
      assert.equal(got.length, 3, `${id}: one run per domain`);
      for (const x of got) {
        assert.match(`${x.status} ${x.message}`, /^ERROR target crashed: signal SIGABRT/, why);
      }
    }
  },
);
