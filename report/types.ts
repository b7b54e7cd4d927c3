/**
 * The data a report page is built from. A page is a header (verdict, command, versions, date) and a list
 * of sections; each section kind is rendered by its own file. Producers (the conformance run, the
 * benchmarks, and later client runs, fault sweeps, external-library runs) only build these plain objects:
 * nothing here knows where the data came from.
 *
 * @example
 * ```ts
 * import type { Page } from "./types.ts";
 * const page: Page = {
 *   title: "allocspec conformance",
 *   header: { verdict: { ok: true, text: "conformant" }, command: "allocspec conformance", date: "2026-12-01" },
 *   sections: [{ kind: "text", id: "about", title: "About", paragraphs: ["one run"] }],
 * };
 * ```
 * @module
 */

/** The five run statuses of the suite (conformance/README.md "Reading results"). */
export type RunStatus = "PASS" | "FAIL" | "ERROR" | "SKIP" | "UNSUPPORTED";
/** In display order. */
export const RUN_STATUSES: readonly RunStatus[] = ["PASS", "FAIL", "ERROR", "SKIP", "UNSUPPORTED"];

/** The summary at the top of the page. */
export interface PageHeader {
  /** `ok: true` green, `false` red, `null` neutral (a benchmark has no pass/fail verdict) */
  verdict: { ok: boolean | null; text: string };
  /** the command line as the user typed it */
  command: string;
  /** ISO date-time of the run */
  date: string;
  /** name -> version (allocspec, runtime, CPython, ...) */
  versions?: Record<string, string>;
  /** further name -> value facts (duration, machine, load) */
  facts?: Record<string, string>;
}

/** A whole page. */
export interface Page {
  title: string;
  header: PageHeader;
  sections: Section[];
}

/** Every section kind. */
export type Section = MatrixSection | BarsSection | TableSection | TextSection | SourcesSection;

/** A spec reference: the section and its verbatim quote. */
export interface SpecQuote {
  section: string;
  quote: string;
  /** where the cited text is in this page (`#id` of a {@link SourcesSection} part), when embedded */
  href?: string;
}

/**
 * A row x column matrix of runs coloured by status, with counts per cell, a drill-down on click and
 * filters by column, status, row and each facet. Conformance: rows = features, columns = targets.
 */
export interface MatrixSection {
  kind: "matrix";
  /** unique in the page; used as the HTML id prefix */
  id: string;
  title: string;
  /** what a row is ("feature") and what a column is ("target") */
  rowLabel: string;
  columnLabel: string;
  /** display orders; default: order of first appearance in `runs` */
  rows?: string[];
  columns?: string[];
  /** `fields` keys offered as filters (e.g. ["profile", "domain"]) */
  facets?: string[];
  /** what a run ran (a case), by id: shown in the drill-down */
  items: Record<string, { description?: string; spec?: SpecQuote }>;
  runs: MatrixRun[];
}

/** One run: an item on one column, counted in every row it belongs to. */
export interface MatrixRun {
  item: string;
  rows: readonly string[];
  column: string;
  status: RunStatus;
  /** informational runs keep their status but are counted apart and never colour a cell red */
  informational?: boolean;
  message: string;
  /** shown in the drill-down; facets filter on them (domain, profile, variant) */
  fields: Record<string, string>;
  /** duration in milliseconds */
  ms?: number;
  /** the command line that reruns this run alone (shown with a copy button) */
  rerun?: string;
  /** a remark shown with the run's facts ("reproduces alone") */
  note?: string;
}

/**
 * A cause as embedded in the page: runs (indices into `runs`) of one column with one status and one
 * masked message (report/causes.ts). The page computes them; producers do not pass them.
 */
export interface EmbeddedCause {
  id: string;
  column: string;
  status: string;
  text: string;
  informational: boolean;
  runs: number[];
}

/** Horizontal bar charts (inline SVG) with the number beside each bar and optional goals. */
export interface BarsSection {
  kind: "bars";
  id: string;
  title: string;
  note?: string;
  charts: BarChart[];
}

/** One chart. */
export interface BarChart {
  title: string;
  /** unit printed after each value ("x", "ns/op", "%") */
  unit: string;
  note?: string;
  /** a reference line (e.g. 1.0 for ratios) */
  reference?: number;
  bars: Bar[];
}

/** One bar. `value: null` renders "not measured" with `missing` as the reason. */
export interface Bar {
  label: string;
  value: number | null;
  /** the goal is met when value <= goal ("max", default) or >= goal ("min") */
  goal?: number;
  goalKind?: "max" | "min";
  /** spread shown as a whisker and in the text (e.g. min and max of the samples) */
  spread?: [number, number];
  missing?: string;
  /** written after the value (e.g. "load 3.1→5.2": the load average while it was measured) */
  note?: string;
}

/** A plain table. */
export interface TableSection {
  kind: "table";
  id: string;
  title: string;
  note?: string;
  head: string[];
  rows: (string | number)[][];
}

/**
 * Cited texts embedded in the page, cut into parts (a heading and its text), so that citations
 * ({@link SpecQuote.href}) link to what they cite without leaving the page.
 */
export interface SourcesSection {
  kind: "sources";
  id: string;
  title: string;
  note?: string;
  files: { file: string; title: string; parts: { id: string; heading: string; text: string }[] }[];
}

/** Paragraphs of text. */
export interface TextSection {
  kind: "text";
  id: string;
  title: string;
  paragraphs: string[];
}
