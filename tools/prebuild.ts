/**
 * The shared builds, once, before the test suites run side by side (tools/run_tests.ts): every variant of
 * liballocspec.so and the launcher, the debug/ layers, the C fixtures (vtable, hostile, hooks), the debug
 * fixture module and the libs harnesses whose -dev packages are installed. Each builder rebuilds only what
 * is stale and writes atomically, so the suites would also be right without this step; with it they do
 * not compile the same file at the same time. A build that fails is reported here and again, with its
 * reason, by the tests that need it.
 *
 * @example
 * ```sh
 * npx deno run -A tools/prebuild.ts
 * ```
 * @module
 */
import process from "node:process";
import { buildNative, VARIANTS } from "../native/build.ts";
import { buildLauncher } from "../targets/launcher.ts";
import { buildLayer, LAYERS } from "../debug/layers.ts";
import { buildFixtures, buildHostileFixtures } from "../conformance/fixtures/c/build.ts";
import { buildHooks } from "../conformance/fixtures/c/hooks/build.ts";
import { buildFixtures as buildDebugFixtures } from "../debug/fixtures/build.ts";
import { buildHarness, HARNESSES } from "../clients/libs/build.ts";
import { missing, type PackageName } from "../core/optional.ts";

const steps: Array<[string, () => unknown]> = [
  ...VARIANTS.map((v): [string, () => unknown] => [`native ${v}`, () => buildNative({ variant: v })]),
  ...VARIANTS.map((v): [string, () => unknown] => [`launcher ${v}`, () => buildLauncher({ variant: v })]),
  ...Object.keys(LAYERS).map((l): [string, () => unknown] => [`layer ${l}`, () => buildLayer(l)]),
  ["C fixtures", () => buildFixtures({ quiet: true })],
  ["hostile fixtures", () => buildHostileFixtures()],
  ["hook fixtures", () => buildHooks({ quiet: true })],
  ["debug fixture module", () => buildDebugFixtures()],
  ...Object.entries(HARNESSES).filter(([, h]) => missing(h.debian as PackageName).length === 0).map((
    [lib],
  ): [string, () => unknown] => [`libs harness ${lib}`, () => buildHarness(lib)]),
];

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
  `prebuild: ${steps.length - failed} of ${steps.length} builds up to date in ${
    ((performance.now() - t0) / 1000).toFixed(1)
  } s`,
);
process.exit(0);
