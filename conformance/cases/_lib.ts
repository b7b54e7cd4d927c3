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
import type { CaseContext } from "../context.ts";
import { hex } from "../context.ts";
import { type Ptr, PY_SSIZE_T_MAX, type PyObjectArenaAllocator } from "../../ref/types.ts";

export { hex };
/** PY_SSIZE_T_MAX + 1 */
export const ABOVE_MAX = PY_SSIZE_T_MAX + 1n;

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
