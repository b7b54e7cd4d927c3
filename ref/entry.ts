/**
 * The twelve entry points (`PyMem_RawMalloc` ... `PyObject_Free`) with CPython's rules (obmalloc.c;
 * cpython-facts.md §1.3, PEP 445 "API changes"):
 *
 * - sizes are checked first (sizes.ts): a JS value no `size_t` can hold throws, naming the argument; a
 *   size above PY_SSIZE_T_MAX, or a calloc product above it, returns NULL *without calling the
 *   allocator*;
 * - everything else reaches the domain's allocator untouched: `malloc(0)`, `calloc(3, 5)`,
 *   `realloc(NULL, 8)` (not rewritten as malloc), `realloc(p, 0)` and `free(NULL)` all call the hook;
 * - a domain set through the 2013 API has no calloc: `*Calloc` calls `malloc(nelem * elsize)` and zeroes
 *   the block (contracts §2).
 *
 * Hot path: each entry point first takes a fast path for number arguments below 2^32 (`(v >>> 0) === v`:
 * no Math.floor, no shared helper, so each call site of the domain allocator stays monomorphic); any
 * other argument goes through the full checks. No allocation and no BigInt either way.
 *
 * @example
 * ```ts
 * import { createRef } from "./mod.ts";
 * const py = createRef();
 * py.PyMem_Malloc(2n ** 63n); // 0: above PY_SSIZE_T_MAX, the allocator is not called
 * ```
 * @module
 */
import { NULL, type Ptr, type PyMemAllocatorEx, type PyObjectArenaAllocator, type SizeArg } from "./types.ts";
import { callocTooBig, checkSize, hookSize, sizeTooBig } from "./sizes.ts";
import { callCalloc, Domains } from "./domains.ts";

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A checked size as an allocator receives it, or -1 when the entry point must return NULL. */
function sizeArg(v: SizeArg, what: string): number {
  if (typeof v === "number" && v >= 0 && v <= MAX_SAFE && Math.floor(v) === v) return v;
  const c = checkSize(v, what);
  return sizeTooBig(c) ? -1 : hookSize(c);
}

/** Checks a pointer argument: a non-negative safe integer (0 is NULL). */
function ptrArg(p: Ptr, what: string): void {
  if (typeof p === "number" && p >= 0 && p <= MAX_SAFE && Math.floor(p) === p) return;
  if (typeof p !== "number") {
    throw new TypeError(`${what} must be a pointer (a number, 0 for NULL), got ${typeof p}`);
  }
  throw new RangeError(`${what} must be a non-negative safe integer address, got ${p}`);
}

/** Checks calloc's two sizes; returns false when the product exceeds PY_SSIZE_T_MAX (NULL). */
function callocArgs(nelem: SizeArg, elsize: SizeArg, what: string, out: Float64Array): boolean {
  if (
    typeof nelem === "number" && typeof elsize === "number" && nelem >= 0 && elsize >= 0 &&
    nelem * elsize <= MAX_SAFE && Math.floor(nelem) === nelem && Math.floor(elsize) === elsize
  ) {
    out[0] = nelem;
    out[1] = elsize;
    return true;
  }
  const a = checkSize(nelem, what + " nelem");
  const b = checkSize(elsize, what + " elsize");
  if (callocTooBig(a, b)) return false;
  out[0] = hookSize(a);
  out[1] = hookSize(b);
  return true;
}

/** The entry points over the allocator table; `_bytes` serves the zero fill of a calloc-less domain. */
export class EntryPoints extends Domains {
  protected readonly _bytes: { readonly u8: Uint8Array };
  readonly #cargs = new Float64Array(2);

  constructor(
    bytes: { readonly u8: Uint8Array },
    raw: PyMemAllocatorEx,
    mem: PyMemAllocatorEx,
    obj: PyMemAllocatorEx,
    arena: PyObjectArenaAllocator,
  ) {
    super(raw, mem, obj, arena);
    this._bytes = bytes;
  }

  #malloc(a: PyMemAllocatorEx, size: SizeArg, what: string): Ptr {
    const n = sizeArg(size, what);
    return n < 0 ? NULL : a.malloc(a.ctx, n);
  }
  #calloc(a: PyMemAllocatorEx, nelem: SizeArg, elsize: SizeArg, what: string): Ptr {
    const c = this.#cargs;
    if (!callocArgs(nelem, elsize, what, c)) return NULL;
    return a.calloc !== null ? a.calloc(a.ctx, c[0], c[1]) : callCalloc(a, c[0], c[1], this._bytes);
  }
  #realloc(a: PyMemAllocatorEx, ptr: Ptr, size: SizeArg, what: string, pwhat: string): Ptr {
    ptrArg(ptr, pwhat);
    const n = sizeArg(size, what);
    return n < 0 ? NULL : a.realloc(a.ctx, ptr, n);
  }
  #free(a: PyMemAllocatorEx, ptr: Ptr, what: string): void {
    ptrArg(ptr, what);
    a.free(a.ctx, ptr);
  }

  PyMem_RawMalloc(size: SizeArg): Ptr {
    const a = this._raw;
    if (typeof size === "number" && (size >>> 0) === size) return a.malloc(a.ctx, size); // fast path
    return this.#malloc(a, size, "PyMem_RawMalloc() size");
  }
  PyMem_RawCalloc(nelem: SizeArg, elsize: SizeArg): Ptr {
    const a = this._raw;
    if (
      typeof nelem === "number" && typeof elsize === "number" && (nelem >>> 0) === nelem &&
      (elsize >>> 0) === elsize &&
      nelem * elsize <= MAX_SAFE && a.calloc !== null
    ) return a.calloc(a.ctx, nelem, elsize); // fast path
    return this.#calloc(a, nelem, elsize, "PyMem_RawCalloc()");
  }
  PyMem_RawRealloc(ptr: Ptr, newSize: SizeArg): Ptr {
    const a = this._raw;
    if (
      typeof ptr === "number" && typeof newSize === "number" && (ptr >>> 0) === ptr &&
      (newSize >>> 0) === newSize
    ) {
      return a.realloc(a.ctx, ptr, newSize); // fast path
    }
    return this.#realloc(a, ptr, newSize, "PyMem_RawRealloc() new_size", "PyMem_RawRealloc() ptr");
  }
  PyMem_RawFree(ptr: Ptr): void {
    const a = this._raw;
    if (typeof ptr === "number" && (ptr >>> 0) === ptr) { // fast path
      a.free(a.ctx, ptr);
      return;
    }
    this.#free(a, ptr, "PyMem_RawFree() ptr");
  }

  PyMem_Malloc(size: SizeArg): Ptr {
    const a = this._mem;
    if (typeof size === "number" && (size >>> 0) === size) return a.malloc(a.ctx, size); // fast path
    return this.#malloc(a, size, "PyMem_Malloc() size");
  }
  PyMem_Calloc(nelem: SizeArg, elsize: SizeArg): Ptr {
    const a = this._mem;
    if (
      typeof nelem === "number" && typeof elsize === "number" && (nelem >>> 0) === nelem &&
      (elsize >>> 0) === elsize &&
      nelem * elsize <= MAX_SAFE && a.calloc !== null
    ) return a.calloc(a.ctx, nelem, elsize); // fast path
    return this.#calloc(a, nelem, elsize, "PyMem_Calloc()");
  }
  PyMem_Realloc(ptr: Ptr, newSize: SizeArg): Ptr {
    const a = this._mem;
    if (
      typeof ptr === "number" && typeof newSize === "number" && (ptr >>> 0) === ptr &&
      (newSize >>> 0) === newSize
    ) {
      return a.realloc(a.ctx, ptr, newSize); // fast path
    }
    return this.#realloc(a, ptr, newSize, "PyMem_Realloc() new_size", "PyMem_Realloc() ptr");
  }
  PyMem_Free(ptr: Ptr): void {
    const a = this._mem;
    if (typeof ptr === "number" && (ptr >>> 0) === ptr) { // fast path
      a.free(a.ctx, ptr);
      return;
    }
    this.#free(a, ptr, "PyMem_Free() ptr");
  }

  PyObject_Malloc(size: SizeArg): Ptr {
    const a = this._obj;
    if (typeof size === "number" && (size >>> 0) === size) return a.malloc(a.ctx, size); // fast path
    return this.#malloc(a, size, "PyObject_Malloc() size");
  }
  PyObject_Calloc(nelem: SizeArg, elsize: SizeArg): Ptr {
    const a = this._obj;
    if (
      typeof nelem === "number" && typeof elsize === "number" && (nelem >>> 0) === nelem &&
      (elsize >>> 0) === elsize &&
      nelem * elsize <= MAX_SAFE && a.calloc !== null
    ) return a.calloc(a.ctx, nelem, elsize); // fast path
    return this.#calloc(a, nelem, elsize, "PyObject_Calloc()");
  }
  PyObject_Realloc(ptr: Ptr, newSize: SizeArg): Ptr {
    const a = this._obj;
    if (
      typeof ptr === "number" && typeof newSize === "number" && (ptr >>> 0) === ptr &&
      (newSize >>> 0) === newSize
    ) {
      return a.realloc(a.ctx, ptr, newSize); // fast path
    }
    return this.#realloc(a, ptr, newSize, "PyObject_Realloc() new_size", "PyObject_Realloc() ptr");
  }
  PyObject_Free(ptr: Ptr): void {
    const a = this._obj;
    if (typeof ptr === "number" && (ptr >>> 0) === ptr) { // fast path
      a.free(a.ctx, ptr);
      return;
    }
    this.#free(a, ptr, "PyObject_Free() ptr");
  }
}
