/**
 * The checking layer: every call of a real program checked against the conformance rules, directly
 * above the allocator under test (C: `check.h`, `libas_check.so`; the launcher installs it with
 * `launchSpec({ check: true })`). This module reads its rule list and its reports.
 *
 * @example
 * ```ts
 * import { CHECK_RULES, parseCheckViolations } from "./mod.ts";
 * CHECK_RULES.some((r) => r.id === "calloc/calloc_zeroes_recycled_memory"); // true
 * parseCheckViolations("no violation here").length; // 0
 * ```
 * @module
 */
export { CHECK_RULES, type CheckRule, parseRulesHeader, ruleById, RULES_HEADER } from "./rules.ts";
export {
  CHECK_EXIT_STATUS,
  type CheckViolation,
  CRASH_LINE,
  type CrashLine,
  crashRule,
  formatViolation,
  parseCheckViolations,
  parseCrashLine,
  parseSummaries,
  printable,
  VIOLATION_LINE,
} from "./report.ts";
