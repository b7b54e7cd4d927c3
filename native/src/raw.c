/*
 * raw.c: the default RAW allocator, CPython's _PyMem_RawMalloc & co (Include/internal/pycore_allocators.h)
 * over the C library's malloc family.
 *
 *     PyMem_RawMalloc (domains.c) --> as_raw_malloc --> libc malloc
 *     pymalloc fallback (0 or > 512 bytes) ---^
 *
 * Rules (PEP 445: "requesting zero bytes returns a distinct non-NULL pointer if possible, as if
 * PyMem_RawMalloc(1) had been called"; cpython-facts.md section 1.3):
 *   malloc(0)                     -> malloc(1)
 *   calloc(0, x) or calloc(x, 0)  -> calloc(1, 1)
 *   realloc(p, 0)                 -> realloc(p, 1)      (glibc would free p and return NULL)
 *   free(p)                       -> free(p)
 * The size checks (> PY_SSIZE_T_MAX, calloc overflow) are done by the entry points before these run.
 *
 * Thread safety: libc's malloc family is thread-safe, so this allocator is (PEP 445: the RAW allocator
 * must be thread-safe, it is called without the GIL).
 */
#include "internal.h"

#include <stdlib.h>

/* Tunable: the size a zero-byte request is rounded up to (CPython: 1). */
#define AS_RAW_ZERO_SIZE ((size_t)1)
_Static_assert(AS_RAW_ZERO_SIZE > 0, "a zero-byte request must become a non-zero one to stay distinct");

void *as_raw_malloc(void *ctx, size_t size)
{
    (void)ctx;
    /* PyMem_RawMalloc(0) means malloc(1). Some systems would return NULL for malloc(0), which would be
       treated as an error. Some platforms would return a pointer with no memory behind it, which would
       break pymalloc. To solve these problems, allocate an extra byte. */
    if (size == 0) size = AS_RAW_ZERO_SIZE;
    return malloc(size);
}

void *as_raw_calloc(void *ctx, size_t nelem, size_t elsize)
{
    (void)ctx;
    /* PyMem_RawCalloc(0, 0) means calloc(1, 1). */
    if (nelem == 0 || elsize == 0) {
        nelem = 1;
        elsize = 1;
    }
    return calloc(nelem, elsize);
}

void *as_raw_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == 0) size = AS_RAW_ZERO_SIZE;
    return realloc(ptr, size);
}

void as_raw_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}
