/**
 * The programmatic suite: resolve targets (usage errors before anything runs), expand cases into runs,
 * decide dispositions, run them in the worker pool, summarise.
 *
 * @example
 * ```ts
 * import { prepareSuite, runSuite } from "./suite.ts";
 * const prep = await prepareSuite({ targets: ["ref"], abi: "shipped", profiles: ["cpython"] });
 * const { results, summary } = await runSuite(prep, { jobs: 2 });
 * ```
 * @module
 */
import type { Adapter } from "./adapter.ts";
import { UsageError } from "../core/usage.ts";
import { loadAdapter, loadFactory } from "./adapters/mod.ts";
import type { Case } from "./case.ts";
import { loadCases } from "./cases/mod.ts";
import type { Result } from "./execute.ts";
import { dispose, expand } from "./plan.ts";
import { runPool, type WorkItem } from "./pool.ts";
import { summarize, type Summary } from "./report/summary.ts";
import type { Profile } from "../ref/types.ts";

export interface SuiteOptions {
  /** target specs; undefined = the defaults (ref, native, cpython when available) */
  targets?: readonly string[];
  abi: "shipped" | "2013";
  profiles: readonly Profile[];
  filter?: RegExp;
  /** how long a target library's probe child may take, ms */
  probeTimeoutMs?: number;
}

export interface PreparedSuite {
  adapters: Map<string, Adapter>;
  cases: Case[];
  items: WorkItem[];
  /** what happened to default targets that are not available */
  notes: string[];
  abi: "shipped" | "2013";
}

/** The default targets. */
export const DEFAULT_TARGETS = ["ref", "native", "cpython"] as const;

/** Resolves targets and builds the work list; throws UsageError on bad input (nothing has run). */
export async function prepareSuite(o: SuiteOptions): Promise<PreparedSuite> {
  const adapters = new Map<string, Adapter>();
  const notes: string[] = [];
  if (o.targets && o.targets.length) {
    for (const t of o.targets) {
      if (!adapters.has(t)) {
        adapters.set(t, await loadAdapter(t, { abi: o.abi, probeTimeoutMs: o.probeTimeoutMs }));
      }
    }
  } else {
    for (const t of DEFAULT_TARGETS) {
      try {
        await loadFactory(t);
        adapters.set(t, await loadAdapter(t, { abi: o.abi, probeTimeoutMs: o.probeTimeoutMs }));
      } catch (e) {
        if (t === "ref") throw e;
        notes.push(
          `note: default target ${t} skipped: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
        );
      }
    }
  }
  const cases = await loadCases();
  const byId = new Map(cases.map((c) => [c.id, c]));
  const runs = expand(cases, { profiles: o.profiles, filter: o.filter });
  const items: WorkItem[] = [];
  for (const [target, adapter] of adapters) {
    for (const run of runs) {
      const c = byId.get(run.caseId)!;
      const disposition = dispose(adapter, c, run);
      let env: Record<string, string> | undefined;
      if (disposition.kind !== "skip") env = adapter.childEnv?.(c.id, disposition.kind);
      items.push({ target, adapter, case: c, run, disposition, env });
    }
  }
  return { adapters, cases, items, notes, abi: o.abi };
}

/** Runs a prepared suite. */
export async function runSuite(
  p: PreparedSuite,
  o: { jobs: number; timeoutMs?: number; onResult?: (r: Result, done: number, total: number) => void },
): Promise<{ results: Result[]; summary: Summary }> {
  const t0 = performance.now();
  const results = await runPool(p.items, {
    jobs: o.jobs,
    timeoutMs: o.timeoutMs,
    abi: p.abi,
    onResult: o.onResult,
  });
  return { results, summary: summarize(results, (performance.now() - t0) / 1000) };
}

export { UsageError };
