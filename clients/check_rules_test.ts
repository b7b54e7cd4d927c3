/**
 * The checking layer's rule list, which C and TypeScript share (debug/check/rules.h): every id is an existing conformance case (so a violation
 * links to its case, spec section and quote), ids and names are unique, and the C side compiled from the
 * same X-macro gives the same ids in the same order (a tiny C program prints as_check_rule_id(i)).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { caseIds } from "../conformance/cases/mod.ts";
import { compileProgram, findCompiler } from "../core/cbuild.ts";
import { CHECK_RULES, parseRulesHeader, ruleById } from "../debug/check/rules.ts";

const CHECK_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "debug", "check");

test("every rule id is an existing conformance case; ids and names are unique", () => {
  const cases = new Set(caseIds());
  assert.ok(CHECK_RULES.length >= 30, `${CHECK_RULES.length} rules parsed`);
  for (const r of CHECK_RULES) assert.ok(cases.has(r.id), `${r.name}: no conformance case ${r.id}`);
  assert.equal(new Set(CHECK_RULES.map((r) => r.id)).size, CHECK_RULES.length);
  assert.equal(new Set(CHECK_RULES.map((r) => r.name)).size, CHECK_RULES.length);
  assert.equal(ruleById("calloc/calloc_zeroes_recycled_memory")?.name, "CALLOC_DIRTY");
  assert.ok(CHECK_RULES.every((r) => r.what.length > 10 && !r.what.includes('"')));
});

test("parseRulesHeader: continuation lines and multi-part strings", () => {
  const h = '#define AS_CHECK_RULES(X) \\\n  X(A, "g/a", "one " \\\n    "two") \\\n  X(B, "g/b", "three")\n';
  assert.deepEqual(parseRulesHeader(h), [
    { name: "A", id: "g/a", what: "one two" },
    { name: "B", id: "g/b", what: "three" },
  ]);
  assert.throws(() => parseRulesHeader("nothing"), /AS_CHECK_RULES/);
});

let skip: string | undefined;
try {
  findCompiler();
} catch (e) {
  skip = (e as Error).message;
}

test("C compiles the same list: as_check_rule_id(i) is CHECK_RULES[i].id for every i", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-rules-"));
  try {
    const src = join(dir, "ids.c");
    writeFileSync(
      src,
      '#include <stdio.h>\n#include "check.h"\nint main(void) {\n' +
        '  for (int i = 0; i < AS_CHECK_NRULES; i++) printf("%s\\n", as_check_rule_id(i));\n' +
        '  printf("%d\\n", AS_CHECK_NRULES);\n  return as_check_rule_id(AS_CHECK_NRULES) != NULL;\n}\n',
    );
    const exe = join(dir, "ids");
    compileProgram({
      sources: [
        src,
        ...["config", "blocks", "contents", "layer", "report"].map((f) => join(CHECK_DIR, `${f}.c`)),
        join(CHECK_DIR, "..", "common", "pyframe.c"),
      ],
      output: exe,
      flags: [`-I${CHECK_DIR}`, "-ldl"],
    });
    const r = spawnSync(exe, [], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(Number(lines.pop()), CHECK_RULES.length);
    assert.deepEqual(lines, CHECK_RULES.map((x) => x.id));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
