/**
 * The allocator table: one `PyMemAllocatorEx` per domain (RAW, MEM, OBJ) plus the arena allocator, and
 * their getters and setters in both API forms (PEP 445 "API changes"; cpython-facts.md §1.2, §1.4).
 *
 * - Shipped (3.5+): `PyMem_GetAllocator(domain)` / `PyMem_SetAllocator(domain, a)`,
 *   `PyObject_GetArenaAllocator()` / `PyObject_SetArenaAllocator(a)`.
 * - 2013 draft: `PyMem_Get/SetRawAllocators`, `PyMem_Get/SetAllocators`, `PyObject_Get/SetAllocators`
 *   (struct `PyMemAllocators`, no calloc: Set stores `calloc = null`) and
 *   `_PyObject_Get/SetArenaAllocators(ctx, malloc, free)`.
 *
 * Get and Set copy by value, like the C structs: Get returns a fresh object whose fields are `===` what
 * Set stored; changing the caller's object afterwards changes nothing. An unknown domain number reads as
 * all-null fields and is ignored by Set (obmalloc.c get/set_allocator_unlocked).
 *
 * @example
 * ```ts
 * import { createRef, PYMEM_DOMAIN_MEM } from "./mod.ts";
 * const py = createRef();
 * const old = py.PyMem_GetAllocator(PYMEM_DOMAIN_MEM);
 * py.PyMem_SetAllocator(PYMEM_DOMAIN_MEM, { ...old, ctx: "mine" });
 * py.PyMem_GetAllocator(PYMEM_DOMAIN_MEM).malloc === old.malloc; // true
 * ```
 * @module
 */
import type { Ptr, PyMemAllocatorEx, PyMemAllocators, PyObjectArenaAllocator } from "./types.ts";

/** `calloc` through an allocator; one without calloc (set through the 2013 API) gets malloc + zero fill. */
export function callCalloc(
  a: PyMemAllocatorEx,
  nelem: number,
  elsize: number,
  mem: { readonly u8: Uint8Array },
): Ptr {
  if (a.calloc !== null) return a.calloc(a.ctx, nelem, elsize);
  const n = nelem * elsize;
  const p = a.malloc(a.ctx, n);
  if (p !== 0 && n > 0) mem.u8.fill(0, p, p + n);
  return p;
}

function fn(v: unknown, api: string, field: string): void {
  if (typeof v !== "function") {
    throw new TypeError(
      `${api}: allocator.${field} must be a function, got ${v === null ? "null" : typeof v}`,
    );
  }
}

/** Validates and copies a `PyMemAllocatorEx` (calloc may be null or absent: the 2013 struct's lack of it). */
export function copyAllocator(a: unknown, api: string, withCalloc: boolean): PyMemAllocatorEx {
  if (typeof a !== "object" || a === null) {
    throw new TypeError(
      `${api}: the allocator must be an object {ctx, malloc, ${withCalloc ? "calloc, " : ""}realloc, free}`,
    );
  }
  const s = a as Record<string, unknown>;
  fn(s.malloc, api, "malloc");
  fn(s.realloc, api, "realloc");
  fn(s.free, api, "free");
  const calloc = withCalloc && s.calloc !== undefined && s.calloc !== null ? s.calloc : null;
  if (calloc !== null) fn(calloc, api, "calloc");
  return Object.freeze({
    ctx: s.ctx,
    malloc: s.malloc,
    calloc,
    realloc: s.realloc,
    free: s.free,
  }) as PyMemAllocatorEx;
}

/** Validates and copies a `PyObjectArenaAllocator`. */
export function copyArenaAllocator(a: unknown, api: string): PyObjectArenaAllocator {
  if (typeof a !== "object" || a === null) {
    throw new TypeError(`${api}: the arena allocator must be an object {ctx, alloc, free}`);
  }
  const s = a as Record<string, unknown>;
  fn(s.alloc, api, "alloc");
  fn(s.free, api, "free");
  return Object.freeze({ ctx: s.ctx, alloc: s.alloc, free: s.free }) as PyObjectArenaAllocator;
}

function checkDomain(domain: unknown, api: string): void {
  if (typeof domain !== "number") {
    throw new TypeError(`${api}: domain must be a number (PYMEM_DOMAIN_RAW/MEM/OBJ), got ${typeof domain}`);
  }
}

const NULL_ALLOCATOR = { ctx: null, malloc: null, calloc: null, realloc: null, free: null };

/**
 * The table and its Get/Set functions. Entry points (entry.ts) read `_raw`, `_mem`, `_obj` directly:
 * frozen copies, replaced as a whole by Set.
 */
export class Domains {
  protected _raw: PyMemAllocatorEx;
  protected _mem: PyMemAllocatorEx;
  protected _obj: PyMemAllocatorEx;
  protected _arena: PyObjectArenaAllocator;

  constructor(
    raw: PyMemAllocatorEx,
    mem: PyMemAllocatorEx,
    obj: PyMemAllocatorEx,
    arena: PyObjectArenaAllocator,
  ) {
    this._raw = copyAllocator(raw, "Domains", true);
    this._mem = copyAllocator(mem, "Domains", true);
    this._obj = copyAllocator(obj, "Domains", true);
    this._arena = copyArenaAllocator(arena, "Domains");
  }

  /** The stored allocator of a domain (not a copy), or null for an unknown domain. */
  protected _slot(domain: number): PyMemAllocatorEx | null {
    return domain === 0 ? this._raw : domain === 1 ? this._mem : domain === 2 ? this._obj : null;
  }

  /** Replaces a domain's allocator with an already validated copy; unknown domains are ignored. */
  protected _store(domain: number, a: PyMemAllocatorEx): void {
    if (domain === 0) this._raw = a;
    else if (domain === 1) this._mem = a;
    else if (domain === 2) this._obj = a;
  }

  /** The current arena allocator (as stored): pymalloc reads it whenever it needs a new arena. */
  currentArenaAllocator(): PyObjectArenaAllocator {
    return this._arena;
  }

  PyMem_GetAllocator(domain: number): PyMemAllocatorEx {
    checkDomain(domain, "PyMem_GetAllocator");
    const a = this._slot(domain);
    return (a === null ? { ...NULL_ALLOCATOR } : { ...a }) as PyMemAllocatorEx;
  }

  PyMem_SetAllocator(domain: number, allocator: PyMemAllocatorEx): void {
    checkDomain(domain, "PyMem_SetAllocator");
    this._store(domain, copyAllocator(allocator, "PyMem_SetAllocator", true));
  }

  PyObject_GetArenaAllocator(): PyObjectArenaAllocator {
    return { ...this._arena };
  }

  PyObject_SetArenaAllocator(allocator: PyObjectArenaAllocator): void {
    this._arena = copyArenaAllocator(allocator, "PyObject_SetArenaAllocator");
  }

  #get2013(domain: number): PyMemAllocators {
    const a = this._slot(domain)!;
    return { ctx: a.ctx, malloc: a.malloc, realloc: a.realloc, free: a.free };
  }

  PyMem_GetRawAllocators(): PyMemAllocators {
    return this.#get2013(0);
  }
  PyMem_SetRawAllocators(allocators: PyMemAllocators): void {
    this._store(0, copyAllocator(allocators, "PyMem_SetRawAllocators", false));
  }
  PyMem_GetAllocators(): PyMemAllocators {
    return this.#get2013(1);
  }
  PyMem_SetAllocators(allocators: PyMemAllocators): void {
    this._store(1, copyAllocator(allocators, "PyMem_SetAllocators", false));
  }
  PyObject_GetAllocators(): PyMemAllocators {
    return this.#get2013(2);
  }
  PyObject_SetAllocators(allocators: PyMemAllocators): void {
    this._store(2, copyAllocator(allocators, "PyObject_SetAllocators", false));
  }

  _PyObject_GetArenaAllocators(): PyObjectArenaAllocator {
    return { ...this._arena };
  }
  _PyObject_SetArenaAllocators(
    ctx: any,
    malloc: (ctx: any, size: number) => Ptr,
    free: (ctx: any, ptr: Ptr, size: number) => void,
  ): void {
    this._arena = copyArenaAllocator({ ctx, alloc: malloc, free }, "_PyObject_SetArenaAllocators");
  }
}
