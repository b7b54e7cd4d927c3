/**
 * `--format html`: one self-contained page (report/page.ts): the verdict naming each failing target, the
 * feature x target matrix (click a cell for its runs; filters by target, status, feature, profile and
 * domain; a text search; the view in the URL hash), the FAIL and ERROR runs grouped by cause with each
 * run's rerun command, counts per target, and the cited parts of the shipped spec texts (spec/), to which
 * every citation links.
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
import { aloneText, extrasText, type Summary, verdictText } from "./summary.ts";
import { rerunCommand, type RerunContext, rerunContext, shellQuote } from "./rerun.ts";
import { renderPage } from "../../report/page.ts";
import type { MatrixSection, Page, SourcesSection, SpecQuote } from "../../report/types.ts";
import { runtimeVersions } from "../../report/versions.ts";
import { citationTarget, SPEC_SOURCES } from "../../spec/mod.ts";

/** Options of the html reporter. */
export interface HtmlOptions {
  /** the command line shown in the header (default: reconstructed from process.argv) */
  command?: string;
  /** run date (default now) */
  date?: string;
  /** case id -> description (the reporter loads them while the suite runs) */
  descriptions?: ReadonlyMap<string, string>;
  /** how rerun commands are written (default: this runtime's entry, default options) */
  rerun?: RerunContext;
}

/** A citation with the link to its part in the page's sources section (when the text ships). */
function linked(spec: SpecQuote): SpecQuote {
  const t = citationTarget(spec.section, spec.quote);
  return t ? { ...spec, href: `#${t.part.id}` } : spec;
}

/** The matrix section of a conformance run; `descriptions` (case id -> text) are shown in the drill-down. */
export function conformanceMatrix(
  results: readonly Result[],
  descriptions: ReadonlyMap<string, string> = new Map(),
  rerun: RerunContext = rerunContext(),
): MatrixSection {
  const items: MatrixSection["items"] = {};
  for (const r of results) {
    const d = descriptions.get(r.case);
    items[r.case] ??= { spec: linked(r.spec), ...(d ? { description: d } : {}) };
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
      const bad = r.status === "FAIL" || r.status === "ERROR";
      return {
        item: r.case,
        rows: r.features,
        column: r.target,
        status: r.status,
        ...(r.informational ? { informational: true } : {}),
        message: r.message,
        fields,
        ms: Math.round(r.ms * 10) / 10,
        ...(bad ? { rerun: rerunCommand(r, rerun) } : {}),
        ...(r.alone ? { note: aloneText(r) } : {}),
      };
    }),
  };
}

/** The cited parts of the shipped spec texts, for the citations of `results`. */
export function citedSources(results: readonly Result[]): SourcesSection {
  const byFile = new Map<string, Map<string, { id: string; heading: string; text: string }>>();
  for (const r of results) {
    const t = citationTarget(r.spec.section, r.spec.quote);
    if (!t) continue;
    if (!byFile.has(t.file)) byFile.set(t.file, new Map());
    byFile.get(t.file)!.set(t.part.id, t.part);
  }
  return {
    kind: "sources",
    id: "sources",
    title: "Cited texts",
    note:
      "The parts of the spec texts this run's cases cite, as shipped in the package (spec/, ref/types.ts); each citation above links here.",
    files: SPEC_SOURCES.filter((s) => byFile.has(s.file)).map((s) => ({
      file: s.file,
      title: s.title,
      parts: [...byFile.get(s.file)!.values()],
    })),
  };
}

/** The whole conformance page. */
export function conformancePage(results: readonly Result[], summary: Summary, o: HtmlOptions = {}): Page {
  return {
    title: "allocspec conformance",
    header: {
      verdict: { ok: summary.exit === 0, text: verdictText(results) },
      command: o.command ?? commandLine(),
      date: o.date ?? new Date().toISOString(),
      versions: runtimeVersions(),
      facts: {
        runs: `${summary.total} in ${summary.seconds.toFixed(1)} s`,
        ...(extrasText(summary) ? { budget: extrasText(summary)!.replace(/^budget: /, "") } : {}),
        counts: [
          ...STATUSES.map((s) => `${s} ${summary.counts[s]}`),
          `informational FAIL/ERROR ${summary.counts.informational} (never fail a run)`,
        ]
          .join(", "),
      },
    },
    sections: [
      conformanceMatrix(results, o.descriptions, o.rerun),
      {
        kind: "table",
        id: "targets",
        title: "Counts per target",
        note:
          "FAIL and ERROR count normative runs only; informational = FAIL or ERROR of informational (C/POSIX, quality) cases, which never fail a run",
        head: ["target", ...STATUSES, "informational"],
        rows: Object.entries(summary.targets).map((
          [t, c],
        ) => [t, ...STATUSES.map((s) => c[s]), c.informational]),
      },
      citedSources(results),
    ],
  };
}

/**
 * The command line: the installed launcher passes its name in ALLOCSPEC_COMMAND ("allocspec conformance");
 * otherwise the repository's documented entry point of this runtime.
 */
export function commandLine(): string {
  const prog = process.env.ALLOCSPEC_COMMAND ||
    ((globalThis as any).Bun ? "npx bun run conformance" : "npx deno task conformance");
  return [prog, ...process.argv.slice(2).map(shellQuote)].join(" ");
}

export function htmlReporter(write: (s: string) => void, o: HtmlOptions = {}): Reporter {
  // case descriptions for the drill-down, loaded while the suite runs (finish() is synchronous)
  let descriptions = o.descriptions;
  if (!descriptions) {
    loadCases().then((cs) => descriptions = new Map(cs.map((c) => [c.id, c.description])), () => {});
  }
  return {
    onResult() {},
    finish(results, summary) {
      write(renderPage(conformancePage(results, summary, { ...o, descriptions })));
    },
  };
}
