/*
 * pep445.h: the PEP 445 ABI in C, written once: the domains, the allocator structs CPython ships (3.5+,
 * Include/cpython/pymem.h) and the 2013 draft's (PEP 445 text, "API changes"), with their layouts fixed by
 * _Static_assert (LP64: 8-byte pointers). Every C file of the project that needs one of them includes this
 * header: liballocspec's public header (allocspec.h), the launcher, the debug/ layers, the fixtures and the
 * fixture hooks. It declares no function: a library or hook gets PyMem_GetAllocator & co from wherever it
 * is loaded (libpython, liballocspec.so), by name.
 *
 * A program that includes Python.h already has these types: it must not include this header too.
 */
#ifndef ALLOCSPEC_PEP445_H
#define ALLOCSPEC_PEP445_H

#include <stddef.h>

#ifdef __cplusplus
#define PEP445_STATIC_ASSERT static_assert
#else
#define PEP445_STATIC_ASSERT _Static_assert
#endif

/* PEP 445 "API changes": the three domains (CPython's enum; its values are the ABI). */
typedef enum {
    /* PyMem_RawMalloc(), PyMem_RawRealloc() and PyMem_RawFree() */
    PYMEM_DOMAIN_RAW,
    /* PyMem_Malloc(), PyMem_Realloc() and PyMem_Free() */
    PYMEM_DOMAIN_MEM,
    /* PyObject_Malloc(), PyObject_Realloc() and PyObject_Free() */
    PYMEM_DOMAIN_OBJ
} PyMemAllocatorDomain;

/* The allocator of a domain as CPython ships it (3.5+; calloc added by bpo-21233): field order is the ABI. */
typedef struct {
    /* user context passed as the first argument to the 4 functions */
    void *ctx;
    /* allocate a memory block */
    void *(*malloc)(void *ctx, size_t size);
    /* allocate a memory block initialized by zeros */
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    /* allocate or resize a memory block */
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    /* release a memory block */
    void (*free)(void *ctx, void *ptr);
} PyMemAllocatorEx;

/* pymalloc's arena allocator (PEP 445 "API changes": PyObject_Get/SetArenaAllocator). */
typedef struct {
    /* user context passed as the first argument to the 2 functions */
    void *ctx;
    /* allocate an arena of size bytes */
    void *(*alloc)(void *ctx, size_t size);
    /* free an arena (header order: ptr, then size) */
    void (*free)(void *ctx, void *ptr, size_t size);
} PyObjectArenaAllocator;

/* The 2013 draft's allocator (PEP 445 text, "API changes"): no calloc, one getter/setter pair per domain. */
typedef struct {
    /* user context passed as the first argument to the 3 functions */
    void *ctx;
    /* allocate memory */
    void *(*malloc)(void *ctx, size_t size);
    /* allocate memory or resize a memory buffer */
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    /* release memory */
    void (*free)(void *ctx, void *ptr);
} PyMemAllocators;

PEP445_STATIC_ASSERT(PYMEM_DOMAIN_RAW == 0 && PYMEM_DOMAIN_MEM == 1 && PYMEM_DOMAIN_OBJ == 2, "domain numbers");
PEP445_STATIC_ASSERT(sizeof(void *) == 8, "the layouts below (and docs/contracts.md section 5) are LP64");
PEP445_STATIC_ASSERT(sizeof(PyMemAllocatorEx) == 40, "PyMemAllocatorEx: ctx, malloc, calloc, realloc, free");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocatorEx, ctx) == 0, "PyMemAllocatorEx.ctx");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocatorEx, malloc) == 8, "PyMemAllocatorEx.malloc");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocatorEx, calloc) == 16, "PyMemAllocatorEx.calloc");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocatorEx, realloc) == 24, "PyMemAllocatorEx.realloc");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocatorEx, free) == 32, "PyMemAllocatorEx.free");
PEP445_STATIC_ASSERT(sizeof(PyObjectArenaAllocator) == 24, "PyObjectArenaAllocator: ctx, alloc, free");
PEP445_STATIC_ASSERT(offsetof(PyObjectArenaAllocator, alloc) == 8, "PyObjectArenaAllocator.alloc");
PEP445_STATIC_ASSERT(offsetof(PyObjectArenaAllocator, free) == 16, "PyObjectArenaAllocator.free");
PEP445_STATIC_ASSERT(sizeof(PyMemAllocators) == 32, "PyMemAllocators (2013): ctx, malloc, realloc, free");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocators, malloc) == 8, "PyMemAllocators.malloc");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocators, realloc) == 16, "PyMemAllocators.realloc");
PEP445_STATIC_ASSERT(offsetof(PyMemAllocators, free) == 24, "PyMemAllocators.free");

#endif
