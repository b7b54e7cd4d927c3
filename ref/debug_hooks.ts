/**
 * CPython's builtin debug hooks (PEP 445 "API changes": `PyMem_SetupDebugHooks()`; obmalloc.c
 * `_PyMem_DebugRaw*` and `_PyMem_Debug*`; cpython-facts.md §2): they wrap whatever allocator a domain
 * had, decorate every block (layout in debug_hooks_layout.ts), and check free/realloc pointers.
 *
 * ```
 *  PyMem_Malloc(n) --> _PyMem_DebugMalloc(ctx = slot{api_id 'm', alloc}) --GIL check (cpython profile)-->
 *      _PyMem_DebugRawMalloc --> slot.alloc.malloc(slot.alloc.ctx, n + 3S)   (n + 4S with a serial number)
 * ```
 *
 * One set of 8 functions per world, shared by the domains exactly as in CPython: RAW gets the
 * `_PyMem_DebugRaw*` functions, MEM and OBJ both get `_PyMem_Debug*` (which check the GIL, then call the
 * Raw ones); the ctx of each domain is its single slot `{ apiId, alloc }` (`debug_alloc_api_t`).
 * Because address checks run inside the Raw functions, the function named in a fatal line is
 * `_PyMem_DebugRawFree` / `_PyMem_DebugRawRealloc` in every domain (§2.4).
 *
 * @example
 * ```ts
 * import { createDebugHooks } from "./debug_hooks.ts";
 * import { Heap } from "./heap.ts";
 * const heap = new Heap();
 * const hooks = createDebugHooks({ profile: "cpython", mem: heap, gilHeld: true, violation: "throw" });
 * hooks.raw.malloc.name; // "_PyMem_DebugRawMalloc"
 * ```
 * @module
 */
import { NULL, type Ptr, type PyMemAllocatorEx, SST, type ViolationKind } from "./types.ts";
import { API_IDS, debugLayout, readSizeT, writeSizeT } from "./debug_hooks_layout.ts";
import type { DebugAllocApi, DebugHost } from "./debug_hooks_layout.ts";
import { raiseViolation, violationError } from "./diagnostics_report.ts";
import { callCalloc } from "./domains.ts";
import { debugRealloc } from "./debug_hooks_realloc.ts";

export type { ByteSpace, DebugAllocApi, DebugHost } from "./debug_hooks_layout.ts";

/** The debug functions of one world and the three per-domain slots. */
export interface DebugHooks {
  /** The allocator installed on RAW: `_PyMem_DebugRaw*` with ctx = slots[0]. */
  readonly raw: PyMemAllocatorEx;
  /** The allocator installed on MEM / OBJ (`_PyMem_Debug*`), ctx = slots[1] / slots[2]. */
  readonly mem: PyMemAllocatorEx;
  readonly obj: PyMemAllocatorEx;
  readonly slots: readonly DebugAllocApi[];
  /** The serial number counter (pep445-2013 profile; stays 0 in cpython). */
  readonly serialno: () => number;
}

/** Creates the debug hook functions for a world. Install them with {@link setupDebugHooks}. */
export function createDebugHooks(host: DebugHost): DebugHooks {
  const lay = debugLayout(host.profile);
  const { clean, forbidden, extra } = lay;
  /**
   * CPython returns NULL when n > PY_SSIZE_T_MAX - extra. Sizes reach a hook as doubles (types.ts), and
   * every size in (PY_SSIZE_T_MAX - extra, PY_SSIZE_T_MAX] arrives as 2^63, so the test is n >= 2^63.
   */
  const MAX_N = 2 ** 63;
  let serialno = 0;

  const violate = (kind: ViolationKind, p: Ptr, func: string, apiId: number, verified: number): never =>
    raiseViolation(
      host.violation,
      violationError(
        host.profile,
        kind,
        p,
        func,
        apiId,
        verified,
        kind === "no_gil" ? undefined : host.mem.u8,
      ),
    );

  /** `_PyMem_DebugCheckAddress`: id, then the leading pad, then the tail (§2.4). */
  function checkAddress(func: string, api: number, p: Ptr): void {
    const u8 = host.mem.u8;
    if (!(p >= 2 * SST && p + SST <= u8.length)) {
      throw new RangeError(
        `${func}: pointer ${p} is outside the heap (C would crash with SIGSEGV): pass a pointer returned by this domain's malloc`,
      );
    }
    const id = u8[p - SST];
    if (id !== api) violate("bad_id", p, func, id, api);
    for (let i = SST - 1; i >= 1; --i) {
      if (u8[p - i] !== forbidden) violate("bad_leading_pad", p, func, api, api);
    }
    const tail = p + readSizeT(host.mem.dv, p - 2 * SST);
    if (!(tail + SST <= u8.length)) {
      throw new RangeError(
        `${func}: the size field of the block at ${p} points past the heap (C would crash with SIGSEGV)`,
      );
    }
    for (let i = 0; i < SST; ++i) {
      if (u8[tail + i] !== forbidden) violate("bad_trailing_pad", p, func, api, api);
    }
  }

  /** memset: a plain loop for short ranges (a TypedArray fill call costs more than 32 stores). */
  function memset(u8: Uint8Array, b: number, from: number, to: number): void {
    if (to - from > 32) u8.fill(b, from, to);
    else for (let i = from; i < to; i++) u8[i] = b;
  }

  /** Writes the header (size, id, pad) at q and the tail pad (+ serial) after the n data bytes. */
  function decorate(q: Ptr, n: number, apiId: number, serial: number): void {
    const { u8, dv } = host.mem;
    writeSizeT(dv, q, n);
    u8[q + SST] = apiId;
    memset(u8, forbidden, q + SST + 1, q + 2 * SST);
    const tail = q + 2 * SST + n;
    memset(u8, forbidden, tail, tail + SST);
    if (lay.serial) writeSizeT(dv, tail + SST, serial);
  }

  /** `_PyMem_DebugRawAlloc(use_calloc, ctx, nbytes)`. */
  function rawAlloc(useCalloc: boolean, api: DebugAllocApi, nbytes: number): Ptr {
    if (nbytes >= MAX_N) return NULL;
    const total = nbytes + extra;
    const a = api.alloc;
    const q = useCalloc ? callCalloc(a, 1, total, host.mem) : a.malloc(a.ctx, total);
    if (q === NULL) return NULL;
    if (lay.serial) ++serialno;
    decorate(q, nbytes, api.apiId, serialno);
    const p = q + 2 * SST;
    if (nbytes > 0 && !useCalloc) memset(host.mem.u8, clean, p, p + nbytes);
    return p;
  }

  function _PyMem_DebugRawMalloc(ctx: DebugAllocApi, size: number): Ptr {
    return rawAlloc(false, ctx, size);
  }
  function _PyMem_DebugRawCalloc(ctx: DebugAllocApi, nelem: number, elsize: number): Ptr {
    return rawAlloc(true, ctx, nelem * elsize);
  }
  function _PyMem_DebugRawFree(ctx: DebugAllocApi, p: Ptr): void {
    if (p === NULL) return;
    checkAddress("_PyMem_DebugRawFree", ctx.apiId, p);
    const q = p - 2 * SST;
    const n = readSizeT(host.mem.dv, q) + extra;
    memset(host.mem.u8, lay.dead, q, q + n);
    ctx.alloc.free(ctx.alloc.ctx, q);
  }
  const reallocEnv = {
    host,
    lay,
    maxN: MAX_N,
    decorate,
    bumpSerial: () => (lay.serial ? ++serialno : serialno),
  };
  function _PyMem_DebugRawRealloc(ctx: DebugAllocApi, p: Ptr, size: number): Ptr {
    if (p === NULL) return rawAlloc(false, ctx, size);
    checkAddress("_PyMem_DebugRawRealloc", ctx.apiId, p);
    return debugRealloc(reallocEnv, ctx, p, size);
  }

  /** `_PyMem_DebugCheckGIL(func)`: MEM and OBJ only, cpython profile only, before anything else. */
  function checkGil(func: string, api: number, p: Ptr): void {
    if (lay.gilCheck && !host.gilHeld) violate("no_gil", p, func, api, api);
  }
  function _PyMem_DebugMalloc(ctx: DebugAllocApi, size: number): Ptr {
    checkGil("_PyMem_DebugMalloc", ctx.apiId, NULL);
    return _PyMem_DebugRawMalloc(ctx, size);
  }
  function _PyMem_DebugCalloc(ctx: DebugAllocApi, nelem: number, elsize: number): Ptr {
    checkGil("_PyMem_DebugCalloc", ctx.apiId, NULL);
    return _PyMem_DebugRawCalloc(ctx, nelem, elsize);
  }
  function _PyMem_DebugRealloc(ctx: DebugAllocApi, p: Ptr, size: number): Ptr {
    checkGil("_PyMem_DebugRealloc", ctx.apiId, p);
    return _PyMem_DebugRawRealloc(ctx, p, size);
  }
  function _PyMem_DebugFree(ctx: DebugAllocApi, p: Ptr): void {
    checkGil("_PyMem_DebugFree", ctx.apiId, p);
    _PyMem_DebugRawFree(ctx, p);
  }

  const nullAlloc = null as unknown as PyMemAllocatorEx;
  const slots: DebugAllocApi[] = API_IDS.map((apiId) => ({ apiId, alloc: nullAlloc }));
  const raw = Object.freeze({
    ctx: slots[0],
    malloc: _PyMem_DebugRawMalloc,
    calloc: _PyMem_DebugRawCalloc,
    realloc: _PyMem_DebugRawRealloc,
    free: _PyMem_DebugRawFree,
  });
  const fns = { malloc: _PyMem_DebugMalloc, calloc: _PyMem_DebugCalloc, realloc: _PyMem_DebugRealloc };
  const mem = Object.freeze({ ctx: slots[1], ...fns, free: _PyMem_DebugFree });
  const obj = Object.freeze({ ctx: slots[2], ...fns, free: _PyMem_DebugFree });
  return { raw, mem, obj, slots, serialno: () => serialno };
}

/** The allocator table as `PyMem_SetupDebugHooks` sees it: Get and Set by domain. */
export interface AllocatorTable {
  PyMem_GetAllocator(domain: number): PyMemAllocatorEx;
  PyMem_SetAllocator(domain: number, allocator: PyMemAllocatorEx): void;
}

/**
 * `PyMem_SetupDebugHooks()` (cpython-facts.md §2.7): for each domain whose current malloc is not already
 * the debug function (`_PyMem_DebugRawMalloc` for RAW, `_PyMem_DebugMalloc` for MEM/OBJ), store the
 * current allocator in the domain's single slot and install the debug functions with ctx = that slot.
 * Calling it again changes nothing; calling it over a user hook that wraps the debug hooks overwrites
 * the slot, and the calls then recurse without end, exactly as in CPython.
 */
export function setupDebugHooks(hooks: DebugHooks, table: AllocatorTable): void {
  const installed = [hooks.raw, hooks.mem, hooks.obj];
  for (let domain = 0; domain < 3; domain++) {
    const debug = installed[domain];
    if (table.PyMem_GetAllocator(domain).malloc === debug.malloc) continue;
    hooks.slots[domain].alloc = Object.freeze(table.PyMem_GetAllocator(domain));
    table.PyMem_SetAllocator(domain, debug);
  }
}
