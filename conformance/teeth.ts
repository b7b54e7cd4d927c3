/**
 * The teeth proof: run targets that break one rule each (mutants, C fixtures) and collect which cases
 * FAIL on them. `conformance/teeth_table.ts` says which cases each must FAIL; `teeth_test.ts` checks the
 * table against reality and that every normative case is killed by at least one row.
 *
 * Runs in-process for in-process dispositions and through the worker pool for death children and for
 * targets that must not load into this process (`Adapter.isolated`: hook targets).
 *
 * ```sh
 * deno run -A conformance/teeth.ts mutant:no_tail_check   # prints the cases that FAIL on the target
 * ```
 * @example
 * ```ts
 * import { failingCases } from "./teeth.ts";
 * const fails = await failingCases("mutant:malloc_zero_null");
 * ```
 * @module
 */
import process from "node:process";
import { loadAdapter } from "./adapters/mod.ts";
import type { Case } from "./case.ts";
import { loadCases } from "./cases/mod.ts";
import { executeInProcess, type Result } from "./execute.ts";
import { dispose, expand } from "./plan.ts";
import { runPool, type WorkItem } from "./pool.ts";

/** Every result of `target` on `cases` (default: all), both profiles. */
export async function resultsOn(
  target: string,
  cases?: readonly Case[],
  opts: { abi?: "shipped" | "2013"; jobs?: number } = {},
): Promise<Result[]> {
  const abi = opts.abi ?? "shipped";
  const all = cases ?? await loadCases();
  const adapter = await loadAdapter(target, { abi });
  const byId = new Map(all.map((c) => [c.id, c]));
  const out: Result[] = [];
  const pooled: WorkItem[] = [];
  for (const run of expand(all, { profiles: ["cpython", "pep445-2013"] })) {
    const c = byId.get(run.caseId)!;
    const d = dispose(adapter, c, run);
    if (d.kind === "in-process" && !adapter.isolated) out.push(await executeInProcess(adapter, c, run));
    else if (d.kind === "in-process") {
      // a target that changes process-wide state runs in workers only (Adapter.isolated)
      pooled.push({
        target,
        adapter,
        case: c,
        run,
        disposition: d,
        env: adapter.childEnv?.(c.id, "in-process"),
      });
    } else if (d.kind === "death") {
      pooled.push({ target, adapter, case: c, run, disposition: d, env: adapter.childEnv?.(c.id, "death") });
    }
  }
  if (pooled.length) out.push(...await runPool(pooled, { jobs: opts.jobs ?? 2, abi }));
  return out;
}

/** Ids of the cases with at least one FAIL on `target`. */
export async function failingCases(target: string, cases?: readonly Case[]): Promise<Set<string>> {
  const rs = await resultsOn(target, cases);
  return new Set(rs.filter((r) => r.status === "FAIL" && !r.informational).map((r) => r.case));
}

if (import.meta.main) {
  for (const t of process.argv.slice(2)) {
    const f = [...await failingCases(t)].sort();
    console.log(`${t}: ${f.length} failing cases`);
    for (const id of f) console.log(`  "${id}",`);
  }
}
