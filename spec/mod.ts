/**
 * The texts the conformance verdicts cite, shipped with the package (spec/README.md): the PEP 445 draft
 * of June 2013 (public domain) and the team's fact files. A case cites `spec.section` ("PEP 445, Use case
 * 3: Setup Allocator Hooks", "spec/cpython-facts.md §1.3 (realloc contract)", "ref/types.ts (host
 * conventions)") with a verbatim quote; {@link citationTarget} finds the file and the part (a section
 * under one heading) that holds the quote, so a report can link the citation to the shipped text.
 *
 * @example
 * ```ts
 * import { citationTarget, specParts } from "./mod.ts";
 * const t = citationTarget("PEP 445, Use case 3: Setup Allocator Hooks", "ptr = alloc->malloc(alloc->ctx, size);");
 * t?.file; // "spec/pep-0445-draft-2013.txt"
 * specParts("spec/pep-0445-draft-2013.txt").length > 10; // true
 * ```
 * @module
 */
import { readFileSync } from "node:fs";

/** Each shipped source: path in the package (what a citation names) and a title. */
export const SPEC_SOURCES = [
  { file: "spec/pep-0445-draft-2013.txt", title: "PEP 445 (draft of June 2013; public domain)" },
  { file: "spec/cpython-facts.md", title: "PEP 445 as CPython ships it (allocspec's facts)" },
  { file: "spec/third-party-allocators.md", title: "Third-party allocators (allocspec's facts)" },
  { file: "ref/types.ts", title: "ref/types.ts: the host conventions of the reference implementation" },
] as const;

/** The package root (the folder above spec/). */
const ROOT = new URL("../", import.meta.url);

/** The text of a shipped source (`file` relative to the package root). */
export function specText(file: string): string {
  return readFileSync(new URL(file, ROOT), "utf8");
}

/** A section of a source: its heading and text (the heading line included). */
export interface SpecPart {
  /** HTML id: `spec-<file stem>-<n>` */
  id: string;
  heading: string;
  text: string;
}

const norm = (s: string) => s.replace(/\s+/g, " ").trim();
/** TS sources have " * " comment prefixes; compare without them. */
const plain = (file: string, s: string) => norm(file.endsWith(".ts") ? s.replace(/^\s*\* ?/gm, "") : s);

const cache = new Map<string, SpecPart[]>();

/**
 * A source cut at its headings: markdown `#` lines, reStructuredText titles (a line underlined with `=`
 * or `-`), and for a `.ts` file the whole file as one part.
 */
export function specParts(file: string): SpecPart[] {
  const hit = cache.get(file);
  if (hit) return hit;
  const lines = specText(file).split("\n");
  const stem = file.replace(/^.*\//, "").replace(/\.[^.]+$/, "").replace(/[^\w]+/g, "-");
  const starts: { line: number; heading: string }[] = [{ line: 0, heading: file }];
  if (file.endsWith(".md")) {
    lines.forEach((l, i) => {
      if (/^#{1,4} /.test(l)) starts.push({ line: i, heading: l.replace(/^#+ /, "") });
    });
  } else if (file.endsWith(".txt")) {
    lines.forEach((l, i) => {
      const under = lines[i + 1] ?? "";
      if (l.trim() && /^(=+|-+)$/.test(under) && under.length >= l.trim().length) {
        starts.push({ line: i, heading: l.trim() });
      }
    });
  }
  const parts: SpecPart[] = [];
  starts.forEach((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1].line : lines.length;
    if (end <= s.line && k > 0) return;
    const text = lines.slice(s.line, end).join("\n");
    if (k === 0 && starts.length > 1 && !text.trim()) return;
    parts.push({ id: `spec-${stem}-${parts.length}`, heading: s.heading, text });
  });
  cache.set(file, parts);
  return parts;
}

/** The file a citation names: "PEP 445, ..." is the PEP; otherwise the path or file name it starts with. */
export function citedFile(section: string): string | undefined {
  if (/^PEP 445\b/.test(section)) return SPEC_SOURCES[0].file;
  const first = section.split(/\s/)[0];
  return SPEC_SOURCES.find((s) => s.file === first || s.file.endsWith("/" + first))?.file;
}

/**
 * Where a citation points: the shipped file and the part holding the quote (whitespace-insensitive;
 * a quote that runs across two parts gives the part where it starts). Undefined when the file is not
 * shipped or the quote is not in it.
 */
export function citationTarget(section: string, quote: string): { file: string; part: SpecPart } | undefined {
  const file = citedFile(section);
  if (!file) return undefined;
  const parts = specParts(file);
  const q = norm(quote);
  let part = parts.find((p) => plain(file, p.text).includes(q));
  if (!part) {
    // a quote across a heading boundary: the part where its first words are
    const head = q.slice(0, 40);
    part = parts.find((p) => plain(file, p.text).includes(head));
  }
  return part ? { file, part } : undefined;
}
