/**
 * Helpers shared by case bodies (not a case: files starting with "_" are skipped by discovery).
 *
 * @example
 * ```ts
 * import { nonNull } from "./_lib.ts";
 * // const p = nonNull(ctx, ctx.malloc(0), "malloc(0)");
 * ```
 * @module
 */
import type { CaseContext, HookCall, RecordingHook } from "../context.ts";
import type { FailableOp } from "../case.ts";
import { hex } from "../context.ts";
import { type Ptr, PY_SSIZE_T_MAX, type PyObjectArenaAllocator } from "../../ref/types.ts";

export { hex };
/** PY_SSIZE_T_MAX + 1 */
export const ABOVE_MAX = PY_SSIZE_T_MAX + 1n;

/** The allocator calls a failure-injecting case makes fail: every path a valid implementation may take. */
export const EVERY_ALLOCATING_PATH: readonly FailableOp[] = ["malloc", "calloc", "realloc"];

/** Makes every malloc, calloc and realloc reaching the hook answer NULL until it is uninstalled. */
export function failEveryPath(h: RecordingHook): void {
  for (const op of EVERY_ALLOCATING_PATH) h.failNext[op] = Infinity;
}

/** Ends {@link failEveryPath}: the next calls reach the allocator below again. */
export function stopFailing(h: RecordingHook): void {
  for (const op of EVERY_ALLOCATING_PATH) h.failNext[op] = 0;
}

/** The calls after index `from` that the hook failed (answered NULL without calling below). */
export function injectedFailures(h: RecordingHook, from = 0): HookCall[] {
  return h.calls.slice(from).filter((c) => c.failed === true);
}

/**
 * The precondition of a failure-injecting case as an observable: some call after index `from` was
 * failed by the hook. Otherwise the run ends as SKIP with the reason (`what` never reached the
 * allocator below, so the failure path was not exercised).
 */
export function requireInjectedFailure(ctx: CaseContext, h: RecordingHook, from: number, what: string): void {
  if (injectedFailures(h, from).length === 0) {
    const seen = h.calls.slice(from).map((c) => `${c.op}(${c.args.join(", ")})`).join(", ") || "no call";
    ctx.skip(
      `precondition not met: ${what} made no malloc, calloc or realloc call below (saw ${seen}), so the injected failure was never reached`,
    );
  }
}

/**
 * The bytes a recorded call asks for: malloc(n) and realloc(p, n) ask for n, calloc(nelem, elsize) for
 * the product, free for none. Judge sizes by this, never by "some argument": pymalloc's radix-tree node
 * is PyMem_RawCalloc(1, 131072) (cpython-facts.md §4), whose nelem of 1 is not a 1-byte request.
 */
export function requestedBytes(c: HookCall): number {
  switch (c.op) {
    case "malloc":
      return c.args[0];
    case "calloc":
      return c.args[0] * c.args[1];
    case "realloc":
      return c.args[1];
    case "free":
      return 0;
  }
}

/** Fails when p is NULL; returns p. */
export function nonNull(ctx: CaseContext, p: Ptr, what: string): Ptr {
  if (p === 0) ctx.fail(`${what} returned NULL, expected a non-NULL pointer`);
  return p;
}

/** Fails unless `got === want`. */
export function same<T>(ctx: CaseContext, got: T, want: T, what: string): void {
  if (got !== want) ctx.fail(`${what}: expected ${show(want)}, got ${show(got)}`);
}

function show(v: unknown): string {
  return typeof v === "number" && Number.isInteger(v) && v > 4096
    ? hex(v)
    : typeof v === "function"
    ? `function ${v.name || "(anonymous)"}`
    : String(v);
}

/** Fails when `bytes` is not all `value`. */
export function allBytes(ctx: CaseContext, bytes: Uint8Array, value: number, what: string): void {
  const i = bytes.findIndex((b) => b !== value);
  if (i >= 0) {
    ctx.fail(
      `${what}: byte ${i} of ${bytes.length} is 0x${bytes[i].toString(16)}, expected 0x${value.toString(16)}`,
    );
  }
}

/** The arena size of the instance's pymalloc geometry (cpython-facts.md §4). */
export function arenaSize(ctx: CaseContext): number {
  return ctx.py.geometry === "cpython310" ? 1 << 20 : 256 << 10;
}

/** A pass-through arena allocator over the current one, recording alloc/free calls. */
export function recordArenas(
  ctx: CaseContext,
): {
  allocs: Array<{ ptr: Ptr; size: number }>;
  frees: Array<{ ptr: Ptr; size: number; ctx: unknown }>;
  ctx: object;
} {
  const inner: PyObjectArenaAllocator = ctx.py.PyObject_GetArenaAllocator();
  const mine = { arenaHook: true };
  const rec = {
    allocs: [] as Array<{ ptr: Ptr; size: number }>,
    frees: [] as Array<{ ptr: Ptr; size: number; ctx: unknown }>,
    ctx: mine,
  };
  ctx.py.PyObject_SetArenaAllocator({
    ctx: mine,
    alloc(_c, size) {
      const ptr = inner.alloc(inner.ctx, size);
      rec.allocs.push({ ptr, size });
      return ptr;
    },
    free(c, ptr, size) {
      rec.frees.push({ ptr, size, ctx: c });
      inner.free(inner.ctx, ptr, size);
    },
  });
  return rec;
}

/**
 * What the target's DEFAULT allocators add to every request before it reaches the allocator below them:
 * the debug overhead (3S) on a build whose defaults carry the debug hooks (a `Py_DEBUG` build: cpython-facts.md
 * §2.8), else 0. Cases that observe the defaults judge a build by its own (issue 17).
 */
export function defaultOverhead(ctx: CaseContext): number {
  return ctx.target.defaults?.debugHooks ? ctx.debug.overhead : 0;
}

/** True on a build whose default allocators carry CPython's debug hooks (a `Py_DEBUG` build). */
export function debugByDefault(ctx: CaseContext): boolean {
  return ctx.target.defaults?.debugHooks === true;
}

/**
 * SKIP on a build whose default allocators already are CPython's debug hooks, for cases that put their
 * own allocator over the defaults and then call `PyMem_SetupDebugHooks()`: CPython keeps ONE saved
 * allocator per domain for its debug hooks, so the second call overwrites the slot the first layer reads
 * and the two layers call each other without end (cpython-facts.md §2.7). The case's setup does not exist
 * on such a build; what it checks is covered there by the defaults themselves.
 */
export function skipOverDebugDefaults(ctx: CaseContext): void {
  if (!debugByDefault(ctx)) return;
  ctx.skip(
    `the default allocators of this build already are the debug hooks (${
      ctx.target.defaults?.allocator ?? "debug"
    }): an allocator over them and PyMem_SetupDebugHooks() again recurse without end (cpython-facts.md §2.7, CPython's single saved allocator per domain)`,
  );
}
