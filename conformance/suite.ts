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
import type { Case, DomainName } from "./case.ts";
import { loadCases } from "./cases/mod.ts";
import type { Result } from "./execute.ts";
import { dispose, expand } from "./plan.ts";
import { runPool, type WorkItem } from "./pool.ts";
import { BudgetMeter } from "./budget.ts";
import { summarize, type Summary } from "./report/summary.ts";
import type { Profile } from "../ref/types.ts";

export interface SuiteOptions {
  /** target specs; undefined = the defaults (ref, native, cpython when available) */
  targets?: readonly string[];
  abi: "shipped" | "2013";
  profiles: readonly Profile[];
  filter?: RegExp;
  /** only the runs of this domain ("-": cases without a domain) */
  domain?: DomainName | "-";
  /** only the runs of this variant */
  variant?: string;
  /** how long a target library's probe child may take, ms */
  probeTimeoutMs?: number;
}

export interface PreparedSuite {
  adapters: Map<string, Adapter>;
  /** the cases the filter selects (all without one) */
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
  const cases = await loadCases(o.filter);
  const byId = new Map(cases.map((c) => [c.id, c]));
  // `cases` are the filter's already: tested once per id (a RegExp with the g flag is stateful)
  const runs = expand(cases, {
    profiles: o.profiles,
    domain: o.domain,
    variant: o.variant,
  });
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

/**
 * Builds what the targets' workers load (Adapter.prebuild: the native library when missing or stale),
 * here, before the first case: no case's budget pays for a compiler, and no worker killed at a budget can
 * leave a compiler or a half-written library behind. `progress` gets one line per build.
 */
export function prebuildTargets(p: PreparedSuite, progress?: (line: string) => void): void {
  const runnable = new Set(p.items.filter((it) => it.disposition.kind !== "skip").map((it) => it.target));
  for (const [target, a] of p.adapters) {
    if (!a.prebuild || !runnable.has(target)) continue;
    const t0 = performance.now();
    const built = a.prebuild((what) =>
      progress?.(`conformance: building ${what} for ${target} before the first case`)
    );
    if (built) {
      progress?.(`conformance: built ${built} in ${Math.round((performance.now() - t0) / 100) / 10} s`);
    }
  }
}

/** Runs a prepared suite (builds first: {@link prebuildTargets}). */
export async function runSuite(
  p: PreparedSuite,
  o: {
    jobs: number;
    timeoutMs?: number;
    onResult?: (r: Result, done: number, total: number) => void;
    progress?: (line: string) => void;
    /** see `PoolOptions.isolateFailures` in pool.ts (default true) */
    isolateFailures?: boolean;
  },
): Promise<{ results: Result[]; summary: Summary }> {
  const t0 = performance.now();
  prebuildTargets(p, o.progress);
  const budget = new BudgetMeter(o.timeoutMs ?? 20000);
  const results = await runPool(p.items, {
    jobs: o.jobs,
    abi: p.abi,
    onResult: o.onResult,
    budget,
    isolateFailures: o.isolateFailures,
  });
  const summary = summarize(results, (performance.now() - t0) / 1000);
  summary.budget = budget.report();
  return { results, summary };
}

export { UsageError };
