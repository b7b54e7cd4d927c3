/**
 * Expands cases into runs (case x domain x variant x profile) and decides, from the adapter's metadata
 * alone, which runs are UNSUPPORTED or SKIP and which run as death children.
 *
 * @example
 * ```ts
 * import { expand } from "./plan.ts";
 * // const runs = expand(cases, { profiles: ["cpython"], filter: /zero_size/ });
 * ```
 * @module
 */
import type { Adapter } from "./adapter.ts";
import type { Case, DomainName } from "./case.ts";
import type { Profile } from "../ref/types.ts";

/** One run of one case. */
export interface RunSpec {
  caseId: string;
  domain: DomainName | "-";
  variant?: string;
  profile: Profile;
}

/** `case[domain/variant]@profile`, a stable key for a run. */
export function runKey(r: RunSpec): string {
  const where = [r.domain, r.variant].filter((x) => x !== undefined && x !== "-").join("/");
  return `${r.caseId}${where ? `[${where}]` : ""}@${r.profile}`;
}

/**
 * Every run of `cases` for the selected profiles whose case id matches `filter`; `domain` and `variant`
 * keep only the runs of that domain ("-" for cases without one) and that variant (with `--filter
 * '^case$'` and one profile they select exactly one run: the rerun command of a failure).
 */
export function expand(
  cases: readonly Case[],
  o: { profiles: readonly Profile[]; filter?: RegExp; domain?: DomainName | "-"; variant?: string },
): RunSpec[] {
  const out: RunSpec[] = [];
  for (const c of cases) {
    if (o.filter && !o.filter.test(c.id)) continue;
    const domains: (DomainName | "-")[] = c.domains.length ? [...c.domains] : ["-"];
    const variants: (string | undefined)[] = c.variants?.length ? [...c.variants] : [undefined];
    for (const profile of o.profiles) {
      if (!c.profiles.includes(profile)) continue;
      for (const domain of domains) {
        if (o.domain !== undefined && domain !== o.domain) continue;
        for (const variant of variants) {
          if (o.variant !== undefined && variant !== o.variant) continue;
          out.push(
            variant === undefined
              ? { caseId: c.id, domain, profile }
              : { caseId: c.id, domain, variant, profile },
          );
        }
      }
    }
  }
  return out;
}

/** How a run is executed on an adapter. */
export type Disposition =
  | { kind: "skip"; status: "SKIP" | "UNSUPPORTED"; reason: string }
  | { kind: "in-process" }
  | { kind: "death" };

/** Decides SKIP / UNSUPPORTED / in-process / death child for a run. */
export function dispose(a: Adapter, c: Case, r: RunSpec): Disposition {
  if (!a.profiles.includes(r.profile)) {
    return {
      kind: "skip",
      status: "UNSUPPORTED",
      reason: `${a.label} does not implement profile ${r.profile}`,
    };
  }
  const missing = c.needs.filter((n) => !a.capabilities.has(n));
  const modes = a.violationModes ?? ["throw", "abort"];
  const death = c.death !== undefined || (c.expect !== undefined && !modes.includes("throw"));
  if (death && !a.capabilities.has("death")) missing.push("death");
  if (death && !modes.includes("abort")) {
    return { kind: "skip", status: "UNSUPPORTED", reason: `${a.label} cannot run in violation mode "abort"` };
  }
  if (missing.length) {
    return {
      kind: "skip",
      status: "UNSUPPORTED",
      reason: `${a.label} lacks capability ${[...new Set(missing)].join(", ")}`,
    };
  }
  const gap = a.gaps?.[c.id];
  if (gap !== undefined) return { kind: "skip", status: "SKIP", reason: gap };
  return death ? { kind: "death" } : { kind: "in-process" };
}
