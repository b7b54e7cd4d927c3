/**
 * Failures grouped by cause: one bug (a `malloc(0)` that returns NULL) fails many cases across domains
 * and profiles with the same message up to its numbers; reports show that cause once, with the cases,
 * domains and profiles it hits, instead of one row per run. A cause is a target (column) + status + the
 * message with its numbers and addresses masked ({@link maskMessage}); its text keeps each number that
 * is the same in every run of the group and writes `N` (`0x…` for an address, `<url>` for a URL) where
 * they differ.
 * Plain data in, plain data out: used by the HTML page (report/page.ts) and the terminal reports.
 *
 * @example
 * ```ts
 * import { groupByCause } from "./causes.ts";
 * const runs = [
 *   { column: "jemalloc", status: "FAIL", message: "realloc(p, 24) returned 0x5581" },
 *   { column: "jemalloc", status: "FAIL", message: "realloc(p, 48) returned 0x77aa" },
 * ];
 * const [c] = groupByCause(runs, (r) => r);
 * c.text; // "realloc(p, N) returned 0x…"
 * c.runs.length; // 2
 * ```
 * @module
 */

/** What grouping needs of a run. */
export interface CauseKey {
  column: string;
  status: string;
  message: string;
}

/** A group of runs with one cause. */
export interface Cause<T> {
  /** stable within one report: `c1`, `c2`, ... in report order */
  id: string;
  column: string;
  status: string;
  /** the masked message: what makes runs one cause */
  key: string;
  /** the message as shown: numbers equal in every run kept, the others masked */
  text: string;
  runs: T[];
}

/**
 * What varies between runs of one bug: URLs (a crash banner's report link encodes the stack), hex
 * addresses, and decimal numbers standing alone (not inside identifiers like `ctx_v2`).
 */
const NUMBER = /https?:\/\/[^\s;,)]+|0x[0-9a-fA-F]+|(?<![\w.])\d+(?:\.\d+)?(?![\w])/g;

const mask = (m: string) => (m.startsWith("0x") ? "0x…" : /^https?:/.test(m) ? "<url>" : "N");

/** The message with every URL replaced by `<url>`, every address by `0x…` and every number by `N`. */
export function maskMessage(message: string): string {
  return message.replace(NUMBER, mask);
}

/** The displayed text of a group: numbers equal in all messages kept, the others masked. */
function unify(messages: readonly string[]): string {
  const split = messages.map((m) => {
    const nums = m.match(NUMBER) ?? [];
    return { nums, rest: m.split(NUMBER) };
  });
  const first = split[0];
  let out = first.rest[0];
  first.nums.forEach((n, i) => {
    const same = split.every((s) => s.nums[i] === n);
    out += same ? n : mask(n);
    out += first.rest[i + 1];
  });
  return out;
}

/**
 * Groups runs by column, status and masked message. Groups come in the order of the first run of each
 * column, then by size (largest first), then by first appearance; runs keep their order.
 */
export function groupByCause<T>(runs: readonly T[], get: (r: T) => CauseKey): Cause<T>[] {
  const groups = new Map<string, { column: string; status: string; key: string; runs: T[]; first: number }>();
  const columnOrder = new Map<string, number>();
  runs.forEach((r, i) => {
    const k = get(r);
    if (!columnOrder.has(k.column)) columnOrder.set(k.column, columnOrder.size);
    const key = maskMessage(k.message.trim());
    const id = `${k.column}\u0000${k.status}\u0000${key}`;
    let g = groups.get(id);
    if (!g) groups.set(id, g = { column: k.column, status: k.status, key, runs: [], first: i });
    g.runs.push(r);
  });
  const sorted = [...groups.values()].sort((a, b) =>
    columnOrder.get(a.column)! - columnOrder.get(b.column)! || b.runs.length - a.runs.length ||
    a.first - b.first
  );
  return sorted.map((g, i) => ({
    id: `c${i + 1}`,
    column: g.column,
    status: g.status,
    key: g.key,
    text: unify(g.runs.map((r) => get(r).message.trim())) || "(no message)",
    runs: g.runs,
  }));
}

/** "9 FAIL, 1 ERROR in 2 causes" for one column's causes (FAIL before ERROR; statuses with no run left out). */
export function causeCountText<T>(causes: readonly Cause<T>[]): string {
  const by = new Map<string, number>();
  for (const c of causes) by.set(c.status, (by.get(c.status) ?? 0) + c.runs.length);
  const order = ["FAIL", "ERROR", ...[...by.keys()].filter((s) => s !== "FAIL" && s !== "ERROR")];
  const counts = order.filter((s) => by.get(s)).map((s) => `${by.get(s)} ${s}`);
  return `${counts.join(", ")} in ${causes.length} cause${causes.length === 1 ? "" : "s"}`;
}

/** "a, b and 3 more" */
export function listText(xs: readonly string[], max = 4): string {
  if (xs.length <= max) return xs.join(", ");
  return `${xs.slice(0, max).join(", ")} and ${xs.length - max} more`;
}
