import { test } from "node:test";
import assert from "node:assert/strict";
import type { Adapter } from "./adapter.ts";
import { loadCase } from "./cases/mod.ts";
import { dispose, expand, runKey } from "./plan.ts";

const fake = (o: Partial<Adapter> = {}): Adapter => ({
  label: "fake",
  capabilities: new Set(["api-shipped", "debug-hooks", "death"]),
  profiles: ["cpython"],
  open: () => {
    throw new Error("not used");
  },
  ...o,
});

test("plan: a case fans out over domains x variants x selected profiles", async () => {
  const c = await loadCase("debug_pads/trailing_pad_overflow_detected");
  assert.equal(expand([c], { profiles: ["cpython", "pep445-2013"] }).length, 3 * 8 * 2);
  assert.equal(expand([c], { profiles: ["cpython"] }).length, 24);
  assert.equal(expand([c], { profiles: ["cpython"], filter: /^zero_size\// }).length, 0);
  const d = await loadCase("unknown_domain/get_unknown_domain_all_null");
  const runs = expand([d], { profiles: ["pep445-2013"] });
  assert.deepEqual(runs, [{ caseId: d.id, domain: "-", profile: "pep445-2013" }]);
  assert.equal(
    runKey({ caseId: "a/b", domain: "MEM", variant: "tail+1", profile: "cpython" }),
    "a/b[MEM/tail+1]@cpython",
  );
  assert.equal(runKey(runs[0]), "unknown_domain/get_unknown_domain_all_null@pep445-2013");
});

test("plan: UNSUPPORTED for a missing profile or capability, SKIP for a known gap", async () => {
  const c = await loadCase("get_set/get_returns_what_set_stored_2013_api");
  const r = { caseId: c.id, domain: "RAW" as const, profile: "pep445-2013" as const };
  assert.deepEqual(dispose(fake(), c, r), {
    kind: "skip",
    status: "UNSUPPORTED",
    reason: "fake does not implement profile pep445-2013",
  });
  const r2 = { ...r, profile: "cpython" as const };
  assert.deepEqual(dispose(fake(), c, r2), {
    kind: "skip",
    status: "UNSUPPORTED",
    reason: "fake lacks capability api-2013",
  });
  const gapped = fake({ capabilities: new Set(["api-2013"]), gaps: { [c.id]: "known gap" } });
  assert.deepEqual(dispose(gapped, c, r2), { kind: "skip", status: "SKIP", reason: "known gap" });
});

test("plan: violation cases run in-process where the target can throw, as death children where it can only abort", async () => {
  const c = await loadCase("debug_pads/leading_pad_underflow_detected");
  const r = { caseId: c.id, domain: "MEM" as const, variant: "p-1", profile: "cpython" as const };
  assert.deepEqual(dispose(fake(), c, r), { kind: "in-process" });
  assert.deepEqual(dispose(fake({ violationModes: ["abort"] }), c, r), { kind: "death" });
  const noDeath = fake({ violationModes: ["abort"], capabilities: new Set(["debug-hooks"]) });
  assert.equal(dispose(noDeath, c, r).kind, "skip");
  const d = await loadCase("abort/overflow_aborts_with_test_mem_text");
  assert.deepEqual(dispose(fake(), d, { caseId: d.id, domain: "-", profile: "cpython" }), { kind: "death" });
  assert.equal(
    dispose(fake({ violationModes: ["throw"] }), d, { caseId: d.id, domain: "-", profile: "cpython" }).kind,
    "skip",
  );
});
