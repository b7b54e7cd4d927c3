/**
 * The fault engine's C API from a plain C program (test_engine.c over liballocspec's PEP 445 implementation, no
 * Python): count, transient and persistent modes, filters, nested calls, the EXT domain, site files. Built
 * with the project's warning flags, once as a release build and once with ASan/UBSan (against liballocspec's
 * asan variant); each mode runs in its own process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildNative } from "../../native/build.ts";
import { BUILD_DIR, compileProgram, findCompiler } from "../../core/cbuild.ts";
import { runProgram } from "../../core/child.ts";

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
  const exe = join(BUILD_DIR, variant, "test", "test_faults_engine");
  compileProgram({
    sources: SOURCES,
    output: exe,
    flags: [...flags, `-L${dirname(lib)}`, `-Wl,-rpath,${dirname(lib)}`, "-lallocspec", "-ldl"],
  });
  for (const mode of ["count", "transient", "persistent"]) {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-engine-"));
    try {
      const r = runProgram(exe, [mode, dir], { inherit: true, env, timeoutMs: 0 });
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
