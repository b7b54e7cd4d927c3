/**
 * Docs and code that stay true on every machine: no tracked file names a path of one machine (a home
 * folder, a developer's checkout, a pyenv install, a multiarch library folder the loader should search) or
 * a file a user of the repository or the package does not have (the team's spec notes beside the clone).
 * Things are found the way users' machines find them: PATH, sysconfig, the dynamic loader.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What no tracked file may contain (written in pieces so this file does not match itself). */
const FORBIDDEN: Array<[RegExp, string]> = [
  [new RegExp(["/r", "oot/"].join("")), "a home folder"],
  [new RegExp(["/h", "ome/[a-z_][a-z0-9_-]*"].join("")), "a home folder"],
  [new RegExp(["/w", "ork/"].join("")), "a developer's machine"],
  [new RegExp(["\\.py", "env"].join("")), "a pyenv install (find python3 on PATH, libpython with sysconfig)"],
  [
    new RegExp(["/(usr/)?li", "b(32|64)?/[a-z0-9_]+-linux-gnu/"].join("")),
    "a multiarch library folder (give the soname: the dynamic loader finds it)",
  ],
  [
    new RegExp(["shared/", "spec"].join("")),
    "the team's spec notes, which neither the repository nor the package has",
  ],
];

/**
 * Files allowed one pattern, and why. The case metadata test checks every quote against the spec texts
 * when they are beside the clone (CI lays them there) and is a skip saying so elsewhere.
 */
const ALLOWED: Record<string, RegExp> = {
  "conformance/cases/cases_test.ts": FORBIDDEN[5][0],
};

function trackedFiles(): string[] {
  const r = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split("\0").filter((f) => f && f !== "package-lock.json");
}

const git = spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT, encoding: "utf8" });
test("docs: no tracked file names a path of one machine or a file users do not have", {
  skip: git.status === 0 ? false : "not a git checkout (the tracked files are what is checked)",
}, () => {
  const hits: string[] = [];
  for (const f of trackedFiles()) {
    let text: string;
    try {
      text = readFileSync(join(ROOT, f), "utf8");
    } catch {
      continue; // deleted in the work tree
    }
    if (text.includes("\0")) continue; // binary
    const lines = text.split("\n");
    for (const [re, what] of FORBIDDEN) {
      if (ALLOWED[f] === re) continue;
      lines.forEach((l, i) => {
        if (re.test(l)) hits.push(`${f}:${i + 1}: ${what}: ${l.trim().slice(0, 120)}`);
      });
    }
  }
  assert.deepEqual(hits, []);
});
