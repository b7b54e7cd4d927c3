/*
 * domains.c: the three allocator domains, the PEP 445 entry points and Get/Set in both API forms.
 *
 *     PyMem_RawMalloc(n) ----+                      +--> as_domain[RAW] = {ctx, malloc, calloc, realloc, free}
 *     PyMem_Malloc(n) -------+-- size checks -------+--> as_domain[MEM]
 *     PyObject_Malloc(n) ----+   (before the hook)  +--> as_domain[OBJ]
 *
 *     PyMem_Get/SetAllocator(domain, PyMemAllocatorEx*)       3.5+ form: copies the 5 fields by value
 *     PyMem_Get/SetRawAllocators(PyMemAllocators*) & co         2013 draft form: 4 fields, calloc := NULL
 *
 * Rules implemented here (cpython-facts.md section 1.3, docs/contracts.md section 2):
 * - malloc/realloc return NULL when size > PY_SSIZE_T_MAX, calloc when elsize != 0 &&
 *   nelem > PY_SSIZE_T_MAX / elsize; the hook is NOT called then. free never checks.
 * - Everything else passes to the hook untouched: malloc(0), realloc(NULL, n) (not rewritten as malloc),
 *   realloc(p, 0), free(NULL).
 * - A domain set through the 2013 API has calloc == NULL: the *Calloc entry points then call
 *   malloc(nelem * elsize) and zero the block (the product cannot overflow after the check above).
 * - Get on an unknown domain writes NULL to every field; Set on an unknown domain is ignored.
 * - Defaults: RAW = libc malloc (raw.c); OBJ = pymalloc; MEM = pymalloc in the cpython profile (3.6+,
 *   bpo-26249), the raw allocator in pep445-2013 (PEP text: "PyMem_Malloc() and PyMem_Realloc() always
 *   call malloc()").
 *
 * Thread safety: the entry points read the domain table without a lock, like CPython <= 3.12; Set is
 * meant to run before other threads allocate (PEP 445: set allocators at startup, or wrap).
 */
#include "internal.h"

#include <string.h>

/* Tunable: the number of domains (PYMEM_DOMAIN_RAW, _MEM, _OBJ). */
#define AS_NDOMAINS 3
_Static_assert(PYMEM_DOMAIN_RAW == 0 && PYMEM_DOMAIN_MEM == 1 && PYMEM_DOMAIN_OBJ == 2,
               "CPython's domain numbers");
_Static_assert(sizeof(PyMemAllocatorEx) == 5 * sizeof(void *), "PyMemAllocatorEx is 5 pointers (ABI)");
_Static_assert(sizeof(PyMemAllocators) == 4 * sizeof(void *), "PyMemAllocators (2013) is 4 pointers");
_Static_assert(sizeof(PyObjectArenaAllocator) == 3 * sizeof(void *), "PyObjectArenaAllocator is 3 pointers");
_Static_assert(offsetof(PyMemAllocatorEx, calloc) == 2 * sizeof(void *), "calloc sits between malloc and realloc");

PyMemAllocatorEx as_domain[AS_NDOMAINS];

#define RAW_ALLOC {NULL, as_raw_malloc, as_raw_calloc, as_raw_realloc, as_raw_free}
#define PYMALLOC_ALLOC {NULL, as_pymalloc_malloc, as_pymalloc_calloc, as_pymalloc_realloc, as_pymalloc_free}

void as_domains_reset(void)
{
    static const PyMemAllocatorEx raw = RAW_ALLOC, pym = PYMALLOC_ALLOC;
    as_domain[PYMEM_DOMAIN_RAW] = raw;
    as_domain[PYMEM_DOMAIN_MEM] = as_cpython() ? pym : raw;
    as_domain[PYMEM_DOMAIN_OBJ] = pym;
}

/* ---- entry points ---- */

static inline bool size_too_big(size_t n) { return n > (size_t)PY_SSIZE_T_MAX; }
static inline bool calloc_too_big(size_t nelem, size_t elsize)
{
    return elsize != 0 && nelem > (size_t)PY_SSIZE_T_MAX / elsize;
}

/* The *Calloc entry point of a domain whose calloc is NULL (set through the 2013 API). */
static void *calloc_via_malloc(const PyMemAllocatorEx *a, size_t nelem, size_t elsize)
{
    size_t n = nelem * elsize; /* cannot overflow: checked by calloc_too_big */
    void *p = a->malloc(a->ctx, n);
    if (p != NULL && n != 0) memset(p, 0, n);
    return p;
}

static inline void *domain_malloc(int d, size_t size)
{
    if (size_too_big(size)) return NULL;
    return as_domain[d].malloc(as_domain[d].ctx, size);
}
static inline void *domain_calloc(int d, size_t nelem, size_t elsize)
{
    if (calloc_too_big(nelem, elsize)) return NULL;
    const PyMemAllocatorEx *a = &as_domain[d];
    if (a->calloc == NULL) return calloc_via_malloc(a, nelem, elsize);
    return a->calloc(a->ctx, nelem, elsize);
}
static inline void *domain_realloc(int d, void *ptr, size_t new_size)
{
    if (size_too_big(new_size)) return NULL;
    return as_domain[d].realloc(as_domain[d].ctx, ptr, new_size);
}
static inline void domain_free(int d, void *ptr) { as_domain[d].free(as_domain[d].ctx, ptr); }

void *PyMem_RawMalloc(size_t size) { return domain_malloc(PYMEM_DOMAIN_RAW, size); }
void *PyMem_RawCalloc(size_t nelem, size_t elsize) { return domain_calloc(PYMEM_DOMAIN_RAW, nelem, elsize); }
void *PyMem_RawRealloc(void *ptr, size_t new_size) { return domain_realloc(PYMEM_DOMAIN_RAW, ptr, new_size); }
void PyMem_RawFree(void *ptr) { domain_free(PYMEM_DOMAIN_RAW, ptr); }

void *PyMem_Malloc(size_t size) { return domain_malloc(PYMEM_DOMAIN_MEM, size); }
void *PyMem_Calloc(size_t nelem, size_t elsize) { return domain_calloc(PYMEM_DOMAIN_MEM, nelem, elsize); }
void *PyMem_Realloc(void *ptr, size_t new_size) { return domain_realloc(PYMEM_DOMAIN_MEM, ptr, new_size); }
void PyMem_Free(void *ptr) { domain_free(PYMEM_DOMAIN_MEM, ptr); }

void *PyObject_Malloc(size_t size) { return domain_malloc(PYMEM_DOMAIN_OBJ, size); }
void *PyObject_Calloc(size_t nelem, size_t elsize) { return domain_calloc(PYMEM_DOMAIN_OBJ, nelem, elsize); }
void *PyObject_Realloc(void *ptr, size_t new_size) { return domain_realloc(PYMEM_DOMAIN_OBJ, ptr, new_size); }
void PyObject_Free(void *ptr) { domain_free(PYMEM_DOMAIN_OBJ, ptr); }

/* ---- Get/Set, as shipped (3.5+) ---- */

static inline bool known_domain(int d) { return d >= 0 && d < AS_NDOMAINS; }

void PyMem_GetAllocator(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator)
{
    if (known_domain((int)domain)) {
        *allocator = as_domain[domain];
    } else {
        /* unknown domain: CPython writes NULL to all five fields (obmalloc.c get_allocator_unlocked) */
        allocator->ctx = NULL;
        allocator->malloc = NULL;
        allocator->calloc = NULL;
        allocator->realloc = NULL;
        allocator->free = NULL;
    }
}

void PyMem_SetAllocator(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator)
{
    if (!known_domain((int)domain)) return; /* ignored, like CPython */
    as_domain[domain] = *allocator;
}

/* ---- the 2013 draft API (PEP 445 text, "API changes") ---- */

static void get2013(int d, PyMemAllocators *out)
{
    out->ctx = as_domain[d].ctx;
    out->malloc = as_domain[d].malloc;
    out->realloc = as_domain[d].realloc;
    out->free = as_domain[d].free;
}
static void set2013(int d, const PyMemAllocators *in)
{
    PyMemAllocatorEx a = {in->ctx, in->malloc, NULL, in->realloc, in->free};
    as_domain[d] = a;
}

void PyMem_GetRawAllocators(PyMemAllocators *allocators) { get2013(PYMEM_DOMAIN_RAW, allocators); }
void PyMem_SetRawAllocators(PyMemAllocators *allocators) { set2013(PYMEM_DOMAIN_RAW, allocators); }
void PyMem_GetAllocators(PyMemAllocators *allocators) { get2013(PYMEM_DOMAIN_MEM, allocators); }
void PyMem_SetAllocators(PyMemAllocators *allocators) { set2013(PYMEM_DOMAIN_MEM, allocators); }
void PyObject_GetAllocators(PyMemAllocators *allocators) { get2013(PYMEM_DOMAIN_OBJ, allocators); }
void PyObject_SetAllocators(PyMemAllocators *allocators) { set2013(PYMEM_DOMAIN_OBJ, allocators); }
