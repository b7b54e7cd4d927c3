import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCases } from "./cases/mod.ts";
import { resultsOn } from "./teeth.ts";
import { TEETH, VALID } from "./teeth_table.ts";
import { REF_CAPABILITIES, REF_GAPS } from "./adapters/ref.ts";
import { MUTANTS } from "./fixtures/ts/mod.ts";

const cases = await loadCases();
const byId = new Map(cases.map((c) => [c.id, c]));

/** Cases no TS fixture can kill, and why (they are reported, not silently dropped). */
function exemptions(): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of cases) {
    if (c.informational) out.set(c.id, "informational (never fails a run)");
    else if (REF_GAPS[c.id]) out.set(c.id, `known ref gap: ${REF_GAPS[c.id]}`);
    else {
      const missing = c.needs.filter((n) => !REF_CAPABILITIES.has(n));
      if (missing.length) {
        out.set(
          c.id,
          `needs ${missing.join(", ")}: killed by the C ${
            missing.includes("hook")
              ? "fixture hooks instead (conformance/fixtures/c/hooks/hooks_test.ts)"
              : "vtable fixtures instead (conformance/fixtures/c/fixtures_test.ts)"
          }`,
        );
      }
    }
  }
  return out;
}

test("teeth: the table names existing cases and targets", () => {
  for (const row of TEETH) {
    assert.ok(row.kills.length > 0, `${row.target}: empty kills`);
    for (const id of row.kills) assert.ok(byId.has(id), `${row.target}: unknown case ${id}`);
    if (row.target.startsWith("mutant:")) {
      assert.ok(MUTANTS.has(row.target.slice(7)), `unknown mutant ${row.target}`);
    }
  }
  for (const [name, m] of MUTANTS) {
    if (m.valid) {
      assert.ok(VALID.some((r) => r.target === `mutant:${name}`), `valid mutant ${name} has no row in VALID`);
      assert.ok(!TEETH.some((r) => r.target === `mutant:${name}`), `valid mutant ${name} must kill nothing`);
    } else if (!m.infrastructure) {
      assert.ok(
        TEETH.some((r) => r.target === `mutant:${name}`),
        `mutant ${name} has no row in teeth_table.ts`,
      );
    }
  }
});

test("teeth: every normative case is killed by at least one fixture", () => {
  const killed = new Set(TEETH.flatMap((r) => r.kills));
  const exempt = exemptions();
  const unkilled = cases.filter((c) => !killed.has(c.id) && !exempt.has(c.id)).map((c) => c.id);
  assert.deepEqual(unkilled, [], "cases no fixture kills (add a mutant or a row)");
  // exempt cases that some C fixture row does kill are fine; the rest are listed here for the record
  for (const [id, why] of exempt) {
    if (!killed.has(id)) console.log(`teeth: not killed by any fixture: ${id} (${why})`);
  }
});

test("teeth: ref passes every case (zero FAIL, zero ERROR)", { timeout: 120000 }, async () => {
  const rs = await resultsOn("ref", cases);
  const bad = rs.filter((r) => (r.status === "FAIL" || r.status === "ERROR") && !r.informational);
  assert.deepEqual(
    bad.map((r) => `${r.case}[${r.domain}${r.variant ? "/" + r.variant : ""}]@${r.profile}: ${r.message}`),
    [],
  );
  assert.ok(rs.filter((r) => r.status === "PASS").length > 300);
});

for (const row of TEETH) {
  test(`teeth: ${row.target} is caught by ${row.kills.length} case(s)`, { timeout: 120000 }, async () => {
    await row.setup?.();
    const subset = row.kills.map((id) => byId.get(id)!);
    const rs = await resultsOn(row.target, subset);
    const failed = new Set(rs.filter((r) => r.status === "FAIL").map((r) => r.case));
    const errors = rs.filter((r) => r.status === "ERROR").map((r) => `${r.case}: ${r.message}`);
    assert.deepEqual(errors, [], "runs that ERRORed instead of failing");
    assert.deepEqual(
      row.kills.filter((id) => !failed.has(id)),
      [],
      `cases that did not FAIL on ${row.target}`,
    );
  });
}

for (const row of VALID) {
  test(`teeth: valid ${row.target} gives no false FAIL`, { timeout: 120000 }, async () => {
    const rs = await resultsOn(row.target, cases);
    const bad = rs.filter((r) => (r.status === "FAIL" || r.status === "ERROR") && !r.informational);
    assert.deepEqual(bad.map((r) => `${r.case}[${r.domain}]@${r.profile}: ${r.message}`), [], row.why);
    for (const id of row.passes) {
      assert.ok(rs.some((r) => r.case === id && r.status === "PASS"), `${id} did not PASS on ${row.target}`);
    }
  });
}
