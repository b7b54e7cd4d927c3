/**
 * Checks shared by the native and foreign tests (and usable by conformance): CPython's
 * `test_setallocators(domain)` (Modules/_testcapimodule.c, cpython-facts.md §5) with a TypeScript hook,
 * and PEP 445 use case 3 ("Setup Allocator Hooks") with TypeScript hooks on all three domains.
 *
 * @example
 * ```ts
 * import { checkSetAllocators } from "./hook_checks.ts";
 * // checkSetAllocators(pep445, PYMEM_DOMAIN_RAW); // throws on the first mismatch, always restores
 * ```
 * @module
 */
import type { Pep445, Ptr, PyMemAllocatorEx } from "../../ref/types.ts";

type Entry = {
  malloc: (n: number) => Ptr;
  calloc: (a: number, b: number) => Ptr;
  realloc: (p: Ptr, n: number) => Ptr;
  free: (p: Ptr) => void;
};

/** The entry points of `domain`. */
export function entryPoints(py: Pep445, domain: number): Entry {
  if (domain === 0) {
    return {
      malloc: (n) => py.PyMem_RawMalloc(n),
      calloc: (a, b) => py.PyMem_RawCalloc(a, b),
      realloc: (p, n) => py.PyMem_RawRealloc(p, n),
      free: (p) => py.PyMem_RawFree(p),
    };
  }
  if (domain === 1) {
    return {
      malloc: (n) => py.PyMem_Malloc(n),
      calloc: (a, b) => py.PyMem_Calloc(a, b),
      realloc: (p, n) => py.PyMem_Realloc(p, n),
      free: (p) => py.PyMem_Free(p),
    };
  }
  return {
    malloc: (n) => py.PyObject_Malloc(n),
    calloc: (a, b) => py.PyObject_Calloc(a, b),
    realloc: (p, n) => py.PyObject_Realloc(p, n),
    free: (p) => py.PyObject_Free(p),
  };
}

/**
 * CPython's test_setallocators(domain) with a TS hook wrapping the current allocator (got through Get):
 * the hook must be entered with ctx === the hook object and the exact sizes and pointers, for
 * malloc(42), realloc(ptr, 200), free(ptr2), calloc(2, 5), free. Throws an Error with CPython's message
 * on the first mismatch; always restores the previous allocator.
 */
export function checkSetAllocators(py: Pep445, domain: number): void {
  const old = py.PyMem_GetAllocator(domain);
  const hook = {
    ctx: null as unknown,
    malloc_size: 0,
    calloc_nelem: 0,
    calloc_elsize: 0,
    realloc_ptr: 0,
    realloc_new_size: 0,
    free_ptr: 0,
  };
  const a: PyMemAllocatorEx = {
    ctx: hook,
    malloc: (ctx, size) => {
      hook.ctx = ctx;
      hook.malloc_size = size;
      return old.malloc(old.ctx, size);
    },
    calloc: (ctx, nelem, elsize) => {
      hook.ctx = ctx;
      hook.calloc_nelem = nelem;
      hook.calloc_elsize = elsize;
      return old.calloc!(old.ctx, nelem, elsize);
    },
    realloc: (ctx, ptr, newSize) => {
      hook.ctx = ctx;
      hook.realloc_ptr = ptr;
      hook.realloc_new_size = newSize;
      return old.realloc(old.ctx, ptr, newSize);
    },
    free: (ctx, ptr) => {
      hook.ctx = ctx;
      hook.free_ptr = ptr;
      old.free(old.ctx, ptr);
    },
  };
  const e = entryPoints(py, domain);
  py.PyMem_SetAllocator(domain, a);
  try {
    const ptr = e.malloc(42);
    if (ptr === 0) throw new Error("malloc failed");
    if (hook.ctx !== hook) throw new Error("malloc wrong context");
    if (hook.malloc_size !== 42) throw new Error("malloc invalid size");
    hook.ctx = null;
    const ptr2 = e.realloc(ptr, 200);
    if (ptr2 === 0) throw new Error("realloc failed");
    if (hook.ctx !== hook) throw new Error("realloc wrong context");
    if (hook.realloc_ptr !== ptr || hook.realloc_new_size !== 200) {
      throw new Error("realloc invalid parameters");
    }
    hook.ctx = null;
    e.free(ptr2);
    if (hook.ctx !== hook) throw new Error("free wrong context");
    if (hook.free_ptr !== ptr2) throw new Error("free invalid pointer");
    hook.ctx = null;
    const ptr3 = e.calloc(2, 5);
    if (ptr3 === 0) throw new Error("calloc failed");
    if (hook.ctx !== hook) throw new Error("calloc wrong context");
    if (hook.calloc_nelem !== 2 || hook.calloc_elsize !== 5) {
      throw new Error("calloc invalid nelem or elsize");
    }
    hook.ctx = null;
    e.free(ptr3);
    if (hook.ctx !== hook) throw new Error("free wrong context");
    if (hook.free_ptr !== ptr3) throw new Error("free invalid pointer");
  } finally {
    py.PyMem_SetAllocator(domain, old);
  }
}

/** Per-domain call counts of {@link useCase3}. */
export interface HookCounts {
  malloc: [number, number, number];
  calloc: [number, number, number];
  realloc: [number, number, number];
  free: [number, number, number];
}

/**
 * PEP 445 use case 3 with TypeScript hooks: wrap the current allocator of every domain (got through Get)
 * with a counting hook, run `body`, restore. Returns the counts per domain.
 */
export function useCase3(py: Pep445, body: () => void): HookCounts {
  const counts: HookCounts = { malloc: [0, 0, 0], calloc: [0, 0, 0], realloc: [0, 0, 0], free: [0, 0, 0] };
  const olds = [0, 1, 2].map((d) => py.PyMem_GetAllocator(d));
  const hooks = olds.map((old, d): PyMemAllocatorEx => ({
    ctx: old, // the hook's ctx is the wrapped allocator, like the PEP's example (hook->ctx = &alloc)
    malloc: (ctx: PyMemAllocatorEx, n) => (counts.malloc[d]++, ctx.malloc(ctx.ctx, n)),
    calloc: old.calloc === null
      ? null
      : (ctx: PyMemAllocatorEx, a, b) => (counts.calloc[d]++, ctx.calloc!(ctx.ctx, a, b)),
    realloc: (ctx: PyMemAllocatorEx, p, n) => (counts.realloc[d]++, ctx.realloc(ctx.ctx, p, n)),
    free: (ctx: PyMemAllocatorEx, p) => {
      counts.free[d]++;
      ctx.free(ctx.ctx, p);
    },
  }));
  hooks.forEach((h, d) => py.PyMem_SetAllocator(d, h));
  try {
    body();
  } finally {
    olds.forEach((old, d) => py.PyMem_SetAllocator(d, old));
  }
  return counts;
}
