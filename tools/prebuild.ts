/**
 * The shared builds, once, before the test suites run side by side (tools/run_tests.ts): every variant of
 * liballocspec.so and the launcher, the debug/ layers, the C fixtures (vtable, hostile, hooks), the debug
 * fixture module, the library probe program and the libs harnesses whose -dev packages are installed. Each builder rebuilds only what
 * is stale and writes atomically, so the suites would also be right without this step; with it they do
 * not compile the same file at the same time. A build that fails is reported here and again, with its
 * reason, by the tests that need it.
 *
 * @example
 * ```sh
 * npx deno run -A tools/prebuild.ts                # everything, in order
 * npx deno run -A tools/prebuild.ts --shard 1/2    # half of it (tools/run_tests.ts starts one per job)
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { buildNative } from "../native/build.ts";
import { VARIANTS } from "../core/cbuild.ts";
import { buildLauncher } from "../targets/launcher.ts";
import { buildProbeProgram } from "../targets/probe.ts";
import { buildLayer, LAYERS } from "../debug/layers.ts";
import { buildFixtures, buildHostileFixtures } from "../conformance/fixtures/c/build.ts";
import { buildHooks } from "../conformance/fixtures/c/hooks/build.ts";
import { buildFixtures as buildDebugFixtures } from "../debug/fixtures/build.ts";
import { buildHarness, HARNESSES } from "../clients/libs/build.ts";
import { missing, type PackageName } from "../core/optional.ts";

/** The builds, in groups that depend on nothing outside the group (a launcher links its variant's library). */
const groups: Array<Array<[string, () => unknown]>> = [
  ...VARIANTS.map((v): Array<[string, () => unknown]> => [
    [`native ${v}`, () => buildNative({ variant: v })],
    [`launcher ${v}`, () => buildLauncher({ variant: v })],
  ]),
  ...Object.keys(LAYERS).map((l): Array<[string, () => unknown]> => [[`layer ${l}`, () => buildLayer(l)]]),
  [["C fixtures", () => buildFixtures({ quiet: true })]],
  [["hostile fixtures", () => buildHostileFixtures()]],
  [["hook fixtures", () => buildHooks({ quiet: true })]],
  [["debug fixture module", () => buildDebugFixtures()]],
  [["allocspec-probe", () => buildProbeProgram()]],
  ...Object.entries(HARNESSES).filter(([, h]) => missing(h.debian as PackageName).length === 0).map((
    [lib],
  ): Array<[string, () => unknown]> => [[`libs harness ${lib}`, () => buildHarness(lib)]]),
];

// `--shard K/N`: the groups K, K+N, K+2N... (1-based), so N processes build side by side
const { values } = parseArgs({ args: process.argv.slice(2), options: { shard: { type: "string" } } });
const m = (values.shard ?? "1/1").match(/^(\d+)\/(\d+)$/);
if (!m || +m[1] < 1 || +m[1] > +m[2]) {
  console.error(`prebuild: --shard '${values.shard}': use K/N with 1 <= K <= N`);
  process.exit(2);
}
const steps = groups.filter((_, i) => i % +m[2] === +m[1] - 1).flat();
let failed = 0;
const t0 = performance.now();
for (const [name, build] of steps) {
  try {
    build();
  } catch (e) {
    failed++;
    console.error(`prebuild: ${name}: ${(e as Error).message.split("\n")[0]}`);
  }
}
console.log(
  `prebuild ${m[1]}/${m[2]}: ${steps.length - failed} of ${steps.length} builds up to date in ${
    ((performance.now() - t0) / 1000).toFixed(1)
  } s`,
);
process.exit(0);
