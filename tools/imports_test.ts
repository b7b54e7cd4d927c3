import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkImports, importsOf } from "./imports.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

test("imports: every import of the tree runs down the layers, and no file reaches itself again", () => {
  assert.deepEqual(checkImports(ROOT), []);
});

test("imports: a wrong-way import and a cycle are named with file and line; comments are not imports", () => {
  const dir = mkdtempSync(join(tmpdir(), "allocspec-imports-"));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  try {
    put("clients/launcher.ts", "export const x = 1;\n");
    put(
      "debug/cli.ts",
      '/**\n * import { y } from "../bench/main.ts";\n */\n// import "../bench/x.ts";\nimport { x } from "../clients/launcher.ts";\nexport const z = x;\n',
    );
    put("core/a.ts", 'import { b } from "./b.ts";\nexport const a = 1 + b;\n');
    put("core/b.ts", 'import type { A } from "./a.ts";\nexport const b = 2;\nexport type B = A;\n');
    put("report/page.ts", 'const m = await import("../conformance/cli.ts");\nexport { m };\n');
    put("conformance/cli.ts", "export {};\n");
    const problems = checkImports(dir);
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.ok(
      problems.includes("core/a.ts:1: import cycle: core/a.ts -> core/b.ts -> core/a.ts"),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) =>
        /^debug\/cli\.ts:5: imports clients\/launcher\.ts: debug\/ must not import clients\//.test(p)
      ),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((p) =>
        /^report\/page\.ts:1: imports conformance\/cli\.ts: report\/ must not import conformance\//.test(p)
      ),
      problems.join("\n"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("imports: the scanner sees static, re-export, side-effect, type and dynamic imports", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'export { c } from "./c.ts";',
    'import "./d.ts";',
    'const e = await import("./e.ts");',
    'const s = "import { f } from \\"./f.ts\\"";',
    "/* import { g } from './g.ts'; */",
    'import { h } from "node:fs";',
  ].join("\n");
  assert.deepEqual(importsOf(text).map((i) => `${i.line}:${i.spec}`), [
    "1:./a.ts",
    "2:../b.ts",
    "3:./c.ts",
    "4:./d.ts",
    "5:./e.ts",
  ]);
});
