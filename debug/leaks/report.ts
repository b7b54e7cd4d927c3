/**
 * The leak report: parses the tracer's snapshot file, groups live blocks by Python file:line (MEM/OBJ) or by
 * symbolized C site (RAW, and MEM/OBJ calls made with no Python frame), sorts by bytes, counts per domain,
 * and formats it as a table, JSON or Markdown.
 *
 * @example
 * ```ts
 * import { formatLeaks, parseSnapshots } from "./report.ts";
 * const [snap] = parseSnapshots("snapshot exit\ndomain obj 1 64 9\npy obj 64 1 3 /x.py\nend\n");
 * console.log(formatLeaks(snap, "table"));
 * ```
 * @module
 */
import { basename } from "node:path";
import { type RawFrame, Symbolizer } from "../faults/site.ts";

/** One group of live blocks. */
export interface LeakSite {
  /** `file:line` (Python) or the kept C frames joined with ` < ` */
  where: string;
  kind: "py" | "c";
  bytes: number;
  blocks: number;
  /** bytes per domain */
  domains: Record<string, number>;
  /** C sites: kept frames, innermost first */
  frames?: string[];
}

/** One snapshot. */
export interface LeakSnapshot {
  label: string;
  /** per domain: live blocks, live bytes, traced calls */
  domains: Record<string, { blocks: number; bytes: number; calls: number }>;
  sites: LeakSite[];
}

interface RawEntry {
  kind: "py" | "c";
  domain: string;
  bytes: number;
  blocks: number;
  where: string;
  frames: RawFrame[];
}

/** Parses every snapshot of a tracer output file and groups its sites (C frames symbolized). */
export function parseSnapshots(text: string, sym = new Symbolizer()): LeakSnapshot[] {
  const out: LeakSnapshot[] = [];
  let cur: { label: string; domains: LeakSnapshot["domains"]; raw: RawEntry[] } | null = null;
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f[0] === "snapshot") cur = { label: line.slice(9), domains: {}, raw: [] };
    else if (!cur) continue;
    else if (f[0] === "domain") cur.domains[f[1]] = { blocks: +f[2], bytes: +f[3], calls: +f[4] };
    else if (f[0] === "py") {
      cur.raw.push({
        kind: "py",
        domain: f[1],
        bytes: +f[2],
        blocks: +f[3],
        where: `${f.slice(5).join(" ")}:${f[4]}`,
        frames: [],
      });
    } else if (f[0] === "c") {
      const frames = f.slice(4).map((x) => {
        const at = x.lastIndexOf("+0x");
        return { module: x.slice(0, at), offset: parseInt(x.slice(at + 3), 16) };
      });
      cur.raw.push({ kind: "c", domain: f[1], bytes: +f[2], blocks: +f[3], where: "", frames });
    } else if (f[0] === "end") {
      out.push(group(cur.label, cur.domains, cur.raw, sym));
      cur = null;
    }
  }
  return out;
}

function group(
  label: string,
  domains: LeakSnapshot["domains"],
  raw: RawEntry[],
  sym: Symbolizer,
): LeakSnapshot {
  sym.prime(raw.flatMap((r) => r.frames));
  const by = new Map<string, LeakSite>();
  for (const r of raw) {
    let where = r.where, frames: string[] | undefined;
    if (r.kind === "c") {
      frames = sym.kept(r.frames);
      where = frames.slice(0, 3).join(" < ") ||
        (r.frames[0] ? basename(r.frames[0].module) : "unknown C site");
    }
    const g = by.get(`${r.kind} ${where}`) ??
      { where, kind: r.kind, bytes: 0, blocks: 0, domains: {}, frames };
    g.bytes += r.bytes;
    g.blocks += r.blocks;
    g.domains[r.domain] = (g.domains[r.domain] ?? 0) + r.bytes;
    by.set(`${r.kind} ${where}`, g);
  }
  const sites = [...by.values()].sort((a, b) => b.bytes - a.bytes || a.where.localeCompare(b.where));
  return { label, domains, sites };
}

/** A snapshot as `table`, `json` or `markdown` (top `top` sites). */
export function formatLeaks(s: LeakSnapshot, format: "table" | "json" | "markdown", top = 20): string {
  if (format === "json") return JSON.stringify(s, null, 2) + "\n";
  const md = format === "markdown";
  const dom = Object.entries(s.domains).map(([d, v]) =>
    `${d}: ${v.blocks} blocks, ${v.bytes} bytes live (${v.calls} calls traced)`
  );
  const lines = [
    md ? `## Live blocks at snapshot \`${s.label}\`` : `live blocks at snapshot '${s.label}'`,
    "",
  ];
  lines.push(...dom.map((d) => (md ? `- ${d}` : `  ${d}`)), "");
  if (md) lines.push("| bytes | blocks | domains | allocated at |", "| ---: | ---: | --- | --- |");
  for (const x of s.sites.slice(0, top)) {
    const doms = Object.keys(x.domains).join(",");
    lines.push(
      md
        ? `| ${x.bytes} | ${x.blocks} | ${doms} | \`${x.where}\` |`
        : `${String(x.bytes).padStart(10)} B ${String(x.blocks).padStart(7)} blocks  ${
          doms.padEnd(7)
        } ${x.where}`,
    );
  }
  if (s.sites.length > top) lines.push(md ? "" : "", `(${s.sites.length - top} more sites)`);
  return lines.join("\n") + "\n";
}
