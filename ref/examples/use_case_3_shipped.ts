/**
 * PEP 445 use case 3 ("Setup Allocator Hooks") written against the API as CPython shipped it:
 * `PyMemAllocatorEx` with calloc (3.5+) and one `PyMem_GetAllocator/SetAllocator(domain, ...)` pair
 * (the PEP's "Only have one generic get/set function" alternative, which is what was accepted).
 *
 * @example
 * ```ts
 * import { createRef } from "../ref.ts";
 * import { createUseCase3Shipped } from "./use_case_3_shipped.ts";
 * const py = createRef();
 * const uc = createUseCase3Shipped(py);
 * uc.setup_hooks();
 * py.PyMem_Free(py.PyMem_Calloc(2, 5)); // the MEM hook sees calloc(2, 5)
 * ```
 * @module
 */
import {
  type Pep445,
  type Ptr,
  PYMEM_DOMAIN_MEM,
  PYMEM_DOMAIN_OBJ,
  PYMEM_DOMAIN_RAW,
  type PyMemAllocatorEx,
} from "../types.ts";

/** One call seen by a hook: the domain, the operation, its arguments. */
export type ShippedHookCall = [domain: number, op: string, ...args: number[]];

/** One hook per domain: the allocator it wraps, and the calls it saw. */
export interface ShippedHook {
  domain: number;
  alloc: PyMemAllocatorEx;
  calls: ShippedHookCall[];
}

/** Per-world statics and `setup_hooks()` / `remove_hooks()`. */
export function createUseCase3Shipped(py: Pep445): {
  hooks: ShippedHook[];
  calls: ShippedHookCall[];
  setup_hooks: () => void;
  remove_hooks: () => void;
} {
  const calls: ShippedHookCall[] = [];
  const hooks: ShippedHook[] = [];

  function hook_malloc(ctx: ShippedHook, size: number): Ptr {
    ctx.calls.push([ctx.domain, "malloc", size]);
    return ctx.alloc.malloc(ctx.alloc.ctx, size);
  }
  function hook_calloc(ctx: ShippedHook, nelem: number, elsize: number): Ptr {
    ctx.calls.push([ctx.domain, "calloc", nelem, elsize]);
    const a = ctx.alloc;
    return a.calloc !== null ? a.calloc(a.ctx, nelem, elsize) : zeroed(a, nelem * elsize);
  }
  function hook_realloc(ctx: ShippedHook, ptr: Ptr, new_size: number): Ptr {
    ctx.calls.push([ctx.domain, "realloc", ptr, new_size]);
    return ctx.alloc.realloc(ctx.alloc.ctx, ptr, new_size);
  }
  function hook_free(ctx: ShippedHook, ptr: Ptr): void {
    ctx.calls.push([ctx.domain, "free", ptr]);
    ctx.alloc.free(ctx.alloc.ctx, ptr);
  }
  /** A wrapped allocator set through the 2013 API has no calloc: malloc, then zero the block. */
  function zeroed(a: PyMemAllocatorEx, n: number): Ptr {
    const p = a.malloc(a.ctx, n);
    if (p !== 0 && n > 0) py.memory.write(p, new Uint8Array(n));
    return p;
  }

  let installed = false;
  function setup_hooks(): void {
    if (installed) return;
    installed = true;
    for (const domain of [PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ]) {
      const hook: ShippedHook = { domain, alloc: py.PyMem_GetAllocator(domain), calls };
      hooks.push(hook);
      py.PyMem_SetAllocator(domain, {
        ctx: hook,
        malloc: hook_malloc,
        calloc: hook_calloc,
        realloc: hook_realloc,
        free: hook_free,
      });
    }
  }
  function remove_hooks(): void {
    if (!installed) return;
    installed = false;
    for (const h of hooks.splice(0)) py.PyMem_SetAllocator(h.domain, h.alloc);
  }
  return { hooks, calls, setup_hooks, remove_hooks };
}
