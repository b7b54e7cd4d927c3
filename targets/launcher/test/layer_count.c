/*
 * layer_count.c: a test layer for the launcher (CONTRACT.md "Layers"), written the way real hooks are:
 * it reaches PyMem_GetAllocator / PyMem_SetAllocator by name (undefined symbols, resolved from the
 * libpython the launcher loaded RTLD_GLOBAL) and wraps all three domains after Py_InitializeFromConfig
 * (PEP 445 "Use cases" 3: a hook must wrap, not replace, once Python runs).
 *
 * pep445_hook_install() returns LAYER_COUNT_FAIL's value when that variable is set (to test the
 * launcher's "non-zero is exit 2"). layer_count_calls() is read from Python with ctypes.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "allocspec.h" /* CPython's PyMemAllocatorEx layout; the functions below come from libpython */

#define EXPORT __attribute__((visibility("default")))

static PyMemAllocatorEx saved[3];
static atomic_uint_fast64_t calls;

static void *c_malloc(void *ctx, size_t n)
{
    PyMemAllocatorEx *a = ctx;
    atomic_fetch_add(&calls, 1);
    return a->malloc(a->ctx, n);
}
static void *c_calloc(void *ctx, size_t e, size_t s)
{
    PyMemAllocatorEx *a = ctx;
    atomic_fetch_add(&calls, 1);
    return a->calloc(a->ctx, e, s);
}
static void *c_realloc(void *ctx, void *p, size_t n)
{
    PyMemAllocatorEx *a = ctx;
    atomic_fetch_add(&calls, 1);
    return a->realloc(a->ctx, p, n);
}
static void c_free(void *ctx, void *p)
{
    PyMemAllocatorEx *a = ctx;
    atomic_fetch_add(&calls, 1);
    a->free(a->ctx, p);
}

EXPORT uint64_t layer_count_calls(void) { return atomic_load(&calls); }

EXPORT int pep445_hook_install(void)
{
    const char *fail = getenv("LAYER_COUNT_FAIL");
    if (fail && *fail) return atoi(fail);
    for (int d = 0; d < 3; d++) {
        PyMem_GetAllocator((PyMemAllocatorDomain)d, &saved[d]);
        PyMemAllocatorEx hook = {&saved[d], c_malloc, c_calloc, c_realloc, c_free};
        PyMem_SetAllocator((PyMemAllocatorDomain)d, &hook);
    }
    return 0;
}
