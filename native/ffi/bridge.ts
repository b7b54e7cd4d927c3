/**
 * How JS values cross into C and come back identical: ctx handles and allocator-function callbacks.
 *
 * ctx (docs/contracts.md §5, ref/types.ts):
 * - `null` <-> NULL. A number (non-negative integer) or bigint is a raw pointer and
 *   crosses unchanged; a pointer coming back from C is a number when <= 2^53-1, else a bigint.
 * - Any other JS value (object, string, symbol, function, boolean, undefined) crosses as a **handle**: a fake address
 *   `HANDLE_BASE + 16*k` with HANDLE_BASE = 2^52. x86-64 Linux hands out user addresses below 2^47
 *   (above that only on explicit request under 5-level paging), so a handle is never a real pointer, and
 *   it stays below 2^53, so it is an exact JS number. Handles are process-unique (a global counter)
 *   and live until the owning instance's close()/reset(). The same value always gets the same handle.
 *   C code must never dereference a handle (a C allocator given a JS ctx would crash: give C a number).
 *
 * Functions (an allocator field):
 * - A JS function becomes a C trampoline (Deno.UnsafeCallback / bun:ffi JSCallback), cached per function
 *   and signature, so Get returns the very function object Set stored. JS callbacks are **main-thread
 *   only**: C must not call them from another thread (allocspec_stress_raw refuses such a RAW allocator).
 * - A C function pointer from Get becomes a JS wrapper calling C (cached per address, so repeated Gets
 *   give the same wrapper); installing that wrapper again passes the raw pointer (no JS on the path).
 * - A throw inside a JS allocator cannot unwind through C: it is caught, the C caller gets NULL (or
 *   nothing, for free), and the error is rethrown by the entry point after the C call returns.
 *
 * @module
 */
import type { FfiBackend, FfiCallback, NeutralFn } from "./ffi_types.ts";
import { MAX_SAFE_BIG } from "./ffi_types.ts";
import { FN_SIGS, type FnKind } from "./symbols.ts";
import { checkHookSize } from "../../ref/sizes.ts";
import { enableFnCallThunks } from "./fncall.ts";

/** First handle address: 2^52 (above the 47-bit user address space, below 2^53). */
export const HANDLE_BASE = 2 ** 52;
/** Spacing between handles (looks like an aligned pointer). */
export const HANDLE_STRIDE = 16;
/** One past the last handle address. */
export const HANDLE_END = HANDLE_BASE + HANDLE_STRIDE * 2 ** 32;

let nextHandle = 0; // process-wide: handles of two instances never collide

/** True when `p` is in the handle range. */
export function isHandleAddress(p: number | bigint): boolean {
  return typeof p === "number" && p >= HANDLE_BASE && p < HANDLE_END;
}

// deno-lint-ignore no-explicit-any
type Any = any;

/** Per-instance state for values crossing the FFI boundary. */
export class Bridge {
  #ffi: FfiBackend;
  #handleOf = new Map<unknown, number>();
  #valueOf = new Map<number, unknown>();
  /** JS callbacks per kind: function -> trampoline. */
  #callbacks = new Map<FnKind, Map<NeutralFn, FfiCallback>>();
  /** trampoline address -> the JS function it calls. */
  #jsAt = new Map<number, NeutralFn>();
  /** C wrappers per kind: address -> wrapper; and wrapper -> address. */
  #wrappers = new Map<FnKind, Map<number, NeutralFn>>();
  #addressOf = new WeakMap<NeutralFn, number>();
  /** The first error thrown by a JS allocator since the last check. */
  pending: unknown = undefined;
  #hasPending = false;

  constructor(ffi: FfiBackend) {
    this.#ffi = ffi;
  }

  /** JS ctx -> C pointer. */
  ctxToPtr(v: unknown): number | bigint {
    if (v === null) return 0;
    if (typeof v === "number") {
      if (Number.isInteger(v) && v >= 0) return v;
      throw new RangeError(`ctx number must be a non-negative integer (a raw pointer), got ${v}`);
    }
    if (typeof v === "bigint") {
      if (v >= 0n && v < 1n << 64n) return v <= MAX_SAFE_BIG ? Number(v) : v;
      throw new RangeError(`ctx bigint must be a raw pointer in [0, 2^64), got ${v}`);
    }
    let h = this.#handleOf.get(v);
    if (h === undefined) {
      if (nextHandle >= 2 ** 32) throw new RangeError("ctx handle table exhausted (2^32 handles)");
      h = HANDLE_BASE + HANDLE_STRIDE * nextHandle++;
      this.#handleOf.set(v, h);
      this.#valueOf.set(h, v);
    }
    return h;
  }

  /** C pointer -> JS ctx. */
  ptrToCtx(p: number | bigint): unknown {
    if (p === 0) return null;
    if (typeof p === "number" && p >= HANDLE_BASE && this.#valueOf.has(p)) return this.#valueOf.get(p);
    return p;
  }

  /** True when `p` is one of this bridge's JS trampolines. */
  isJs(p: number): boolean {
    return this.#jsAt.has(p);
  }

  /** Allocator function -> C address (0 for null). Throws a TypeError naming `what` for anything else. */
  fnToPtr(kind: FnKind, value: unknown, what: string): number {
    if (value === null) return 0;
    if (typeof value !== "function") {
      throw new TypeError(
        `${what} must be a function, got ${value === undefined ? "undefined" : typeof value}`,
      );
    }
    const fn = value as NeutralFn;
    const a = this.#addressOf.get(fn);
    if (a !== undefined) return a;
    let byFn = this.#callbacks.get(kind);
    if (!byFn) this.#callbacks.set(kind, byFn = new Map());
    let cb = byFn.get(fn);
    if (!cb) {
      cb = this.#ffi.callback(FN_SIGS[kind], this.#trampoline(kind, fn));
      byFn.set(fn, cb);
      this.#jsAt.set(cb.ptr, fn);
    }
    return cb.ptr;
  }

  /** C address -> allocator function (null for NULL): the JS function when it is ours, else a C wrapper. */
  ptrToFn(kind: FnKind, p: number | bigint): Any {
    if (p === 0) return null;
    if (typeof p !== "number") {
      throw new RangeError(`function pointer 0x${p.toString(16)} is not a valid address`);
    }
    const js = this.#jsAt.get(p);
    if (js) return js;
    let byAddr = this.#wrappers.get(kind);
    if (!byAddr) this.#wrappers.set(kind, byAddr = new Map());
    let w = byAddr.get(p);
    if (!w) {
      enableFnCallThunks(); // Deno: fast calls through C pointers (once per process)
      w = this.#cWrapper(kind, this.#ffi.fnPointer(p, FN_SIGS[kind]));
      byAddr.set(p, w);
      this.#addressOf.set(w, p);
    }
    return w;
  }

  /** A JS function calling the C allocator function `p` (for allocatorFromStruct and Get). */
  cFunction(kind: FnKind, p: number): Any {
    return p === 0 ? null : this.ptrToFn(kind, p);
  }

  /** Rethrows (once) an error thrown by a JS allocator during the last C call. */
  throwPending(): void {
    if (this.#hasPending) {
      const e = this.pending;
      this.pending = undefined;
      this.#hasPending = false;
      throw e;
    }
  }

  get hasPending(): boolean {
    return this.#hasPending;
  }

  #record(e: unknown): void {
    if (!this.#hasPending) {
      this.pending = e;
      this.#hasPending = true;
    }
  }

  /** What C calls: convert ctx, call the JS allocator, validate its result, never throw. */
  #trampoline(kind: FnKind, fn: NeutralFn): NeutralFn {
    const vals = this.#valueOf;
    const ctx = (
      p: number | bigint,
    ) => (p === 0 ? null : typeof p === "number" && p >= HANDLE_BASE && vals.has(p) ? vals.get(p) : p);
    const res = (r: unknown): number | bigint => {
      if (typeof r === "number" && r >= 0 && Number.isInteger(r)) return r;
      if (r === null || r === undefined) return 0;
      if (typeof r === "bigint" && r >= 0n && r < 1n << 64n) return r;
      this.#record(
        new TypeError(`${kind} allocator returned ${String(r)}: expected a pointer (non-negative integer)`),
      );
      return 0;
    };
    const fail = (e: unknown) => {
      this.#record(e);
      return 0;
    };
    switch (kind) {
      case "malloc":
      case "arenaAlloc":
        return (c: number, n: number) => {
          try {
            return res(fn(ctx(c), n));
          } catch (e) {
            return fail(e);
          }
        };
      case "calloc":
        return (c: number, a: number, b: number) => {
          try {
            return res(fn(ctx(c), a, b));
          } catch (e) {
            return fail(e);
          }
        };
      case "realloc":
        return (c: number, p: number, n: number) => {
          try {
            return res(fn(ctx(c), p, n));
          } catch (e) {
            return fail(e);
          }
        };
      case "free":
        return (c: number, p: number) => {
          try {
            fn(ctx(c), p);
          } catch (e) {
            fail(e);
          }
        };
      case "arenaFree":
        return (c: number, p: number, n: number) => {
          try {
            fn(ctx(c), p, n);
          } catch (e) {
            fail(e);
          }
        };
    }
  }

  /** A JS allocator function calling C function `f` (ctx JS -> C, sizes checked like entry points). */
  #cWrapper(kind: FnKind, f: NeutralFn): NeutralFn {
    const c = (v: unknown) => this.ctxToPtr(v);
    const after = () => {
      if (this.#hasPending) this.throwPending();
    };
    switch (kind) {
      case "malloc":
      case "arenaAlloc":
        return (ctx: unknown, n: number) => {
          const r = f(c(ctx), checkHookSize(n, "size"));
          after();
          return r;
        };
      case "calloc":
        return (ctx: unknown, a: number, b: number) => {
          const r = f(c(ctx), checkHookSize(a, "nelem"), checkHookSize(b, "elsize"));
          after();
          return r;
        };
      case "realloc":
        return (ctx: unknown, p: number, n: number) => {
          const r = f(c(ctx), checkPtr(p, "ptr"), checkHookSize(n, "new_size"));
          after();
          return r;
        };
      case "free":
        return (ctx: unknown, p: number) => {
          f(c(ctx), checkPtr(p, "ptr"));
          after();
        };
      case "arenaFree":
        return (ctx: unknown, p: number, n: number) => {
          f(c(ctx), checkPtr(p, "ptr"), checkHookSize(n, "size"));
          after();
        };
    }
  }

  /** Releases every trampoline and handle (C must no longer reference them). */
  close(): void {
    for (const byFn of this.#callbacks.values()) for (const cb of byFn.values()) cb.close();
    this.#callbacks.clear();
    this.#jsAt.clear();
    this.#handleOf.clear();
    this.#valueOf.clear();
    this.pending = undefined;
    this.#hasPending = false;
  }
}

/** Validates a pointer argument: a non-negative integer number (or a bigint below 2^64). */
export function checkPtr(p: unknown, what: string): number | bigint {
  if (typeof p === "number") {
    if (Number.isInteger(p) && p >= 0) return p;
  } else if (typeof p === "bigint") {
    if (p >= 0n && p < 1n << 64n) return p;
  } else if (p === null) return 0;
  throw new TypeError(
    `${what} must be a pointer (a non-negative integer number, 0 = NULL), got ${String(p)}`,
  );
}
