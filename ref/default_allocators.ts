/**
 * The default allocators of the three domains (PEP 445 "Make usage of these new APIs";
 * cpython-facts.md §1.3, contracts §2):
 *
 * | domain | cpython profile        | pep445-2013 profile                                       |
 * |--------|------------------------|-----------------------------------------------------------|
 * | RAW    | `_PyMem_RawMalloc` ... | the same                                                  |
 * | MEM    | pymalloc               | `_PyMem_RawMalloc` ("PyMem_Malloc() ... always call malloc()") |
 * | OBJ    | pymalloc               | pymalloc                                                  |
 *
 * `_PyMem_RawMalloc` and friends (pycore_allocators.h) put CPython's zero-size rules on top of the
 * system malloc ({@link RawAllocator}): malloc(0) -> malloc(1), calloc(0, x) and calloc(x, 0) ->
 * calloc(1, 1), realloc(p, 0) -> realloc(p, 1). Their ctx is NULL, as in CPython.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { RawAllocator } from "./raw.ts";
 * import { rawDefaultAllocator } from "./default_allocators.ts";
 * const a = rawDefaultAllocator(new RawAllocator(new Heap()));
 * const p = a.malloc(a.ctx, 0); // a distinct 1-byte block
 * a.free(a.ctx, p);
 * ```
 * @module
 */
import type { Ptr, PyMemAllocatorEx } from "./types.ts";

/** What the default allocators need of the system malloc (ref/raw.ts `RawAllocator` has it). */
export interface SystemMalloc {
  malloc(size: number): Ptr;
  calloc(nelem: number, elsize: number): Ptr;
  realloc(ptr: Ptr, size: number): Ptr;
  free(ptr: Ptr): void;
}

/** What the pymalloc allocator functions call (ref/pymalloc.ts `Pymalloc` has it). */
export interface ObjectMalloc {
  malloc(n: number): Ptr;
  calloc(nelem: number, elsize: number): Ptr;
  realloc(p: Ptr, n: number): Ptr;
  free(p: Ptr): void;
}

/** CPython's `{NULL, _PyMem_RawMalloc, _PyMem_RawCalloc, _PyMem_RawRealloc, _PyMem_RawFree}`. */
export function rawDefaultAllocator(sys: SystemMalloc): PyMemAllocatorEx {
  function _PyMem_RawMalloc(_ctx: unknown, size: number): Ptr {
    // PyMem_RawMalloc(0) means malloc(1): some systems would return NULL for malloc(0).
    return sys.malloc(size === 0 ? 1 : size);
  }
  function _PyMem_RawCalloc(_ctx: unknown, nelem: number, elsize: number): Ptr {
    // PyMem_RawCalloc(0, 0) means calloc(1, 1).
    if (nelem === 0 || elsize === 0) {
      nelem = 1;
      elsize = 1;
    }
    return sys.calloc(nelem, elsize);
  }
  function _PyMem_RawRealloc(_ctx: unknown, ptr: Ptr, size: number): Ptr {
    return sys.realloc(ptr, size === 0 ? 1 : size);
  }
  function _PyMem_RawFree(_ctx: unknown, ptr: Ptr): void {
    sys.free(ptr);
  }
  return Object.freeze({
    ctx: null,
    malloc: _PyMem_RawMalloc,
    calloc: _PyMem_RawCalloc,
    realloc: _PyMem_RawRealloc,
    free: _PyMem_RawFree,
  });
}

/** CPython's `{NULL, _PyObject_Malloc, _PyObject_Calloc, _PyObject_Realloc, _PyObject_Free}`. */
export function pymallocAllocator(pm: ObjectMalloc): PyMemAllocatorEx {
  function _PyObject_Malloc(_ctx: unknown, size: number): Ptr {
    return pm.malloc(size);
  }
  function _PyObject_Calloc(_ctx: unknown, nelem: number, elsize: number): Ptr {
    return pm.calloc(nelem, elsize);
  }
  function _PyObject_Realloc(_ctx: unknown, ptr: Ptr, size: number): Ptr {
    return pm.realloc(ptr, size);
  }
  function _PyObject_Free(_ctx: unknown, ptr: Ptr): void {
    pm.free(ptr);
  }
  return Object.freeze({
    ctx: null,
    malloc: _PyObject_Malloc,
    calloc: _PyObject_Calloc,
    realloc: _PyObject_Realloc,
    free: _PyObject_Free,
  });
}
