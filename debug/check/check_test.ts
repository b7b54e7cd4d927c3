/**
 * The checking layer's C API (test/test_check.c: 34 scenarios, each an allocator broken in one rule or a
 * correct one under threads, each in its own forked child) built four ways and run: release (-O2),
 * ASan/UBSan, ThreadSanitizer, and the release build under valgrind (definite and indirect leaks are
 * errors; stop-mode children end with _exit, so what they held is "possibly lost" by design). A tool
 * missing here is a skip that names it.
 */
import { test } from "node:test";
import { needs } from "../../core/optional.ts";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { BUILD_DIR, compileProgram, findCompiler } from "../../core/cbuild.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const SOURCES = [
  join(HERE, "test", "test_check.c"),
  ...["blocks", "config", "contents", "layer", "report"].map((f) => join(HERE, `${f}.c`)),
  join(HERE, "..", "common", "pyframe.c"),
];

function compilerSkip(): string | undefined {
  try {
    findCompiler();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
const skip = compilerSkip();

/** Builds test_check with `flags`; returns the executable, or a skip reason when the toolchain refuses. */
function build(name: string, flags: string[]): { exe?: string; why?: string } {
  const exe = join(BUILD_DIR, "check-test", name);
  try {
    compileProgram({ sources: SOURCES, output: exe, flags: [...flags, "-ldl"] });
  } catch (e) {
    return { why: `${name}: ${(e as Error).message.split("\n")[0]}` };
  }
  return { exe };
}

function run(cmd: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(cmd[0], cmd.slice(1), {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  assert.equal(r.status, 0, `${cmd.join(" ")} (exit ${r.status ?? r.signal}):\n${out.slice(-4000)}`);
  assert.match(r.stdout, /^34 passed, 0 failed$/m, out.slice(-4000));
  return out;
}

test("check layer C API: every scenario (release)", { skip, timeout: 300_000 }, () => {
  const b = build("test_check", ["-O2", "-g"]);
  assert.ok(b.exe, b.why ?? "");
  run([b.exe!]);
});

test("check layer C API under ASan/UBSan (leaks checked)", { skip, timeout: 600_000 }, () => {
  const b = build("test_check_asan", [
    "-O1",
    "-g",
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
  ]);
  assert.ok(b.exe, b.why ?? "");
  const out = run([b.exe!], {
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0",
    UBSAN_OPTIONS: "print_stacktrace=1:halt_on_error=1",
  });
  assert.doesNotMatch(out, /AddressSanitizer|runtime error/);
});

test("check layer C API under ThreadSanitizer", { skip, timeout: 600_000 }, (t) => {
  const b = build("test_check_tsan", ["-O1", "-g", "-fsanitize=thread"]);
  if (!b.exe) return t.skip(`ThreadSanitizer not available: ${b.why}`);
  const out = run([b.exe], { TSAN_OPTIONS: "halt_on_error=1:exitcode=66" });
  assert.doesNotMatch(out, /WARNING: ThreadSanitizer/);
});

test(
  "check layer C API under valgrind (0 errors, no definite or indirect leak)",
  { skip: skip || needs("valgrind"), timeout: 900_000 },
  () => {
    const b = build("test_check", ["-O2", "-g"]);
    assert.ok(b.exe, b.why ?? "");
    run([
      "valgrind",
      "-q",
      "--error-exitcode=99",
      "--leak-check=full",
      "--errors-for-leak-kinds=definite,indirect",
      "--show-leak-kinds=definite,indirect",
      b.exe!,
    ]);
  },
);
