/**
 * PEP 445, "Examples", use case 3: "Setup Allocator Hooks" on all memory allocators, translated from the
 * PEP's C code with the 2013 API names (`PyMemAllocators`, `PyMem_Get/SetRawAllocators` ...).
 *
 * The C example keeps its state in statics (`hook`, `installed`); here {@link createUseCase3} makes
 * one such set of statics per call, so tests can run it in several worlds. The `/* ... *\/` parts of
 * the C hooks are filled with one line that records the call, so its effect can be checked.
 *
 * @example
 * ```ts
 * import { createRef } from "../ref.ts";
 * import { createUseCase3 } from "./use_case_3.ts";
 * const py = createRef();
 * const uc = createUseCase3(py);
 * uc.setup_hooks();
 * py.PyMem_Free(py.PyMem_Malloc(42));
 * uc.hook.calls; // [["pymem", "malloc", 42], ["pymem", "free", p]]
 * ```
 * @module
 */
import type { Ptr, PyMemAllocators } from "../types.ts";
import type { Pep445 } from "../types.ts";

/** One call seen by a hook: which allocator (pymem, pymem_raw, pyobj), the operation, its arguments. */
export type HookCall = [which: "pymem" | "pymem_raw" | "pyobj", op: string, ...args: number[]];

/** The C example's `struct { PyMemAllocators pymem, pymem_raw, pyobj; /* ... *\/ } hook;` */
export interface Hook {
  pymem: PyMemAllocators;
  pymem_raw: PyMemAllocators;
  pyobj: PyMemAllocators;
  /** The `/* ... *\/` of the struct: what the hooks saw. */
  calls: HookCall[];
}

/** The statics of the C example for one world, and its `setup_hooks()`. */
export function createUseCase3(py: Pep445): { hook: Hook; setup_hooks: () => void } {
  const hook = { calls: [] } as unknown as Hook;
  const which = (alloc: PyMemAllocators) =>
    alloc === hook.pymem ? "pymem" : alloc === hook.pymem_raw ? "pymem_raw" : "pyobj";

  function hook_malloc(ctx: PyMemAllocators, size: number): Ptr {
    const alloc = ctx;
    hook.calls.push([which(alloc), "malloc", size]); // ...
    const ptr = alloc.malloc(alloc.ctx, size);
    /* ... */
    return ptr;
  }

  function hook_realloc(ctx: PyMemAllocators, ptr: Ptr, new_size: number): Ptr {
    const alloc = ctx;
    hook.calls.push([which(alloc), "realloc", ptr, new_size]); // ...
    const ptr2 = alloc.realloc(alloc.ctx, ptr, new_size);
    /* ... */
    return ptr2;
  }

  function hook_free(ctx: PyMemAllocators, ptr: Ptr): void {
    const alloc = ctx;
    hook.calls.push([which(alloc), "free", ptr]); // ...
    alloc.free(alloc.ctx, ptr);
    /* ... */
  }

  let installed = 0; // static int installed = 0;

  function setup_hooks(): void {
    const alloc = {} as PyMemAllocators;

    if (installed) return;
    installed = 1;

    alloc.malloc = hook_malloc;
    alloc.realloc = hook_realloc;
    alloc.free = hook_free;

    hook.pymem_raw = py.PyMem_GetRawAllocators();
    alloc.ctx = hook.pymem_raw;
    py.PyMem_SetRawAllocators(alloc);

    hook.pymem = py.PyMem_GetAllocators();
    alloc.ctx = hook.pymem;
    py.PyMem_SetAllocators(alloc);

    hook.pyobj = py.PyObject_GetAllocators();
    alloc.ctx = hook.pyobj;
    py.PyObject_SetAllocators(alloc);
  }

  return { hook, setup_hooks };
}
