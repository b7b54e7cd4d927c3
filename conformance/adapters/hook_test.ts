import assert from "node:assert/strict";
import { test } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { runScript } from "../../core/child.ts";
import { buildHooks } from "../fixtures/c/hooks/build.ts";
import { findLibpython } from "../../core/python.ts";
import { findScalene, SCALENE_FINDINGS, withScaleneTmpCleanup } from "./hook_scalene.ts";
import { prepareSuite, runSuite } from "../suite.ts";
import type { Result } from "../execute.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
let libs: Record<string, string> = {};
let noCc: string | false = false;
try {
  libs = buildHooks({ quiet: true });
} catch (e) {
  noCc = `the C fixture hooks cannot be built: ${(e as Error).message.split("\n")[0]}`;
}
let libpython: string | undefined;
try {
  libpython = findLibpython().path;
} catch { /* tests needing it are skipped with the reason */ }
const noPython = libpython ? false : "no shared libpython (python3 without --enable-shared)";

const notElf = join(tmpdir(), `allocspec-not-a-library-${process.pid}.so`);
writeFileSync(notElf, "not an ELF file\n");

/** target -> what the one usage line must say */
const REFUSED: Array<[string, RegExp]> = [
  ["hook:./no/such/libhook.so", /^conformance: hook target: library \.\/no\/such\/libhook\.so not found$/],
  [
    `hook:${libs.good}@pypy`,
    /^conformance: hook target: unknown base '@pypy': use @native \(default\) or @cpython$/,
  ],
  [
    `hook:${notElf}`,
    /^conformance: hook:.*: cannot be installed: cannot load .*(invalid ELF header|file too short)/,
  ],
  [
    `hook:${libs.raw_takes_gil}`,
    /^conformance: hook:.*: cannot be installed: cannot load .*undefined symbol: PyGILState_(Ensure|Release)/,
  ],
  [
    `hook:${libs.install_fails}`,
    /^conformance: hook:.*: cannot be installed: pep445_hook_install\(\) of .* returned -1 \(0 = success\)$/,
  ],
  [
    `hook:${libs.inert}@native`,
    /^conformance: hook:.*: cannot be installed: .* changed no domain's allocator after installing/,
  ],
  ["tracemalloc:0", /^conformance: tracemalloc target: frames must be an integer 1\.\.65535, got '0'$/],
];

for (const [target, line] of REFUSED) {
  test(`hook target: '${target.replace(/.*\//, "")}' is refused: one line, exit 2, nothing run`, {
    skip: target.includes("undefined") ? noCc : false,
  }, () => {
    const r = runScript(CLI, ["--target", target]);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], line);
    assert.equal(r.stdout.trim(), "", "nothing ran");
  });
}

async function run(target: string, filter?: RegExp): Promise<Result[]> {
  const prep = await prepareSuite({ targets: [target], abi: "shipped", profiles: ["cpython"], filter });
  return (await runSuite(prep, { jobs: 2, timeoutMs: 30_000 })).results;
}

test(
  "hook target: the hook needing the GIL API installs over cpython, and its RAW hook is seen taking the GIL",
  {
    skip: noCc || noPython,
    timeout: 120_000,
  },
  async () => {
    const rs = await run(`hook:${libs.raw_takes_gil}@cpython`, /^hook_info\/raw_hook/);
    assert.deepEqual(rs.map((r) => [r.case, r.status, r.informational]), [[
      "hook_info/raw_hook_does_not_take_gil",
      "FAIL",
      true,
    ]]);
    assert.match(rs[0].message, /the RAW hook took the GIL/);
  },
);

test(
  "tracemalloc over cpython: no FAIL, no ERROR; informational: free(NULL) swallowed, RAW hook takes the GIL",
  {
    skip: noPython,
    timeout: 300_000,
  },
  async () => {
    // the whole suite is `npx deno task conformance --target tracemalloc` (README: 0 FAIL); here the hook
    // groups and the transparency groups, in seconds
    const rs = await run(
      "tracemalloc",
      /^(hook_|zero_size|calloc|realloc|alignment|free_null|no_overlap|size_checks)/,
    );
    const bad = rs.filter((r) => (r.status === "FAIL" || r.status === "ERROR") && !r.informational);
    assert.deepEqual(bad.map((r) => `${r.case}[${r.domain}]: ${r.message}`), []);
    assert.ok(rs.filter((r) => r.status === "PASS").length > 60);
    const info = [...new Set(rs.filter((r) => r.informational && r.status === "FAIL").map((r) => r.case))]
      .sort();
    // informational findings: tracemalloc swallows free(NULL), its RAW hook takes the GIL, and its calloc
    // called directly passes an overflowing product on to pymalloc, which trusts the entry point's check
    assert.deepEqual(info, [
      "hook_info/free_null_reaches_below",
      "hook_info/raw_hook_does_not_take_gil",
      "size_checks/allocator_calloc_overflow_called_directly",
    ]);
  },
);

const scalene = findScalene();
test("Scalene's hook over cpython: what the suite finds (hook_scalene.ts SCALENE_FINDINGS)", {
  skip: !scalene ? "python3-scalene is not installed (apt-get install python3-scalene)" : noPython,
  timeout: 300_000,
}, async () => {
  const rs = await withScaleneTmpCleanup(() =>
    run(`hook:${scalene}@cpython`, /^hook_(failure|size|forward|info)\//)
  );
  const got: Record<string, string> = {};
  for (const r of rs) {
    if ((r.status === "FAIL" || r.status === "ERROR") && !r.informational) got[r.case] = r.status;
  }
  const want = Object.fromEntries(Object.entries(SCALENE_FINDINGS).map(([k, [s]]) => [k, s]));
  assert.deepEqual(got, want);
  // the hooked domains are MEM and OBJ: every finding is there, RAW passes
  assert.ok(rs.filter((r) => r.domain === "RAW").every((r) => r.status === "PASS"));
});
