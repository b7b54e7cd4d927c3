/**
 * The checking layer's own broken allocators, built with the project's flags (native/build.ts
 * `compileShared`) into `<set>/build/` (git-ignored): `traffic` (debug/check/traffic/: the conformance
 * fixtures' correct allocator with one rule broken in a way only real traffic shows) and `blind`
 * (debug/check/blind/: allocators written from the rule list only, README.md there). Each library
 * exports `pep445_allocator`: run it as `--allocator vtable:<path>`.
 *
 * Runnable: `deno run -A debug/check/fixtures.ts traffic|blind` prints `name path` per library.
 *
 * @example
 * ```ts
 * import { buildCheckFixtures } from "./fixtures.ts";
 * const libs = buildCheckFixtures("blind"); // { hdr8: ".../blind/build/blind_hdr8.so", ... }
 * ```
 * @module
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { compileShared, INCLUDE_DIR } from "../../core/cbuild.ts";

/** The two sets. */
export type CheckFixtureSet = "traffic" | "blind";

const HERE = dirname(fileURLToPath(import.meta.url));
const CONFORMANCE_FIXTURES = join(HERE, "..", "..", "conformance", "fixtures", "c");

/** The folder of a set's sources. */
export function fixtureDir(set: CheckFixtureSet): string {
  return join(HERE, set);
}

/** Names of a set's allocators (`<set>_<name>.c` -> `<name>`), sorted. */
export function checkFixtureNames(set: CheckFixtureSet): string[] {
  const prefix = `${set}_`;
  return readdirSync(fixtureDir(set))
    .filter((f) => f.startsWith(prefix) && f.endsWith(".c"))
    .map((f) => f.slice(prefix.length, -2))
    .sort();
}

const mtime = (p: string) => (existsSync(p) ? statSync(p).mtimeMs : -1);

/** Builds a set (or the named ones) when missing or stale; returns name -> library path. */
export function buildCheckFixtures(set: CheckFixtureSet, names?: string[]): Record<string, string> {
  const dir = fixtureDir(set);
  const headers = [
    ...readdirSync(dir).filter((f) => f.endsWith(".h")).map((f) => join(dir, f)),
    join(CONFORMANCE_FIXTURES, "fixture_core.h"),
    join(INCLUDE_DIR, "pep445.h"),
  ];
  const newestHeader = Math.max(...headers.map(mtime));
  const out: Record<string, string> = {};
  for (const name of names ?? checkFixtureNames(set)) {
    const src = join(dir, `${set}_${name}.c`);
    if (!existsSync(src)) throw new Error(`unknown ${set} allocator '${name}': no ${src}`);
    const lib = join(dir, "build", `${set}_${name}.so`);
    if (mtime(lib) < Math.max(mtime(src), newestHeader)) {
      compileShared({
        sources: [src],
        output: lib,
        flags: ["-O2", "-g", `-I${CONFORMANCE_FIXTURES}`, "-lpthread"],
      });
    }
    out[name] = lib;
  }
  return out;
}

if ((import.meta as { main?: boolean }).main) {
  const set = process.argv[2] as CheckFixtureSet;
  if (set !== "traffic" && set !== "blind") {
    console.error("usage: fixtures.ts traffic|blind");
    process.exit(2);
  }
  for (const [n, p] of Object.entries(buildCheckFixtures(set))) console.log(`${n} ${p}`);
}
