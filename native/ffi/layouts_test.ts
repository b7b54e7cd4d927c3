import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { C_LAYOUTS, C_TRACE, POINTER_SIZE } from "./layouts.ts";
import { compileProgram, findCompiler } from "../../core/cbuild.ts";

const CC = (() => {
  try {
    return findCompiler();
  } catch {
    return null;
  }
})();

/** A C program printing, as JSON, what the compiler makes of every struct in C_LAYOUTS (allocspec.h). */
function probeSource(): string {
  const lines = Object.entries(C_LAYOUTS).map(([name, l]) => {
    const fields = Object.keys(l.fields)
      .map((f) =>
        `printf("\\"${f}\\": %zu%s", offsetof(${name}, ${f}), "${
          f === Object.keys(l.fields).at(-1) ? "" : ", "
        }");`
      )
      .join("\n  ");
    return `printf("\\"${name}\\": {\\"size\\": %zu, \\"fields\\": {", sizeof(${name}));\n  ${fields}\n  printf("}}, ");`;
  });
  return `#include <stdio.h>
#include <stddef.h>
#include "allocspec.h"
int main(void) {
  printf("{");
  ${lines.join("\n  ")}
  printf("\\"pointer\\": %zu, \\"magic\\": \\"%s\\", \\"version\\": %u, \\"noSlot\\": %u}\\n", sizeof(void *),
         ALLOCSPEC_TRACE_MAGIC, ALLOCSPEC_TRACE_VERSION, ALLOCSPEC_TRACE_NO_SLOT);
  return 0;
}
`;
}

test(
  "layouts: every struct TS reads or writes through FFI has the size and offsets allocspec.h gives it",
  { skip: CC ? false : "no C compiler (install gcc or clang, or set CC)" },
  () => {
    const dir = mkdtempSync(join(tmpdir(), "allocspec-layouts-"));
    try {
      const c = join(dir, "probe.c"), exe = join(dir, "probe");
      writeFileSync(c, probeSource());
      try {
        compileProgram({ cc: CC!, sources: [c], output: exe });
      } catch (e) {
        assert.fail(
          `the probe does not compile (a _Static_assert in allocspec.h?):\n${(e as Error).message}`,
        );
      }
      const r = spawnSync(exe, [], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const got = JSON.parse(r.stdout);
      assert.equal(got.pointer, POINTER_SIZE, "the FFI side assumes 8-byte pointers");
      for (const [name, l] of Object.entries(C_LAYOUTS)) {
        assert.deepEqual(got[name], { size: l.size, fields: { ...l.fields } }, `${name}: C and TS disagree`);
      }
      assert.deepEqual({ magic: got.magic, version: got.version, noSlot: got.noSlot }, { ...C_TRACE });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("layouts: fields are in order, inside the struct, and pointer fields are pointer-aligned", () => {
  for (const [name, l] of Object.entries(C_LAYOUTS)) {
    const offs = Object.values(l.fields) as number[];
    for (let i = 1; i < offs.length; i++) {
      assert.ok(offs[i] > offs[i - 1], `${name}: field ${i} out of order`);
    }
    assert.ok(offs.every((o) => o < l.size), `${name}: a field beyond sizeof`);
  }
  for (const name of ["PyMemAllocatorEx", "allocspec_entry_table"] as const) {
    const l = C_LAYOUTS[name];
    assert.ok(Object.values(l.fields).every((o) => o % POINTER_SIZE === 0), `${name}: a misaligned pointer`);
    assert.equal(l.size % POINTER_SIZE, 0);
  }
});
