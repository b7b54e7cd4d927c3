/*
 * glue.c: a PyMemAllocatorEx over plain malloc-family functions (glibc, jemalloc, mimalloc, tcmalloc,
 * looked up with dlsym by the caller), so a third-party allocator can be installed in a domain.
 *
 *     entry point --> glue_malloc(ctx = {malloc, calloc, realloc, free}) --> the library's malloc
 *
 * No rule of CPython's default raw allocator is applied: malloc(0), realloc(p, 0) and calloc(0, n) pass
 * through untouched, so an allocator that frees on realloc(p, 0) shows it (a real PEP 445 finding,
 * third-party-allocators.md). When calloc_fn is NULL, calloc is malloc(nelem * elsize) + memset, with the
 * multiplication checked for overflow.
 *
 * The returned struct lives until the process ends; the same four pointers give the same struct.
 * Tunable: AS_GLUE_MAX distinct allocators. Thread safety: creation is guarded by a mutex; the glue
 * functions are as thread-safe as the functions they call.
 */
#include "internal.h"

#include <pthread.h>
#include <string.h>

#define AS_GLUE_MAX 64
_Static_assert(AS_GLUE_MAX >= 4, "room for the four allocators of the suite");

typedef struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
} libc_fns_t;

typedef struct {
    libc_fns_t fns;
    PyMemAllocatorEx alloc;
} glue_t;

static glue_t glue[AS_GLUE_MAX];
static int nglue;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *glue_malloc(void *ctx, size_t size) { return ((libc_fns_t *)ctx)->malloc(size); }
static void *glue_calloc(void *ctx, size_t nelem, size_t elsize)
{
    libc_fns_t *f = ctx;
    if (f->calloc != NULL) return f->calloc(nelem, elsize);
    if (elsize != 0 && nelem > SIZE_MAX / elsize) return NULL;
    void *p = f->malloc(nelem * elsize);
    if (p != NULL) memset(p, 0, nelem * elsize);
    return p;
}
static void *glue_realloc(void *ctx, void *ptr, size_t size) { return ((libc_fns_t *)ctx)->realloc(ptr, size); }
static void glue_free(void *ctx, void *ptr) { ((libc_fns_t *)ctx)->free(ptr); }

const PyMemAllocatorEx *allocspec_libc_allocator(void *malloc_fn, void *calloc_fn, void *realloc_fn, void *free_fn)
{
    if (malloc_fn == NULL || realloc_fn == NULL || free_fn == NULL) return NULL;
    libc_fns_t f;
    f.malloc = (void *(*)(size_t))malloc_fn;
    f.calloc = (void *(*)(size_t, size_t))calloc_fn;
    f.realloc = (void *(*)(void *, size_t))realloc_fn;
    f.free = (void (*)(void *))free_fn;
    const PyMemAllocatorEx *result = NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < nglue && result == NULL; i++)
        if (memcmp(&glue[i].fns, &f, sizeof(f)) == 0) result = &glue[i].alloc;
    if (result == NULL && nglue < AS_GLUE_MAX) {
        glue_t *g = &glue[nglue++];
        g->fns = f;
        PyMemAllocatorEx a = {&g->fns, glue_malloc, glue_calloc, glue_realloc, glue_free};
        g->alloc = a;
        result = &g->alloc;
    }
    pthread_mutex_unlock(&lock);
    return result;
}
