/** The optional-package detector: the loader, PATH, the skip log, and `.ci/run` installing the same list. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  loaderOpens,
  locate,
  OPTIONAL_PACKAGES,
  type PackageName,
  readSkipLog,
  reason,
  REQUIRE_ENV,
  SKIP_LOG_ENV,
} from "./optional.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const isBun = !!(globalThis as { Bun?: unknown }).Bun;

test("optional: .ci/run installs exactly the optional packages (plus the C toolchain) and requires them", () => {
  const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
  const m = ci.match(/^optional_pkgs=\(([^)]*)\)/m);
  assert.ok(m, ".ci/run has an optional_pkgs=(...) list");
  assert.deepEqual(m[1].split(/\s+/).filter(Boolean).sort(), Object.keys(OPTIONAL_PACKAGES).sort());
  assert.match(
    ci,
    new RegExp(`^export ${REQUIRE_ENV}=1$`, "m"),
    ".ci/run turns a package skip into a failure",
  );
});

test("optional: the loader opens libc and refuses a library that does not exist, with its reason", {
  timeout: 120_000,
}, () => {
  const r = loaderOpens(["libc.so.6", "libnosuchallocator.so.9"]);
  assert.equal(r["libc.so.6"], "");
  assert.match(r["libnosuchallocator.so.9"], /libnosuchallocator\.so\.9/);
});

test("optional: what locate() finds exists (a soname the loader opened, a file, a pkg-config module)", {
  timeout: 120_000,
}, () => {
  for (const name of Object.keys(OPTIONAL_PACKAGES) as PackageName[]) {
    const at = locate(name);
    if (at === undefined) {
      assert.match(
        reason(name)!,
        new RegExp(`^needs the optional package ${name.replace(".", "\\.")} \\(apt-get`),
      );
      continue;
    }
    assert.equal(reason(name), undefined);
    const kind = OPTIONAL_PACKAGES[name].probe.kind;
    if (kind === "program" || kind === "python-module") assert.ok(existsSync(at), `${name}: ${at}`);
    if (kind === "library") assert.equal(loaderOpens([at])[at], "", `${name}: ${at}`);
  }
});

test("optional: on a PATH without the programs, needs() names them and the skip log counts each test", {
  timeout: 120_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-optional-"));
  try {
    const log = join(dir, "skips");
    const mod = new URL("./optional.ts", import.meta.url).href;
    const code = `import { needs } from ${JSON.stringify(mod)};
console.log(JSON.stringify([needs("clang", "valgrind"), needs("chromium"), needs("clang")]));`;
    const args = isBun ? ["-e", code] : ["eval", "--quiet", code];
    // an empty PATH: a real absence of every program, found the way the tests find them
    const r = spawnSync(process.execPath, args, {
      encoding: "utf8",
      env: { ...process.env, PATH: dir, [SKIP_LOG_ENV]: log, CHROMIUM: "" },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").at(-1)!), [
      "needs the optional packages clang, valgrind (apt-get install clang valgrind)",
      "needs the optional package chromium (apt-get install chromium)",
      "needs the optional package clang (apt-get install clang)",
    ]);
    assert.deepEqual(readSkipLog(log), { count: 3, packages: ["chromium", "clang", "valgrind"] });
    assert.deepEqual(readSkipLog(join(dir, "none")), { count: 0, packages: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
