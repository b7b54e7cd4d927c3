/**
 * The checking layer's rules as TypeScript sees them: read from the one list C compiles,
 * `rules.h`'s `AS_CHECK_RULES(X)` X-macro (memray's style: C and TS agree by reading one file).
 * Each rule id is the id of the conformance case that checks the same observable in isolation
 * (`conformance/cases/<id>.ts`), so a violation links to that case, its spec section and quote.
 *
 * @example
 * ```ts
 * import { CHECK_RULES, ruleById } from "./rules.ts";
 * CHECK_RULES.length > 20; // true
 * ruleById("no_overlap/live_blocks_never_overlap")?.name; // "OVERLAP"
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One rule: its C name (`AS_CHECK_<name>`), its conformance case id and the layer's summary. */
export interface CheckRule {
  name: string;
  id: string;
  what: string;
}

/** Path of rules.h (shipped with the package). */
export const RULES_HEADER: string = fileURLToPath(new URL("./rules.h", import.meta.url));

/** Parses the `X(NAME, "id", "what")` entries of an AS_CHECK_RULES X-macro (continuation lines joined). */
export function parseRulesHeader(text: string): CheckRule[] {
  const body = text.replace(/\\\n/g, " ");
  const start = body.indexOf("#define AS_CHECK_RULES(X)");
  if (start < 0) throw new Error("rules.h: no #define AS_CHECK_RULES(X)");
  const macro = body.slice(start).split("\n")[0];
  const rules: CheckRule[] = [];
  for (const m of macro.matchAll(/X\(\s*(\w+)\s*,\s*"([^"]+)"\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)/g)) {
    const what = [...m[3].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((s) => s[1]).join("");
    rules.push({ name: m[1], id: m[2], what });
  }
  return rules;
}

/** Every rule, in the C enum's order. */
export const CHECK_RULES: readonly CheckRule[] = parseRulesHeader(readFileSync(RULES_HEADER, "utf8"));

/** The rule with this conformance case id, or undefined. */
export function ruleById(id: string): CheckRule | undefined {
  return CHECK_RULES.find((r) => r.id === id);
}
