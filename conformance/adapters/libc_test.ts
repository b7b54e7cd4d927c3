import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../core/usage.ts";
import { STATIC_TLS_ENV } from "../../core/env.ts";
import { KNOWN_DEVIATIONS, KNOWN_INFORMATIONAL, libcFactory } from "./libc.ts";
import { parseLibcArg } from "../../targets/libc.ts";
import { splitPathArg } from "../../targets/library.ts";
import { prepareSuite, runSuite } from "../suite.ts";
import { libraryPackage, needs } from "../../core/optional.ts";

test("libc: argument parsing (path, prefix, bare soname)", () => {
  assert.deepEqual(parseLibcArg("libmimalloc.so.2:mi_"), { lib: "libmimalloc.so.2", prefix: "mi_" });
  assert.deepEqual(parseLibcArg("libc.so.6"), { lib: "libc.so.6", prefix: "" });
  assert.deepEqual(splitPathArg("/x/lib.so:sym", /^\w+$/), { path: "/x/lib.so", tail: "sym" });
  assert.throws(() => parseLibcArg(undefined), UsageError);
  assert.throws(
    () => parseLibcArg("./no/such/libfoo.so"),
    /libc target: library \.\/no\/such\/libfoo\.so not found/,
  );
});

test("libc: bad input is one clear UsageError line", () => {
  const one = (f: () => unknown, re: RegExp) => {
    assert.throws(
      f,
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes("\n"),
    );
  };
  one(
    () => libcFactory("libc.so.6:xx_", { abi: "shipped" }),
    /does not export xx_malloc, xx_calloc, xx_realloc, xx_free \(is 'xx_' the right prefix\?\)/,
  );
  one(
    () => libcFactory("libnosuchalloc.so.9", { abi: "shipped" }),
    /libc target: cannot load libnosuchalloc\.so\.9/,
  );
  one(() => libcFactory("", { abi: "shipped" }), /libc target needs a library/);
});

/** The optional package of a target spec's library (libc.so.6 is glibc itself: always there). */
const pkg = (spec: string) => libraryPackage(parseLibcArg(spec).lib);

for (const [spec, expected] of Object.entries(KNOWN_DEVIATIONS)) {
  const p = pkg(spec);
  test(`libc: ${spec} fails exactly its known PEP 445 deviations`, {
    skip: p ? needs(p) : false,
    timeout: 600_000,
  }, async () => {
    const prep = await prepareSuite({
      targets: [`libc:${spec}`],
      abi: "shipped",
      profiles: ["cpython", "pep445-2013"],
    });
    const { results } = await runSuite(prep, { jobs: 2, timeoutMs: 30_000, isolateFailures: false });
    const judged = results.filter((r) => !r.informational);
    assert.deepEqual(judged.filter((r) => r.status === "ERROR").map((r) => `${r.case}: ${r.message}`), []);
    const fails = judged.filter((r) => r.status === "FAIL");
    const detail = fails.filter((r) => !(r.case in expected)).map((r) =>
      `${r.case}[${r.domain}]@${r.profile}: ${r.message}`
    ).join("\n");
    assert.deepEqual(
      [...new Set(fails.map((r) => r.case))].sort(),
      Object.keys(expected).sort(),
      `unexpected FAILs:\n${detail}`,
    );
    for (const r of fails) {
      assert.match(r.message, new RegExp(expected[r.case]), `${r.case}[${r.domain}]@${r.profile}`);
    }
    assert.ok(judged.filter((r) => r.status === "PASS").length > 100, "most cases pass");
    // informational C/POSIX checks: reported with their own status, exactly the known ones FAIL
    const info = results.filter((r) => r.informational && r.case.startsWith("posix/"));
    assert.ok(info.length > 0, "the posix cases ran");
    assert.deepEqual(
      [...new Set(info.filter((r) => r.status === "FAIL").map((r) => r.case))].sort(),
      [...KNOWN_INFORMATIONAL[spec]].sort(),
    );
  });
}

test("libc: jemalloc needs the static-TLS tunable in its workers", {
  skip: needs("libjemalloc2"),
}, () => {
  const a = libcFactory("libjemalloc.so.2", { abi: "shipped" });
  assert.deepEqual(a.childEnv?.("zero_size/malloc_zero_distinct_non_null"), STATIC_TLS_ENV);
  assert.equal(libcFactory("libc.so.6", { abi: "shipped" }).childEnv, undefined);
});
