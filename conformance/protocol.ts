/**
 * The worker protocol: one JSON object per line on a file descriptor of its own ({@link PROTO_FD}, a pipe
 * the pool opens as the worker's fd 3), never on stdout or stderr, which the target shares. Every message
 * is validated against what the pool asked for; anything else is a protocol error, which costs the run in
 * flight an ERROR (the worker is then replaced), never the whole run and never a replaced result.
 *
 * Messages (worker -> pool): `{"ready":true}` once the adapter is loaded, `{"fatal":"..."}` when it cannot
 * be, and `{"result":{...}}` for each run received on stdin (a {@link Result} for exactly that run).
 *
 * @example
 * ```ts
 * import { parseMessage } from "./protocol.ts";
 * const m = parseMessage('{"ready":true}', undefined);
 * console.log("ok" in m); // true
 * ```
 * @module
 */
import { type Result, STATUSES } from "./execute.ts";
import type { RunSpec } from "./plan.ts";

/** The worker's protocol file descriptor (stdio index in the pool's spawn). */
export const PROTO_FD = 3;

/** A validated message. */
export type Message = { ready: true } | { fatal: string } | { result: Result };

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Why `r` is not a result for `run` (undefined: it is). */
export function checkResult(r: unknown, run: RunSpec): string | undefined {
  if (!isObj(r)) return "result is not an object";
  const str = (k: string) => typeof r[k] === "string";
  if (!str("target") || !str("case") || !str("message") || !str("profile") || !str("domain")) {
    return "result lacks target, case, domain, profile or message";
  }
  if (r.case !== run.caseId || r.domain !== run.domain || r.profile !== run.profile) {
    return `result is for ${r.case}[${r.domain}]@${r.profile}, not the run asked for (${run.caseId}[${run.domain}]@${run.profile})`;
  }
  if ((r.variant ?? undefined) !== run.variant) {
    return `result is for variant ${r.variant}, not ${run.variant}`;
  }
  if (!STATUSES.includes(r.status as Result["status"])) {
    return `result has unknown status ${JSON.stringify(r.status)}`;
  }
  if (typeof r.ms !== "number" || !Number.isFinite(r.ms) || r.ms < 0) return "result has no valid ms";
  if (!isObj(r.spec) || typeof r.spec.section !== "string" || !Array.isArray(r.features)) {
    return "result lacks spec or features";
  }
  return undefined;
}

/**
 * Parses and validates one protocol line. `run` is the run in flight (undefined while waiting for the
 * ready line). Returns `{ ok }` or `{ error }` (one line, quoting the start of the bad message).
 */
export function parseMessage(line: string, run: RunSpec | undefined): { ok: Message } | { error: string } {
  const quote = JSON.stringify(line.slice(0, 120));
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return { error: `malformed protocol message (not JSON): ${quote}` };
  }
  if (!isObj(m)) return { error: `malformed protocol message (not an object): ${quote}` };
  if (typeof m.fatal === "string" && Object.keys(m).length === 1) return { ok: { fatal: m.fatal } };
  if (run === undefined) {
    if (m.ready === true && Object.keys(m).length === 1) return { ok: { ready: true } };
    return { error: `unexpected protocol message while starting: ${quote}` };
  }
  if (!("result" in m) || Object.keys(m).length !== 1) {
    return { error: `unexpected protocol message: ${quote}` };
  }
  const why = checkResult(m.result, run);
  if (why) return { error: `invalid result message (${why}): ${quote}` };
  return { ok: { result: m.result as Result } };
}
