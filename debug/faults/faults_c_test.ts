/**
 * The fault engine's C API from a plain C program (test_engine.c over liballocspec's PEP 445 implementation, no
 * Python): count, transient and persistent modes, filters, nested calls, the EXT domain, site files. Built
 * with the project's warning flags, once as a release build and once with ASan/UBSan (against liballocspec's
 * asan variant); each mode runs in its own process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { buildNative, findCompiler, NATIVE_DIR, WARN_FLAGS } from "../../native/build.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCES = [
  join(HERE, "test_engine.c"),
  ...readdirSync(HERE).filter((f) => f.endsWith(".c") && f !== "test_engine.c").map((f) => join(HERE, f)),
  join(HERE, "..", "common", "pyframe.c"),
];

function skipReason(): string | undefined {
  try {
    findCompiler();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
const skip = skipReason();

function buildAndRun(variant: "release" | "asan", flags: string[], env: Record<string, string>): void {
  const lib = buildNative({ variant });
  const outDir = join(NATIVE_DIR, "build", variant, "test");
  mkdirSync(outDir, { recursive: true });
  const exe = join(outDir, "test_faults_engine");
  const cc = spawnSync(findCompiler(), [
    ...WARN_FLAGS,
    ...flags,
    "-pthread",
    `-I${join(NATIVE_DIR, "include")}`,
    ...SOURCES,
    "-o",
    exe,
    `-L${dirname(lib)}`,
    "-lallocspec",
    `-Wl,-rpath,${dirname(lib)}`,
    "-ldl",
  ], { encoding: "utf8" });
  assert.equal(cc.status, 0, `compile failed: ${cc.stdout}${cc.stderr}`);
  for (const mode of ["count", "transient", "persistent"]) {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-engine-"));
    try {
      const r = spawnSync(exe, [mode, dir], { encoding: "utf8", env: { ...process.env, ...env } });
      assert.equal(r.status, 0, `${variant} ${mode}:\n${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /^\d+ passed, 0 failed$/m, r.stdout);
      assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error/, r.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

test("fault engine C API: count, transient, persistent (release build)", { skip, timeout: 180_000 }, () => {
  buildAndRun("release", ["-O2", "-g"], {});
});

test("fault engine C API under ASan/UBSan (leaks checked)", { skip, timeout: 300_000 }, () => {
  buildAndRun("asan", [
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
  ], {
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
    UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1",
  });
});
