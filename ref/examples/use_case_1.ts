/**
 * PEP 445, "Examples", use case 1: "Replace Memory Allocators, keep pymalloc". A TypeScript translation
 * of the PEP's C code, line for line, with the 2013 API names the PEP uses. Dummy example wasting 2
 * bytes per allocation and 10 bytes per arena.
 *
 * C's `malloc`/`realloc`/`free` are the system allocator of the world ({@link RawAllocator}); an `int *`
 * context is a boxed int `{ value }`.
 *
 * @example
 * ```ts
 * import { createRef } from "../ref.ts";
 * import { useCase1 } from "./use_case_1.ts";
 * const py = createRef();
 * useCase1(py);                 // setup_custom_allocators()
 * py.PyMem_Free(py.PyMem_Malloc(10)); // my_malloc saw 10 + 24 (debug hooks on top), allocated 36
 * ```
 * @module
 */
import type { Ptr, PyMemAllocators } from "../types.ts";
import type { RefPep445 } from "../ref.ts";

/** `int alloc_padding = 2;` */
export const alloc_padding = { value: 2 };
/** `int arena_padding = 10;` */
export const arena_padding = { value: 10 };

/** Installs the PEP's custom allocators on `py`: `setup_custom_allocators()`. */
export function useCase1(py: RefPep445): void {
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

  function my_alloc_arena(ctx: { value: number }, size: number): Ptr {
    const padding = ctx.value;
    return malloc(size + padding);
  }

  function my_free_arena(_ctx: { value: number }, ptr: Ptr, _size: number): void {
    free(ptr);
  }

  function setup_custom_allocators(): void {
    const alloc = {} as PyMemAllocators;

    alloc.ctx = alloc_padding;
    alloc.malloc = my_malloc;
    alloc.realloc = my_realloc;
    alloc.free = my_free;

    py.PyMem_SetRawAllocators(alloc);
    py.PyMem_SetAllocators(alloc);

    py._PyObject_SetArenaAllocators(arena_padding, my_alloc_arena, my_free_arena);

    py.PyMem_SetupDebugHooks();
  }

  setup_custom_allocators();
}
