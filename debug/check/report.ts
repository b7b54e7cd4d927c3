/**
 * Reading what the checking layer and the launcher print (formats in check.h and
 * debug/README.md, "Checking layer"): violation blocks (`allocspec check: violation of <rule> [<DOMAIN>] ...` and
 * their indented fields), the count-mode summary, and the launcher's one line on a signal death. Every
 * string that comes back is printable ({@link printable}): reports never copy raw bytes of a corrupted
 * interpreter's output.
 *
 * @example
 * ```ts
 * import { parseCheckViolations, parseCrashLine } from "./report.ts";
 * const text = "allocspec check: violation of calloc/calloc_zeroes_recycled_memory [RAW] byte 3 is 0x41\n" +
 *   "  call: calloc(1, 8) -> 0x10\n";
 * parseCheckViolations(text)[0].rule; // "calloc/calloc_zeroes_recycled_memory"
 * parseCrashLine("allocspec-python: Python died by SIGSEGV on allocator x (debug hooks: none)")?.signal; // "SIGSEGV"
 * ```
 * @module
 */

/** The exit status of a process the layer stopped at its first violation. */
export const CHECK_EXIT_STATUS = 86;

/** One violation as the layer reported it. */
export interface CheckViolation {
  /** the conformance case id of the rule */
  rule: string;
  domain: string;
  message: string;
  allocator?: string;
  call?: string;
  cSite?: string;
  cStack?: string;
  python?: string;
  reproduce?: string;
  conformance?: string;
}

/** The launcher's line when the interpreter died by a signal. */
export interface CrashLine {
  signal: string;
  allocator: string;
  debugHooks: string;
  /** what the checking layer knew (the call running, the last violation), when it was installed */
  check?: string;
  line: string;
}

/** First line of a violation block. */
export const VIOLATION_LINE: RegExp = /^allocspec check: violation of (\S+) \[(RAW|MEM|OBJ|\?)\] (.*)$/;
const FIELD = /^ {2}(allocator|call|C site|C stack|Python|reproduce|conformance): (.*)$/;
const KEYS: Record<string, keyof CheckViolation> = {
  allocator: "allocator",
  call: "call",
  "C site": "cSite",
  "C stack": "cStack",
  Python: "python",
  reproduce: "reproduce",
  conformance: "conformance",
};
/** The launcher's line on a signal death. */
export const CRASH_LINE: RegExp =
  /^allocspec-python: Python died by (SIG\w+|a fatal signal) on allocator (.*) \(debug hooks: (\w+)\)(?:; check: (.*))?$/;

/**
 * Text with every character outside printable ASCII (tab and newline kept) escaped: `\xNN` for bytes
 * and Latin-1, `\u{...}` above; U+FFFD (an undecodable byte) becomes `\x??`.
 */
export function printable(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x09) out += ch;
    else if (c === 0xfffd) out += "\\x??";
    else if (c <= 0xff) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += `\\u{${c.toString(16)}}`;
  }
  return out;
}

/** Every violation block in `text` (stderr of one or many processes), in order. */
export function parseCheckViolations(text: string): CheckViolation[] {
  const out: CheckViolation[] = [];
  let cur: CheckViolation | undefined;
  for (const raw of printable(text).split("\n")) {
    const line = raw.replace(/\r$/, "");
    const m = VIOLATION_LINE.exec(line);
    if (m) {
      cur = { rule: m[1], domain: m[2], message: m[3] };
      out.push(cur);
      continue;
    }
    const f = cur ? FIELD.exec(line) : null;
    if (cur && f) (cur as unknown as Record<string, string>)[KEYS[f[1]]] = f[2];
    else cur = undefined;
  }
  return out;
}

/** The launcher's signal line in `text` (the last one), or undefined. */
export function parseCrashLine(text: string): CrashLine | undefined {
  let found: CrashLine | undefined;
  for (const raw of printable(text).split("\n")) {
    const m = CRASH_LINE.exec(raw.replace(/\r$/, ""));
    if (m) found = { signal: m[1], allocator: m[2], debugHooks: m[3], check: m[4], line: m[0] };
  }
  return found;
}

/**
 * The rule a crash itself breaks, from the check part of a crash line: a crash inside the allocator's
 * free(NULL), or while the layer read the old block of a failed realloc (the allocator released it).
 */
export function crashRule(line: CrashLine | undefined): string | undefined {
  const m = /(?:inside the allocator's [^;]*|the layer crashed reading [^;]*): violation of (\S+?);/.exec(
    `${line?.check ?? ""};`,
  );
  return m?.[1];
}

/** The count-mode summary's per-rule counts (`allocspec check: summary: ...`), summed over processes. */
export function parseSummaries(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of printable(text).matchAll(/^allocspec check: summary: \d+ violations? \(([^)]*)\)/gm)) {
    for (const part of m[1].split(", ")) {
      const p = /^(\S+) x(\d+)$/.exec(part);
      if (p) counts[p[1]] = (counts[p[1]] ?? 0) + Number(p[2]);
    }
  }
  return counts;
}

/** A violation as the layer prints it (first line and fields), for reports. */
export function formatViolation(v: CheckViolation, indent = ""): string {
  const lines = [`${indent}allocspec check: violation of ${v.rule} [${v.domain}] ${v.message}`];
  const fields: [string, string | undefined][] = [
    ["allocator", v.allocator],
    ["call", v.call],
    ["C site", v.cSite],
    ["Python", v.python],
    ["reproduce", v.reproduce],
    ["conformance", v.conformance],
  ];
  for (const [k, val] of fields) if (val) lines.push(`${indent}  ${k}: ${val}`);
  return printable(lines.join("\n"));
}
