import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runScript } from "../core/child.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runScript(CLI, args, { inherit: true, timeoutMs: 0 });
}

test(
  "cli: the whole suite on ref, json: zero FAIL/ERROR, every line well-formed",
  { timeout: 180000 },
  () => {
    const r = cli(["--target", "ref", "--format", "json"]);
    assert.equal(r.status, 0, r.stderr + r.stdout.slice(-2000));
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const summary = lines.pop();
    assert.equal(summary.summary, true);
    assert.equal(summary.exit, 0);
    assert.equal(summary.total, lines.length);
    assert.equal(summary.counts.FAIL, 0);
    assert.equal(summary.counts.ERROR, 0);
    assert.ok(summary.counts.PASS > 300, `only ${summary.counts.PASS} PASS`);
    for (const x of lines) {
      assert.equal(x.target, "ref");
      assert.match(x.case, /^[a-z_0-9]+\/[a-z_0-9]+$/);
      assert.ok(["RAW", "MEM", "OBJ", "-"].includes(x.domain), x.domain);
      assert.ok(["cpython", "pep445-2013"].includes(x.profile));
      assert.ok(["PASS", "SKIP", "UNSUPPORTED"].includes(x.status), `${x.case}: ${x.status} ${x.message}`);
      assert.equal(typeof x.message, "string");
      assert.equal(typeof x.spec.section, "string");
      assert.ok(x.spec.quote.length > 10);
    }
    const cases = new Set(lines.map((x) => x.case));
    assert.ok(cases.size >= 60);
  },
);

test("cli: tap format", { timeout: 60000 }, () => {
  const r = cli(["--target", "ref", "--filter", "^zero_size/", "--format", "tap"]);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split("\n");
  assert.equal(out[0], "TAP version 13");
  const plan = out.find((l) => /^1\.\.\d+$/.test(l))!;
  const n = Number(plan.slice(3));
  assert.equal(out.filter((l) => /^(not )?ok \d+ - /.test(l)).length, n);
  assert.ok(n >= 10);
  assert.ok(
    out.some((l) => /^ok 1 - ref zero_size\/\w+\[RAW\]@cpython$/.test(l)),
    out.slice(0, 3).join("\n"),
  );
});

test("cli: junit format", { timeout: 60000 }, () => {
  const r = cli(["--target", "ref", "--filter", "^free_null/", "--format", "junit"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="allocspec conformance" tests="12" failures="0" errors="0" skipped="0"/,
  );
  assert.equal(r.stdout.match(/<testcase /g)?.length, 12);
  assert.equal(r.stdout.match(/<testsuite /g)?.length, 1);
  assert.match(r.stdout, /<\/testsuites>\n$/);
});

test("cli: markdown format (feature x target matrix)", { timeout: 60000 }, () => {
  const r = cli([
    "--target",
    "ref",
    "--target",
    "mutant:free_null_filtered",
    "--filter",
    "^free_null/",
    "--format",
    "markdown",
  ]);
  assert.equal(r.status, 1, "a mutant FAIL makes the exit code 1");
  assert.match(r.stdout, /\| feature \| ref \| mutant:free_null_filtered \|/);
  assert.match(r.stdout, /\| free-null \| 12\/12 \| 6\/12 \(6 failing\) \|/);
  assert.match(r.stdout, /## Failures/);
});

test("cli: table format shows progress, counts and the verdict", { timeout: 60000 }, () => {
  const r = cli(["--target", "ref", "--filter", "^realloc/", "--profile", "cpython"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /progress: \d+\/\d+ runs/, "progress goes to stderr");
  assert.doesNotMatch(r.stdout, /progress:/, "stdout carries only results");
  assert.match(r.stdout, /target\s+PASS\s+FAIL\s+ERROR\s+SKIP\s+UNSUPPORTED\s+informational/);
  assert.match(r.stdout, /conformant \(no FAIL, no ERROR\)/);
  assert.doesNotMatch(r.stdout, /pep445-2013/);
});

test("cli: a FAIL gives exit 1 and names the case, expected and actual", { timeout: 60000 }, () => {
  const r = cli(["--target", "mutant:malloc_zero_null", "--filter", "^zero_size/malloc_zero"]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /FAIL mutant:malloc_zero_null zero_size\/malloc_zero_distinct_non_null\[RAW\]@cpython: first malloc\(0\) returned NULL, expected a non-NULL pointer/,
    "failures are reported on stderr as they happen",
  );
  assert.match(
    r.stdout,
    /FAIL mutant:malloc_zero_null zero_size\/malloc_zero_distinct_non_null\[RAW\]@cpython\n\s+first malloc\(0\) returned NULL, expected a non-NULL pointer/,
  );
  assert.match(r.stdout, /NOT conformant/);
  assert.match(
    r.stdout,
    /FAIL mutant:malloc_zero_null zero_size\/malloc_zero_distinct_non_null\[RAW\]@cpython\n.*first malloc\(0\) returned NULL/,
  );
});

for (
  const [what, args, pattern] of [
    ["unknown target kind", ["--target", "bogus"], /unknown target kind 'bogus'/],
    ["unknown mutant", ["--target", "mutant:nope"], /unknown mutant 'nope'/],
    ["bad regular expression", ["--filter", "("], /bad --filter regular expression/],
    ["unknown format", ["--format", "xml"], /unknown format 'xml'/],
    ["unknown profile", ["--profile", "py2"], /unknown profile 'py2'/],
    ["bad --jobs", ["--jobs", "0"], /--jobs must be an integer/],
    ["unknown option", ["--frobnicate"], /frobnicate/],
    [
      "missing library",
      ["--target", "vtable:/nonexistent/libmine.so"],
      /library \/nonexistent\/libmine\.so not found/,
    ],
    [
      "missing symbol",
      ["--target", "vtable:/lib/x86_64-linux-gnu/libc.so.6"],
      /does not export pep445_allocator/,
    ],
    [
      "filter matching nothing",
      ["--target", "ref", "--filter", "^no_such_case$"],
      /no case matches --filter/,
    ],
  ] as const
) {
  test(`cli: usage error (${what}) exits 2 with one line and runs nothing`, { timeout: 60000 }, () => {
    const r = cli([...args]);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n").filter((l) => l.trim() && !/^npm warn/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], pattern);
  });
}

test("cli: --list prints the cases without running", { timeout: 60000 }, () => {
  const r = cli(["--list", "--filter", "^debug_pads/"]);
  assert.equal(r.status, 0);
  const lines = r.stdout.trim().split("\n");
  assert.ok(lines.length >= 4);
  for (const l of lines) assert.match(l, /^debug_pads\/\w+ {2}\[/);
});
