import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runScript } from "../core/child.ts";

const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

// The README's main job (`deno task conformance` / `bun run conformance`, no --target): the default
// targets ref, native and the machine's CPython must all run, with zero FAIL and zero ERROR, in the
// runtime this test runs under.
test("conformance: the default run (ref, native, cpython) is conformant in this runtime", {
  timeout: 300_000,
}, () => {
  const r = runScript(CLI, ["--format", "json"], { inherit: true, timeoutMs: 0, maxBuffer: 256 << 20 });
  const lines = (r.stdout ?? "").trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  const summary = lines.pop();
  const bad = lines.filter((x) => (x.status === "FAIL" || x.status === "ERROR") && !x.informational)
    .map((x) => `${x.target} ${x.case}[${x.domain}]@${x.profile}: ${x.status} ${x.message}`);
  assert.deepEqual(bad, [], "FAIL/ERROR in the default run");
  assert.equal(r.status, 0, (r.stderr ?? "").slice(-2000));
  assert.equal(summary?.summary, true);
  for (const t of ["ref", "native", "cpython"]) {
    const pass = lines.filter((x) => x.target === t && x.status === "PASS").length;
    assert.ok(pass > 200, `target ${t}: only ${pass} PASS (is it in the default targets?)`);
  }
});
