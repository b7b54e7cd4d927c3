/**
 * The worker protocol: one JSON object per line on a file descriptor of its own ({@link PROTO_FD}, a pipe
 * the pool opens as the worker's fd 3), never on stdout or stderr, which the target shares. Every message
 * is validated against what the pool asked for; anything else is a protocol error, which costs the run in
 * flight an ERROR (the worker is then replaced), never the whole run and never a replaced result.
 *
 * Messages (worker -> pool): `{"ready":true}` once the adapter is loaded, `{"fatal":"..."}` when it cannot
 * be, and `{"result":{...},"nonce":"..."}` for each run received on stdin (a {@link Result} for exactly
 * that run, with the run's nonce).
 *
 * The runner trusts nothing a target writes (issue 17). The target runs in the worker's process and can
 * write to fd 3 like anyone there (a malloc that writes a well-formed result line turned its own FAIL into
 * PASS, under a made-up target name). So:
 * - each run request carries a fresh random `nonce` (128 bits, on the worker's stdin, read by the worker's
 *   JavaScript before the case starts); a result is accepted only with that nonce, once;
 * - of an accepted result the runner keeps the status, message and duration: its identity (target, case,
 *   domain, variant, profile) and its spec and features come from the runner's own work item, never from
 *   the message ({@link trustedResult}).
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

/** A fresh nonce for one run request. */
export function newNonce(): string {
  return crypto.randomUUID();
}

/**
 * The result the runner records for a worker's validated reply: identity, spec, features and the
 * informational flag from `expected` (built by the runner from its work item), only status, message and
 * duration from the reply.
 */
export function trustedResult(expected: Result, reply: Result): Result {
  return { ...expected, status: reply.status, message: reply.message, ms: reply.ms };
}

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
 * ready line) and `nonce` the one sent with it (a result without it is refused). Returns `{ ok }` or
 * `{ error }` (one line, quoting the start of the bad message).
 */
export function parseMessage(
  line: string,
  run: RunSpec | undefined,
  nonce?: string,
): { ok: Message } | { error: string } {
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
  const keys = Object.keys(m).sort().join(",");
  if (keys !== (nonce === undefined ? "result" : "nonce,result")) {
    return { error: `unexpected protocol message: ${quote}` };
  }
  if (nonce !== undefined && m.nonce !== nonce) {
    return { error: `unauthenticated result (not the nonce of the run in flight): ${quote}` };
  }
  const why = checkResult(m.result, run);
  if (why) return { error: `invalid result message (${why}): ${quote}` };
  return { ok: { result: m.result as Result } };
}
