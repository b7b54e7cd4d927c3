/**
 * `--format html`: one self-contained page (report/page.ts): the feature x target matrix (click a cell for
 * its runs; filters by target, status, feature, profile and domain), counts per target, and every FAIL
 * and ERROR with its spec quote. Progress goes to stderr while the suite runs; the page to stdout.
 *
 * @example
 * ```ts
 * import { htmlReporter } from "./html.ts";
 * const rep = htmlReporter((s) => console.log(s), { command: "allocspec conformance --target ref" });
 * ```
 * @module
 */
import process from "node:process";
import { FEATURES } from "../case.ts";
import { loadCases } from "../cases/mod.ts";
import { STATUSES } from "../execute.ts";
import type { Result } from "../execute.ts";
import type { Reporter } from "./reporter.ts";
import { label, type Summary } from "./summary.ts";
import { renderPage } from "../../report/page.ts";
import type { MatrixSection, Page } from "../../report/types.ts";
import { runtimeVersions } from "../../report/versions.ts";

/** Options of the html reporter. */
export interface HtmlOptions {
  /** the command line shown in the header (default: reconstructed from process.argv) */
  command?: string;
  /** where progress lines go (default stderr; tests pass a no-op) */
  progress?: (s: string) => void;
  /** run date (default now) */
  date?: string;
  /** case id -> description (the reporter loads them while the suite runs) */
  descriptions?: ReadonlyMap<string, string>;
}

/** The matrix section of a conformance run; `descriptions` (case id -> text) are shown in the drill-down. */
export function conformanceMatrix(
  results: readonly Result[],
  descriptions: ReadonlyMap<string, string> = new Map(),
): MatrixSection {
  const items: MatrixSection["items"] = {};
  for (const r of results) {
    const d = descriptions.get(r.case);
    items[r.case] ??= { spec: r.spec, ...(d ? { description: d } : {}) };
  }
  const used = new Set(results.flatMap((r) => r.features));
  return {
    kind: "matrix",
    id: "conformance",
    title: "Conformance: feature x target",
    rowLabel: "feature",
    columnLabel: "target",
    rows: [...FEATURES.filter((f) => used.has(f)), ...[...used].filter((f) => !FEATURES.includes(f))],
    columns: [...new Set(results.map((r) => r.target))],
    facets: ["profile", "domain"],
    items,
    runs: results.map((r) => {
      const fields: Record<string, string> = { domain: r.domain, profile: r.profile };
      if (r.variant !== undefined) fields.variant = r.variant;
      return {
        item: r.case,
        rows: r.features,
        column: r.target,
        status: r.status,
        ...(r.informational ? { informational: true } : {}),
        message: r.message,
        fields,
        ms: Math.round(r.ms * 10) / 10,
      };
    }),
  };
}

/** The whole conformance page. */
export function conformancePage(results: readonly Result[], summary: Summary, o: HtmlOptions = {}): Page {
  const bad = results.filter((r) => r.status === "FAIL" || r.status === "ERROR");
  return {
    title: "allocspec conformance",
    header: {
      verdict: summary.exit === 0
        ? { ok: true, text: "conformant: no FAIL, no ERROR" }
        : { ok: false, text: "NOT conformant: FAIL or ERROR in normative cases" },
      command: o.command ?? commandLine(),
      date: o.date ?? new Date().toISOString(),
      versions: runtimeVersions(),
      facts: {
        runs: `${summary.total} in ${summary.seconds.toFixed(1)} s`,
        counts: [
          ...STATUSES.map((s) => `${s} ${summary.counts[s]}`),
          `informational ${summary.counts.informational}`,
        ]
          .join(", "),
      },
    },
    sections: [
      conformanceMatrix(results, o.descriptions),
      {
        kind: "table",
        id: "targets",
        title: "Counts per target",
        note:
          "informational = FAIL or ERROR of informational (C/POSIX, quality) cases, which never fail a run",
        head: ["target", ...STATUSES, "informational"],
        rows: Object.entries(summary.targets).map((
          [t, c],
        ) => [t, ...STATUSES.map((s) => c[s]), c.informational]),
      },
      {
        kind: "table",
        id: "failures",
        title: `FAIL and ERROR runs (${bad.length})`,
        head: ["status", "run", "message", "spec"],
        rows: bad.map((r) => [
          `${r.status}${r.informational ? " (informational)" : ""}`,
          label(r),
          r.message,
          `${r.spec.section}: "${r.spec.quote}"`,
        ]),
      },
    ],
  };
}

/**
 * The command line: the installed launcher passes its name in ALLOCSPEC_COMMAND ("allocspec conformance");
 * otherwise the repository's documented entry point of this runtime.
 */
export function commandLine(): string {
  const quote = (a: string) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
  const prog = process.env.ALLOCSPEC_COMMAND ??
    ((globalThis as any).Bun ? "npx bun run conformance" : "npx deno task conformance");
  return [prog, ...process.argv.slice(2).map(quote)].join(" ");
}

export function htmlReporter(write: (s: string) => void, o: HtmlOptions = {}): Reporter {
  const progress = o.progress ?? ((s: string) => process.stderr.write(s + "\n"));
  let last = -1;
  // case descriptions for the drill-down, loaded while the suite runs (finish() is synchronous)
  let descriptions = o.descriptions;
  if (!descriptions) {
    loadCases().then((cs) => descriptions = new Map(cs.map((c) => [c.id, c.description])), () => {});
  }
  return {
    onResult(r, done, total) {
      if (r.status === "FAIL" || r.status === "ERROR") {
        progress(`${r.informational ? "INFO " : ""}${r.status} ${label(r)}: ${r.message}`);
      }
      const pct = Math.floor((done * 10) / total);
      if (pct !== last) {
        last = pct;
        progress(`progress: ${done}/${total} runs`);
      }
    },
    finish(results, summary) {
      write(renderPage(conformancePage(results, summary, { ...o, descriptions })));
    },
  };
}
