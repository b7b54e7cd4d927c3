/**
 * Tests of native/build.ts: it builds, it does not rebuild a fresh library, it exports exactly the
 * public symbols, and a missing compiler gives one clear line.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNative, libraryPath, NATIVE_DIR } from "./build.ts";
import { compileShared, findCompiler, NoCompilerError } from "../core/cbuild.ts";
import { runScript } from "../core/child.ts";

/** The symbols docs/contracts.md section 3 names (CPython's names + the allocspec_ extras). */
const EXPECTED_EXPORTS = [
  "PyMem_RawMalloc",
  "PyMem_RawCalloc",
  "PyMem_RawRealloc",
  "PyMem_RawFree",
  "PyMem_Malloc",
  "PyMem_Calloc",
  "PyMem_Realloc",
  "PyMem_Free",
  "PyObject_Malloc",
  "PyObject_Calloc",
  "PyObject_Realloc",
  "PyObject_Free",
  "PyMem_GetAllocator",
  "PyMem_SetAllocator",
  "PyObject_GetArenaAllocator",
  "PyObject_SetArenaAllocator",
  "PyMem_SetupDebugHooks",
  "PyMem_GetRawAllocators",
  "PyMem_SetRawAllocators",
  "PyMem_GetAllocators",
  "PyMem_SetAllocators",
  "PyObject_GetAllocators",
  "PyObject_SetAllocators",
  "_PyObject_GetArenaAllocators",
  "_PyObject_SetArenaAllocators",
  "allocspec_abi_version",
  "allocspec_reset",
  "allocspec_profile",
  "allocspec_geometry",
  "allocspec_set_gil_check",
  "allocspec_set_gil_held",
  "allocspec_gil_held",
  "allocspec_set_violation_handler",
  "allocspec_record_violations",
  "allocspec_violation_count",
  "allocspec_violation_kind",
  "allocspec_violation_address",
  "allocspec_violation_api_id",
  "allocspec_violation_verified_id",
  "allocspec_violation_func",
  "allocspec_violation_text",
  "allocspec_violation_clear",
  "allocspec_passthrough_install",
  "allocspec_passthrough_uninstall",
  "allocspec_passthrough_calls",
  "allocspec_trace_install",
  "allocspec_trace_uninstall",
  "allocspec_trace_write",
  "allocspec_replay",
  "allocspec_libc_allocator",
  "allocspec_stress_raw",
  "allocspec_mark_js_domain",
].sort();

test("build: buildNative produces liballocspec.so at libraryPath()", () => {
  const so = buildNative({ variant: "release" });
  assert.equal(so, libraryPath("release"));
  assert.ok(so.endsWith("native/build/release/liballocspec.so"), so);
  assert.ok(existsSync(so) && statSync(so).size > 10_000, `missing or tiny: ${so}`);
});

test("build: a fresh library is not rebuilt", () => {
  const so = buildNative({ variant: "release" });
  const before = statSync(so).mtimeMs;
  assert.equal(buildNative({ variant: "release" }), so);
  assert.equal(statSync(so).mtimeMs, before);
});

test("build: exports exactly the contract's symbols (hidden visibility elsewhere)", () => {
  const so = buildNative({ variant: "release" });
  const r = spawnSync("nm", ["-D", "--defined-only", so], { encoding: "utf8" });
  assert.equal(r.status, 0, `nm failed: ${r.error?.message ?? r.stderr}`);
  const names = r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) =>
    f.length === 3 && /[TD]/.test(f[1])
  )
    .map((f) => f[2]).sort();
  assert.deepEqual(names, EXPECTED_EXPORTS);
});

test("build: calls inside the library never go through the PLT/GOT (-Wl,-Bsymbolic)", () => {
  const so = buildNative({ variant: "release" });
  const r = spawnSync("readelf", ["-rW", so], { encoding: "utf8" });
  assert.equal(r.status, 0, `readelf failed: ${r.error?.message ?? r.stderr}`);
  const relocated = r.stdout.split("\n").filter((l) => /JUMP_SLOT|GLOB_DAT/.test(l)).map((l) =>
    l.trim().split(/\s+/)[4] ?? ""
  );
  assert.ok(
    relocated.includes("malloc@GLIBC_2.2.5"),
    "libc's malloc stays interposable (RAW = the system malloc)",
  );
  const own = relocated.filter((n) => EXPECTED_EXPORTS.includes(n.split("@")[0]));
  assert.deepEqual(own, [], "a libpython loaded in the same process could interpose on these");
});

test("build: libraryPath rejects an unknown variant with a clear error", () => {
  assert.throws(() => libraryPath("fast" as any), /unknown variant 'fast': use release, debug, asan/);
});

test("build: a bogus CC gives one clear line (findCompiler and the CLI)", () => {
  assert.throws(
    () => findCompiler({ CC: "/nonexistent/bogus-cc" }),
    (e: unknown) =>
      e instanceof NoCompilerError && /CC='\/nonexistent\/bogus-cc' does not run/.test(e.message) &&
      !e.message.includes("\n"),
  );
  const r = runScript(join(NATIVE_DIR, "build.ts"), ["--force"], {
    inherit: true,
    env: { CC: "/nonexistent/bogus-cc" },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^native\/build\.ts: the C compiler CC='\/nonexistent\/bogus-cc' does not run: set CC to a working compiler/m,
  );
  assert.ok(existsSync(libraryPath("release")), "a failed build must not remove the library");
});

test("build: compileShared builds another folder's fixture with the project flags", () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-build-"));
  try {
    const src = join(dir, "fixture.c");
    writeFileSync(
      src,
      '#include "allocspec.h"\nALLOCSPEC_API int fixture_answer(void) { return 42; }\nint hidden_fn(void) { return 1; }\n',
    );
    const out = join(dir, "libfixture.so");
    compileShared({ sources: [src], output: out, flags: ["-O2"] });
    assert.ok(existsSync(out));
    const r = spawnSync("nm", ["-D", "--defined-only", out], { encoding: "utf8" });
    assert.match(r.stdout, /fixture_answer/);
    assert.doesNotMatch(r.stdout, /hidden_fn/);
    writeFileSync(src, "int broken( {\n");
    assert.throws(() => compileShared({ sources: [src], output: out }), /failed \(exit 1\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
