/*
 * libc_glue.c: a malloc-family library (glibc, jemalloc, mimalloc, tcmalloc) as a PEP 445 allocator for
 * a running CPython, adapted exactly as CPython adapts libc's malloc for PYTHONMALLOC=malloc
 * (Objects/obmalloc.c _PyMem_RawMalloc & co, pycore_allocators.h): a zero-size request becomes a 1-byte
 * one, because PEP 445 wants "a distinct non-NULL pointer ... as if PyMem_RawMalloc(1) had been called"
 * and CPython relies on it (glibc's realloc(p, 0) frees p and returns NULL: without this, CPython dies
 * with MemoryError while importing its codecs).
 *
 * The library's OWN zero-size behaviour is what the conformance target `libc:` checks and reports as a
 * FAIL (conformance/adapters/libc.ts KNOWN_DEVIATIONS); here the question is whether real programs run.
 */
#include "launcher.h"

typedef struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} libc_fns;

static libc_fns fns;

static void *glue_malloc(void *ctx, size_t n)
{
    const libc_fns *f = ctx;
    return f->malloc(n == 0 ? 1 : n);
}

static void *glue_calloc(void *ctx, size_t nelem, size_t elsize)
{
    const libc_fns *f = ctx;
    if (nelem == 0 || elsize == 0) nelem = elsize = 1;
    return f->calloc(nelem, elsize);
}

static void *glue_realloc(void *ctx, void *p, size_t n)
{
    const libc_fns *f = ctx;
    return f->realloc(p, n == 0 ? 1 : n);
}

static void glue_free(void *ctx, void *p)
{
    const libc_fns *f = ctx;
    f->free(p);
}

void launcher_libc_allocator(void *const fn[4], PyMemAllocatorEx *out)
{
    *(void **)&fns.malloc = fn[0];
    *(void **)&fns.calloc = fn[1];
    *(void **)&fns.realloc = fn[2];
    *(void **)&fns.free = fn[3];
    *out = (PyMemAllocatorEx){&fns, glue_malloc, glue_calloc, glue_realloc, glue_free};
}
