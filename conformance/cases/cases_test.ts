import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { caseIds, loadCases } from "./mod.ts";
import { FEATURES } from "../case.ts";
import { CAPABILITIES } from "../adapter.ts";
import { PROFILES } from "../../ref/types.ts";

const root = new URL("../../", import.meta.url);
/** Where a quote may come from: the PEP text, the CPython facts, the allocator facts, the shared contract. */
const SOURCES: Record<string, string> = {
  pep: new URL("../shared/spec/pep-0445-draft-2013.txt", root).pathname,
  facts: new URL("../shared/spec/cpython-facts.md", root).pathname,
  thirdParty: new URL("../shared/spec/third-party-allocators.md", root).pathname,
  types: new URL("ref/types.ts", root).pathname,
};
const norm = (s: string) => s.replace(/\s+/g, " ").trim();
/** The stored PEP page has a "|" line between text lines; TS sources have " * " comment prefixes. */
const source = (p: string) => {
  const text = readFileSync(p, "utf8").replace(/^\|[ \t]*$/gm, "");
  return norm(p.endsWith(".ts") ? text.replace(/^\s*\* ?/gm, "") : text);
};

test("cases: every case file loads and its id matches the file", async () => {
  const cases = await loadCases();
  assert.equal(cases.length, caseIds().length);
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
});

test("cases: metadata uses the closed lists (features, needs, profiles, domains)", async () => {
  for (const c of await loadCases()) {
    assert.ok(c.description.length > 10, `${c.id}: description`);
    assert.ok(c.features.length > 0, `${c.id}: no feature`);
    for (const f of c.features) assert.ok(FEATURES.includes(f), `${c.id}: unknown feature ${f}`);
    for (const n of c.needs) assert.ok(CAPABILITIES.includes(n), `${c.id}: unknown capability ${n}`);
    assert.ok(c.profiles.length > 0, `${c.id}: no profile`);
    for (const p of c.profiles) assert.ok(PROFILES.includes(p), `${c.id}: unknown profile ${p}`);
    for (const d of c.domains) assert.ok(["RAW", "MEM", "OBJ"].includes(d), `${c.id}: unknown domain ${d}`);
    if (c.death) assert.ok(c.needs.includes("death"), `${c.id}: a death case must need "death"`);
    assert.ok(!(c.death && c.expect), `${c.id}: death and expect are exclusive`);
  }
});

const haveSpecs = Object.values(SOURCES).every((p) => existsSync(p));
test(
  "cases: every spec quote is verbatim text of the PEP, cpython-facts.md, third-party-allocators.md or ref/types.ts",
  { skip: !haveSpecs && "the spec texts (../shared/spec) are not on this machine" },
  async () => {
    const texts = Object.values(SOURCES).map(source);
    const missing: string[] = [];
    for (const c of await loadCases()) {
      const q = norm(c.spec.quote);
      assert.ok(q.length >= 15, `${c.id}: quote too short`);
      if (!texts.some((t) => t.includes(q))) missing.push(`${c.id}: ${JSON.stringify(c.spec.quote)}`);
    }
    assert.deepEqual(missing, []);
  },
);

test("cases: a case that injects failures fails every path a valid implementation may take, and says so", async () => {
  for (const c of await loadCases()) {
    const body = c.run.toString();
    const injects = /failNext|failEveryPath/.test(body);
    assert.equal(injects, c.injectsFailure !== undefined, `${c.id}: injectsFailure metadata vs its body`);
    if (!c.injectsFailure) continue;
    assert.deepEqual([...c.injectsFailure.fails].sort(), ["calloc", "malloc", "realloc"], `${c.id}: fails`);
    assert.ok(c.injectsFailure.precondition.length > 10, `${c.id}: precondition`);
    assert.doesNotMatch(body, /failNext\.\w+\s*=\s*\d/, `${c.id}: fails a single call of one op only`);
  }
});
