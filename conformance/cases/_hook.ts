/**
 * Helpers of the hook cases (`hook_*` groups): the hook under test of a `hook:`/`tracemalloc` target and
 * the recorder + guard below it (conformance/adapters/hook_session.ts, hook_below.ts).
 *
 * @example
 * ```ts
 * import { hookOf } from "./_hook.ts";
 * // const { h, below } = hookOf(ctx); below.recorder.failNext.malloc = 1;
 * ```
 * @module
 */
import type { CaseContext } from "../context.ts";
import type { Below } from "../adapters/hook_below.ts";
import { type HookUnderTest, hookUnderTest } from "../adapters/hook_session.ts";

/** The hook under test and the layer below it in this run's domain. */
export function hookOf(ctx: CaseContext): { h: HookUnderTest; below: Below; hooked: boolean } {
  const h = hookUnderTest(ctx.py);
  if (!h) return ctx.fail(`${ctx.target.label} declares "hook" but carries no hook under test`);
  return { h, below: h.below[ctx.domain], hooked: h.hooked.has(ctx.domain) };
}

/** Makes every request reach the allocator below fail (true) or succeed again (false). */
export function belowFails(below: Below, on: boolean): void {
  const n = on ? 1_000_000 : 0;
  Object.assign(below.recorder.failNext, { malloc: n, calloc: n, realloc: n });
}

/** 2^64 - 1 */
export const SIZE_MAX = (1n << 64n) - 1n;

/** The block below that `p` (a pointer the hook returned) lives in: base <= p < base + size. */
export function baseOf(below: Below, p: number): number | undefined {
  for (const c of [...below.recorder.calls].reverse()) {
    const r = c.result ?? 0;
    const size = c.op === "calloc" ? c.args[0] * c.args[1] : c.op === "free" ? 0 : c.args[c.args.length - 1];
    if (r !== 0 && r <= p && p < r + Math.max(size, 1)) return r;
  }
  return undefined;
}
