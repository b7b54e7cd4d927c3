/*
 * fncall.c: call thunks for C allocator functions reached through a pointer, for the Deno loader.
 *
 *     JS wrapper of a C function pointer (bridge.ts, from PyMem_GetAllocator)
 *        |  Deno.dlopen symbol call (V8 fast call, ~10 ns)
 *        v
 *     allocspec_ffi_call_<kind>(fn, args...)  --->  fn(args...)
 *
 * Deno 2.9's Deno.UnsafeFnPointer.call takes the slow path (~1.1 us per call, measured), while a symbol
 * resolved by Deno.dlopen is called through V8's fast API. These thunks turn "call through a pointer" into
 * "call a symbol". One thunk per allocator-function signature of PEP 445 (PyMemAllocatorEx fields and
 * PyObjectArenaAllocator fields). Built on demand by native/ffi/fncall.ts into native/build/ffi/; when
 * no C compiler is available the loader falls back to UnsafeFnPointer (same results, slower).
 */
#include <stddef.h>

#define EXPORT __attribute__((visibility("default")))

typedef void *(*malloc_fn)(void *ctx, size_t size);
typedef void *(*calloc_fn)(void *ctx, size_t nelem, size_t elsize);
typedef void *(*realloc_fn)(void *ctx, void *ptr, size_t new_size);
typedef void (*free_fn)(void *ctx, void *ptr);
typedef void (*arena_free_fn)(void *ctx, void *ptr, size_t size);

EXPORT void *allocspec_ffi_call_malloc(malloc_fn f, void *ctx, size_t size) { return f(ctx, size); }
EXPORT void *allocspec_ffi_call_calloc(calloc_fn f, void *ctx, size_t nelem, size_t elsize) { return f(ctx, nelem, elsize); }
EXPORT void *allocspec_ffi_call_realloc(realloc_fn f, void *ctx, void *ptr, size_t new_size) { return f(ctx, ptr, new_size); }
EXPORT void allocspec_ffi_call_free(free_fn f, void *ctx, void *ptr) { f(ctx, ptr); }
EXPORT void allocspec_ffi_call_arena_free(arena_free_fn f, void *ctx, void *ptr, size_t size) { f(ctx, ptr, size); }
