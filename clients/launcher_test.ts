/**
 * Tests of the launcher (targets/launcher.ts + allocspec-python): CPython really runs on each allocator,
 * with and without debug hooks (proved by PyMem_GetAllocator + dladdr in targets/launcher/probe.py),
 * children inherit it, exit codes and signals come back unchanged, PYTHONMALLOC wins as documented,
 * layers load, bad input is one line with exit 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/usage.ts";
import { buildFixtures } from "../conformance/fixtures/c/build.ts";
import { compileShared } from "../core/cbuild.ts";
import { type DebugHooks, type LaunchSpec, launchSpec } from "../targets/launcher.ts";

const HERE = join(dirname(fileURLToPath(import.meta.url)), "..", "targets");
const PROBE = join(HERE, "launcher", "probe.py");

function skipReason(): string | undefined {
  try {
    launchSpec({ target: "native" });
    return undefined;
  } catch (e) {
    return `no launcher here: ${(e as Error).message.split("\n")[0]}`;
  }
}
const skip = skipReason();

function run(spec: LaunchSpec, args: string[], env: Record<string, string> = {}) {
  return spawnSync(spec.exe, [...spec.argvPrefix, ...args], {
    env: { ...spec.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

function probe(spec: LaunchSpec, flags: string[] = [], env: Record<string, string> = {}) {
  const r = run(spec, [PROBE, ...flags], env);
  assert.equal(r.status, 0, `probe failed (${spec.allocator}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, string | null>;
}

const LIBPY = /^libpython3\.\d+d?\.so/;

test(
  "python -c runs on every allocator, with and without debug hooks, and the allocator is really installed",
  {
    skip,
    timeout: 120_000,
  },
  () => {
    const good = skip ? "" : buildFixtures({ names: ["good"] }).good;
    // outer: library of each domain's malloc; inner: under the debug hooks, or (libc) the library in ctx
    const cases: [string, RegExp, RegExp][] = [
      ["native", /^liballocspec\.so$/, /^liballocspec\.so$/],
      ["native:pep445", /^liballocspec\.so$/, /^liballocspec\.so$/],
      ["libc:libc.so.6", /^allocspec-python$/, /^allocspec-python$/],
      [`vtable:${good}`, /^fixture_good\.so$/, /^fixture_good\.so$/],
    ];
    for (const [allocator, plain, under] of cases) {
      for (const hooks of ["", "native", "cpython"] as DebugHooks[]) {
        const spec = launchSpec({ target: allocator, debugHooks: hooks });
        const out = probe(spec, hooks ? ["--peel"] : []);
        assert.match(out.executable!, /allocspec-python$/, "sys.executable is the launcher");
        for (const d of ["raw", "mem", "obj"]) {
          const where = `${allocator} hooks=${hooks || "none"} ${d}: ${JSON.stringify(out)}`;
          if (hooks === "") assert.match(out[d] ?? "", plain, where);
          else {
            assert.match(out[d] ?? "", hooks === "native" ? /^liballocspec\.so$/ : LIBPY, where);
            assert.match(out[`${d}_under_hooks`] ?? "", under, where);
          }
        }
      }
    }
    // the libc glue calls the library itself
    const libc = probe(launchSpec({ target: "libc:libc.so.6" }), ["--ctx"]);
    assert.equal(libc.raw_ctx_fn, "libc.so.6");
    // the baseline installs nothing: CPython's own allocators, and its own debug hooks on request
    const base = probe(launchSpec({ target: "cpython" }));
    for (const d of ["raw", "mem", "obj"]) assert.match(base[d] ?? "", LIBPY);
    const baseNative = probe(launchSpec({ target: "cpython", debugHooks: "native" }), ["--peel"]);
    assert.equal(baseNative.obj, "liballocspec.so");
    assert.match(baseNative.obj_under_hooks ?? "", LIBPY);
  },
);

test("exit status and signals come back unchanged", { skip, timeout: 60000 }, () => {
  const spec = launchSpec({ target: "native", debugHooks: "cpython" });
  assert.equal(run(spec, ["-c", "raise SystemExit(7)"]).status, 7);
  assert.equal(run(spec, ["-c", "print('ok')"]).stdout, "ok\n");
  const exc = run(spec, ["-c", "raise ValueError('boom')"]);
  assert.equal(exc.status, 1);
  assert.match(exc.stderr, /ValueError: boom/);
  const segv = run(spec, ["-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]);
  assert.equal(segv.signal, "SIGSEGV");
  assert.equal(run(spec, ["-c", "import os; os.abort()"]).signal, "SIGABRT");
  assert.equal(
    run(spec, ["-c", "import sys; print(sys.argv[1:])", "a", "--", "-m"]).stdout,
    "['a', '--', '-m']\n",
  );
});

test("sys.executable children inherit the allocator; PYTHONMALLOC set for a child wins (CONTRACT.md)", {
  skip,
  timeout: 60000,
}, () => {
  const spec = launchSpec({ target: "native:pep445" });
  const code = (env: string, flags: string) =>
    `import subprocess, sys, os; e = dict(os.environ${env}); ` +
    `sys.exit(subprocess.run([sys.executable${flags}, ${JSON.stringify(PROBE)}], env=e).returncode)`;
  const child = JSON.parse(run(spec, ["-c", code("", "")]).stdout.trim());
  assert.equal(child.obj, "liballocspec.so");
  const pm = JSON.parse(run(spec, ["-c", code(", PYTHONMALLOC='malloc'", "")]).stdout.trim());
  assert.equal(pm.PYTHONMALLOC, "malloc");
  assert.match(pm.obj, LIBPY, "PYTHONMALLOC=malloc: CPython's malloc allocator, not ours");
  const ignored = JSON.parse(run(spec, ["-c", code(", PYTHONMALLOC='malloc'", ", '-E'")]).stdout.trim());
  assert.equal(ignored.obj, "liballocspec.so", "-E: CPython ignores PYTHONMALLOC, so ours stays");
});

test(
  "layers load after init, wrap the allocator, and a failing pep445_hook_install is exit 2",
  { skip, timeout: 60000 },
  () => {
    const layer = join(HERE, "launcher", "test", "build", "layer_count.so");
    compileShared({
      sources: [join(HERE, "launcher", "test", "layer_count.c")],
      output: layer,
      flags: ["-O2"],
    });
    const spec = launchSpec({ target: "native", layers: [layer] });
    const r = run(spec, [
      "-c",
      `import ctypes; f = ctypes.CDLL(${
        JSON.stringify(layer)
      }).layer_count_calls; f.restype = ctypes.c_uint64; ` +
      `n = f(); x = [str(i) for i in range(1000)]; print(n > 0, f() - n >= 1000)`,
    ]);
    assert.equal(r.stdout, "True True\n", r.stderr);
    const bad = run(spec, ["-c", "pass"], { LAYER_COUNT_FAIL: "3" });
    assert.equal(bad.status, 2);
    assert.match(
      bad.stderr,
      /^allocspec-python: layer .*layer_count\.so: pep445_hook_install\(\) returned 3\n$/,
    );
  },
);

test(
  "bad input is one line: UsageError from launchSpec, exit 2 from the launcher",
  { skip, timeout: 60000 },
  () => {
    assert.throws(
      () => launchSpec({ target: "bogus" }),
      (e) => e instanceof UsageError && /bogus/.test(e.message),
    );
    assert.throws(() => launchSpec({ target: "ref" }), UsageError);
    assert.throws(() => launchSpec({ target: "native:huge" }), /unknown variant or geometry 'huge'/);
    assert.throws(
      () => launchSpec({ target: "libc:/nonexistent/libx.so" }),
      /libc target: library .* not found/,
    );
    assert.throws(() => launchSpec({ target: "libc:libc.so.6:zz_" }), /does not export zz_malloc/);
    assert.throws(() => launchSpec({ python: "/nonexistent/python3" }), UsageError);
    const spec = launchSpec({ target: "native" });
    for (
      const [env, re] of [
        [{ ALLOCSPEC_ALLOCATOR: "weird" }, /ALLOCSPEC_ALLOCATOR=weird: use/],
        [{ ALLOCSPEC_DEBUG_HOOKS: "x" }, /ALLOCSPEC_DEBUG_HOOKS=x/],
        [{ ALLOCSPEC_LIBPYTHON: "/nonexistent/libpython3.so" }, /cannot load libpython/],
        [{ ALLOCSPEC_LIBPYTHON: "libc.so.6" }, /does not export Py.*: it is not a CPython 3\.8\+/],
        [{ ALLOCSPEC_LAYERS: "/nonexistent/layer.so" }, /cannot load layer/],
      ] as [Record<string, string>, RegExp][]
    ) {
      const r = run(spec, ["-c", "print('must not run')"], env);
      assert.equal(r.status, 2, JSON.stringify(env));
      assert.equal(r.stdout, "");
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
  },
);

test("the debug hooks check the real GIL: native and CPython's give CPython's fatal error", {
  skip,
  timeout: 60000,
}, () => {
  for (const hooks of ["native", "cpython"] as DebugHooks[]) {
    const spec = launchSpec({ target: "native", debugHooks: hooks });
    const r = run(spec, ["-c", "import _testcapi; _testcapi.pymem_malloc_without_gil()"]);
    assert.equal(r.signal, "SIGABRT", `${hooks}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL$/m,
    );
    // threads that take the GIL properly are fine
    const ok = run(spec, [
      "-c",
      "import threading, json; ts = [threading.Thread(target=lambda: json.dumps(list(range(5000)))) for _ in range(4)]; [t.start() for t in ts]; [t.join() for t in ts]; print('ok')",
    ]);
    assert.equal(ok.stdout, "ok\n", ok.stderr);
  }
});
