/**
 * Case discovery: every `cases/<group>/<what_it_checks>.ts` (not `_*.ts` helpers, not `*_test.ts`) is a
 * case whose default export is a {@link Case} with id `<group>/<what_it_checks>`.
 *
 * @example
 * ```ts
 * import { loadCases } from "./mod.ts";
 * const cases = await loadCases();
 * console.log(cases.length, cases[0].id);
 * ```
 * @module
 */
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Case } from "../case.ts";

const DIR = new URL("./", import.meta.url);

/** Ids of every case file, sorted. */
export function caseIds(): string[] {
  const root = fileURLToPath(DIR);
  const ids: string[] = [];
  for (const g of readdirSync(root).sort()) {
    if (g.startsWith("_") || g.startsWith(".") || !statSync(root + g).isDirectory()) continue;
    for (const f of readdirSync(root + g).sort()) {
      if (!f.endsWith(".ts") || f.startsWith("_") || f.endsWith("_test.ts")) continue;
      ids.push(`${g}/${f.slice(0, -3)}`);
    }
  }
  return ids;
}

/** Imports one case by id and checks that its metadata names the same id. */
export async function loadCase(id: string): Promise<Case> {
  const mod = await import(new URL(`./${id}.ts`, DIR).href) as { default?: Case };
  const c = mod.default;
  if (!c || typeof c.run !== "function") {
    throw new Error(`case file cases/${id}.ts has no default export made by defineCase`);
  }
  if (c.id !== id) {
    throw new Error(`case file cases/${id}.ts declares id '${c.id}': the id must match the file`);
  }
  return c;
}

/**
 * Imports every case, or only those whose id matches `filter` (what `--filter` selects: a run with a filter
 * does not pay for importing the ~130 case modules it will not run), in {@link caseIds} order.
 */
export async function loadCases(filter?: RegExp): Promise<Case[]> {
  return await Promise.all(caseIds().filter((id) => !filter || filter.test(id)).map(loadCase));
}
