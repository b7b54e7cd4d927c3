/**
 * PEP 445, "Examples", use case 2: "Replace Memory Allocators, override pymalloc". A TypeScript
 * translation of the PEP's C code with the 2013 API names: the same dummy allocator (wasting 2 bytes per
 * allocation) replaces all three domains, so `PyObject_Malloc()` no longer uses pymalloc.
 *
 * @example
 * ```ts
 * import { createRef } from "../ref.ts";
 * import { useCase2 } from "./use_case_2.ts";
 * const py = createRef();
 * useCase2(py);
 * py.pymalloc.owns(py.PyObject_Malloc(16)); // false: pymalloc is overridden
 * ```
 * @module
 */
import type { Ptr, PyMemAllocators } from "../types.ts";
import type { RefPep445 } from "../ref.ts";

/** `int padding = 2;` */
export const padding = { value: 2 };

/** Installs the PEP's allocators on `py`: `setup_custom_allocators()`. */
export function useCase2(py: RefPep445): void {
  // #include <stdlib.h>
  const malloc = (n: number): Ptr => py.raw.malloc(n);
  const realloc = (p: Ptr, n: number): Ptr => py.raw.realloc(p, n);
  const free = (p: Ptr): void => py.raw.free(p);

  function my_malloc(ctx: { value: number }, size: number): Ptr {
    const padding = ctx.value;
    return malloc(size + padding);
  }

  function my_realloc(ctx: { value: number }, ptr: Ptr, new_size: number): Ptr {
    const padding = ctx.value;
    return realloc(ptr, new_size + padding);
  }

  function my_free(_ctx: { value: number }, ptr: Ptr): void {
    free(ptr);
  }

  function setup_custom_allocators(): void {
    const alloc = {} as PyMemAllocators;
    alloc.ctx = padding;
    alloc.malloc = my_malloc;
    alloc.realloc = my_realloc;
    alloc.free = my_free;

    py.PyMem_SetRawAllocators(alloc);
    py.PyMem_SetAllocators(alloc);
    py.PyObject_SetAllocators(alloc);

    py.PyMem_SetupDebugHooks();
  }

  setup_custom_allocators();
}
