/**
 * The rerun commands work: a conformance run on broken targets (a C fixture whose malloc(0) returns NULL,
 * given by a path relative to the directory the command runs in, and a mutant whose debug hooks miss
 * trailing-pad overflows: runs with variants and runs without a domain) prints a rerun command for each
 * FAIL; the test runs printed commands as a user would (`sh -c`, from the same directory) and checks
 * that each reruns exactly that run, with the same status and message. Under Deno the commands are
 * `npx deno task conformance ...`, under Bun `npx bun run conformance ...`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { runProgram, runScript } from "../../core/child.ts";
import { buildFixtures } from "../fixtures/c/build.ts";
import { maskMessage } from "../../report/causes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const runtime = (globalThis as any).Bun ? "bun" : "deno";

interface Line {
  case?: string;
  domain?: string;
  variant?: string;
  profile?: string;
  status?: string;
  message?: string;
  rerun?: string;
  alone?: string;
}
const parse = (out: string): Line[] => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

test(`rerun: each printed command reruns exactly its run with the same verdict (${runtime})`, {
  timeout: 600_000,
}, () => {
  const lib = relative(ROOT, buildFixtures({ names: ["malloc0_null"], quiet: true }).malloc0_null);
  // as a user in a clone runs it: their environment, not the installed launcher's entry point
  const user = { cwd: ROOT, inherit: true, env: { ALLOCSPEC_COMMAND: "" }, timeoutMs: 0 };
  const first = runScript(
    CLI,
    [
      "--target",
      `vtable:${lib}`,
      "--target",
      "mutant:no_tail_check",
      "--filter",
      "^(zero_size/malloc_zero|debug_pads/trailing_pad_overflow_detected$|abort/overflow_aborts)",
      "--format",
      "json",
    ],
    user,
  );
  assert.equal(first.status, 1, first.stderr.slice(-2000));
  const lines = parse(first.stdout);
  const bad = lines.filter((l) => l.status === "FAIL" || l.status === "ERROR");
  assert.ok(bad.length >= 5, `failures: ${bad.length}`);
  for (const b of bad) {
    assert.ok(b.rerun, `a rerun for ${b.case}`);
    assert.ok(
      b.rerun!.startsWith(runtime === "bun" ? "npx bun run conformance " : "npx deno task conformance "),
    );
  }
  assert.equal(lines.filter((l) => l.status === "PASS" && l.rerun).length, 0, "no rerun for a PASS");
  // one of each shape: the fixture by relative path, a run with a variant, a run without a domain
  // (FAILs that reproduce alone: an ERROR from a timeout on an overloaded machine, or a FAIL labelled
  // "only after earlier cases", is not what a rerun of one run can show)
  const alone = bad.filter((b) => b.status === "FAIL" && (!b.alone || b.alone === "reproduces alone"));
  const picks = [
    alone.find((b) => b.rerun!.includes(`vtable:${lib}`) && b.domain !== "-"),
    alone.find((b) => b.variant !== undefined && b.rerun!.includes("mutant:no_tail_check")),
    alone.find((b) => b.domain === "-"),
  ];
  for (const [i, p] of picks.entries()) assert.ok(p, `no failure of shape ${i}: ${bad.map((b) => b.rerun)}`);
  for (const p of picks as Line[]) {
    // exactly as printed: the default (table) format
    const again = runProgram("sh", ["-c", p.rerun!], user);
    assert.equal(
      again.status,
      1,
      `${p.rerun}: exit ${again.status}: ${again.stderr.slice(-1500)}\nthe run in the suite: ${
        JSON.stringify(p)
      }`,
    );
    const out = again.stdout;
    const target = p.rerun!.match(/--target (\S+)/)![1];
    assert.match(
      out,
      new RegExp(`^1 runs in [\\d.]+ s: NOT conformant: ${escape(target)}: 1 ${p.status} in 1 cause$`, "m"),
      `${p.rerun}:\n${out}`,
    );
    const cause = out.match(/^ {2}\[c1\] (\S+): (FAIL|ERROR) x1: (.*)$/m);
    assert.ok(cause, out);
    assert.deepEqual([cause[1], cause[2], maskMessage(cause[3])], [
      target,
      p.status,
      maskMessage(p.message!),
    ]);
    assert.match(out, new RegExp(`^ {6}${escape(p.case!)}$`, "m"));
    const reruns = [...out.matchAll(/rerun: (.*)$/gm)].map((m) => m[1]);
    assert.deepEqual(reruns, [p.rerun], "the rerun of the rerun is the same command");
  }
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
