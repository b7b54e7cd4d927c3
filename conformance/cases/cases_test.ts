import { test } from "node:test";
import assert from "node:assert/strict";
import { caseIds, loadCases } from "./mod.ts";
import { FEATURES } from "../case.ts";
import { CAPABILITIES } from "../adapter.ts";
import { PROFILES } from "../../ref/types.ts";
import { citationTarget, citedFile, SPEC_SOURCES, specText } from "../../spec/mod.ts";

const norm = (s: string) => s.replace(/\s+/g, " ").trim();
/** TS sources have " * " comment prefixes. */
const source = (file: string) => {
  const text = specText(file);
  return norm(file.endsWith(".ts") ? text.replace(/^\s*\* ?/gm, "") : text);
};

test("cases: every case file loads and its id matches the file", async () => {
  const cases = await loadCases();
  assert.equal(cases.length, caseIds().length);
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length);
});

test("cases: a filter imports exactly the cases it selects, in the same order", async () => {
  const all = await loadCases();
  for (const re of [/^zero_size\//, /^(abort|debug_pads)\/|_null$/, /^no such case$/]) {
    assert.deepEqual(
      (await loadCases(re)).map((c) => c.id),
      all.filter((c) => re.test(c.id)).map((c) => c.id),
      String(re),
    );
  }
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

test("cases: every spec quote is verbatim text of the source its section names, shipped in spec/ or ref/", async () => {
  const missing: string[] = [];
  for (const c of await loadCases()) {
    const q = norm(c.spec.quote);
    assert.ok(q.length >= 15, `${c.id}: quote too short`);
    const file = citedFile(c.spec.section);
    if (!file) {
      missing.push(`${c.id}: section ${JSON.stringify(c.spec.section)} names no shipped source`);
      continue;
    }
    if (!source(file).includes(q)) missing.push(`${c.id}: not in ${file}: ${JSON.stringify(c.spec.quote)}`);
    else if (!citationTarget(c.spec.section, c.spec.quote)) {
      missing.push(`${c.id}: no part of ${file} holds it`);
    }
  }
  assert.deepEqual(missing, []);
});

test("cases: every cited source is in the package (package.json files)", async () => {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  const cited = new Set((await loadCases()).map((c) => citedFile(c.spec.section)));
  for (const s of SPEC_SOURCES) {
    if (!cited.has(s.file)) continue;
    const dir = s.file.split("/")[0] + "/";
    assert.ok(pkg.files.includes(dir), `${dir} (for ${s.file}) is not in package.json files`);
    assert.ok(!pkg.files.includes(`!${s.file}`), `${s.file} is excluded from the package`);
  }
});

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
