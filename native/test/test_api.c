/*
 * test_api.c: tests of liballocspec's PEP 445 API, in the spirit of mimalloc's test/test-api.c.
 *
 *     CHECK("name", condition)   prints "ok   name" or "FAIL name (line N)"
 *     exit code = number of failures; last line "N passed, N failed"
 *
 * Sections: entry points and size checks; Get/Set in both API forms; what reaches the hook; pymalloc
 * (both geometries, realloc rule, arenas); the three PEP use cases written as in the PEP; debug hooks
 * (layout and fill bytes in both profiles); every violation recorded and compared with CPython's text;
 * one real abort in a fork()ed child; pass-through hooks; tracing and replay; libc glue with dlopen'd
 * mimalloc/jemalloc (skipped with a reason when absent).
 *
 * Environment: ALLOCSPEC_VALGRIND=1 (set by build.ts under valgrind) skips the third-party glue, whose
 * allocators valgrind does not model.
 */
#define _GNU_SOURCE 1
#include "allocspec.h"
#include "check.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


#define SECTION(name) printf("\n# %s\n", name)
#define S ((size_t)sizeof(size_t))

/* ------------------------------------------------------------------------------------------------ */
/* helpers: a counting allocator over another one, a quarantine allocator (free keeps the block)      */

typedef struct {
    PyMemAllocatorEx inner;
    int malloc, calloc, realloc, free;
    size_t last_size, last_nelem, last_elsize;
    void *last_ptr;
    void *last_ctx;
} counter_t;

static void *cnt_malloc(void *ctx, size_t size)
{
    counter_t *c = ctx;
    c->malloc++;
    c->last_size = size;
    c->last_ctx = ctx;
    return c->inner.malloc(c->inner.ctx, size);
}
static void *cnt_calloc(void *ctx, size_t nelem, size_t elsize)
{
    counter_t *c = ctx;
    c->calloc++;
    c->last_nelem = nelem;
    c->last_elsize = elsize;
    c->last_ctx = ctx;
    return c->inner.calloc(c->inner.ctx, nelem, elsize);
}
static void *cnt_realloc(void *ctx, void *ptr, size_t size)
{
    counter_t *c = ctx;
    c->realloc++;
    c->last_ptr = ptr;
    c->last_size = size;
    c->last_ctx = ctx;
    return c->inner.realloc(c->inner.ctx, ptr, size);
}
static void cnt_free(void *ctx, void *ptr)
{
    counter_t *c = ctx;
    c->free++;
    c->last_ptr = ptr;
    c->last_ctx = ctx;
    c->inner.free(c->inner.ctx, ptr);
}

/* wraps domain d with a counter (the counter remembers the allocator it wrapped) */
static void counter_install(counter_t *c, PyMemAllocatorDomain d)
{
    memset(c, 0, sizeof(*c));
    PyMem_GetAllocator(d, &c->inner);
    PyMemAllocatorEx a = {c, cnt_malloc, cnt_calloc, cnt_realloc, cnt_free};
    PyMem_SetAllocator(d, &a);
}
static void counter_remove(counter_t *c, PyMemAllocatorDomain d) { PyMem_SetAllocator(d, &c->inner); }

#define QMAX 256
static void *quarantine[QMAX];
static int nquarantine;
static void *q_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}
static void *q_calloc(void *ctx, size_t a, size_t b)
{
    (void)ctx;
    return calloc(a ? a : 1, b ? b : 1);
}
static void *q_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return realloc(p, n ? n : 1);
}
static void q_free(void *ctx, void *p)
{
    (void)ctx;
    if (p == NULL) return;
    if (nquarantine < QMAX) quarantine[nquarantine++] = p; /* kept: its bytes stay readable */
    else free(p);
}
static void quarantine_release(void)
{
    for (int i = 0; i < nquarantine; i++) free(quarantine[i]);
    nquarantine = 0;
}
static PyMemAllocatorEx quarantine_alloc = {NULL, q_malloc, q_calloc, q_realloc, q_free};

static int all_bytes(const void *p, int byte, size_t n)
{
    const uint8_t *q = p;
    for (size_t i = 0; i < n; i++)
        if (q[i] != (uint8_t)byte) return 0;
    return 1;
}

static size_t be_size(const uint8_t *p)
{
    size_t r = 0;
    for (size_t i = 0; i < S; i++) r = (r << 8) | p[i];
    return r;
}

/* ------------------------------------------------------------------------------------------------ */

static void test_entry_points(void)
{
    SECTION("entry points and size checks");
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK("abi version is 1", allocspec_abi_version() == 1);
    CHECK("reset: cpython profile", allocspec_profile() == ALLOCSPEC_PROFILE_CPYTHON);
    CHECK("reset: cpython profile defaults to cpython310 geometry", allocspec_geometry() == ALLOCSPEC_GEOMETRY_CPYTHON310);

    void *(*mallocs[3])(size_t) = {PyMem_RawMalloc, PyMem_Malloc, PyObject_Malloc};
    void *(*callocs[3])(size_t, size_t) = {PyMem_RawCalloc, PyMem_Calloc, PyObject_Calloc};
    void *(*reallocs[3])(void *, size_t) = {PyMem_RawRealloc, PyMem_Realloc, PyObject_Realloc};
    void (*frees[3])(void *) = {PyMem_RawFree, PyMem_Free, PyObject_Free};
    const char *names[3] = {"RAW", "MEM", "OBJ"};
    char name[160];
    for (int d = 0; d < 3; d++) {
        uint8_t *p = mallocs[d](100);
        snprintf(name, sizeof name, "%s: malloc(100) non-NULL, writable", names[d]);
        CHECK(name, p != NULL);
        memset(p, 0xAB, 100);
        uint8_t *q = reallocs[d](p, 1000);
        snprintf(name, sizeof name, "%s: realloc grows and keeps content", names[d]);
        CHECK(name, q != NULL && all_bytes(q, 0xAB, 100));
        q = reallocs[d](q, 10);
        snprintf(name, sizeof name, "%s: realloc shrinks and keeps content", names[d]);
        CHECK(name, q != NULL && all_bytes(q, 0xAB, 10));
        frees[d](q);
        uint8_t *z = callocs[d](10, 10);
        snprintf(name, sizeof name, "%s: calloc(10,10) zeroed", names[d]);
        CHECK(name, z != NULL && all_bytes(z, 0, 100));
        frees[d](z);
        void *a = mallocs[d](0), *b = mallocs[d](0);
        snprintf(name, sizeof name, "%s: malloc(0) twice gives distinct non-NULL", names[d]);
        CHECK(name, a != NULL && b != NULL && a != b);
        frees[d](a);
        frees[d](b);
        a = callocs[d](0, 5);
        b = callocs[d](5, 0);
        snprintf(name, sizeof name, "%s: calloc(0,5) and calloc(5,0) non-NULL", names[d]);
        CHECK(name, a != NULL && b != NULL && a != b);
        frees[d](a);
        frees[d](b);
        a = reallocs[d](NULL, 8);
        snprintf(name, sizeof name, "%s: realloc(NULL, 8) allocates", names[d]);
        CHECK(name, a != NULL);
        a = reallocs[d](a, 0);
        snprintf(name, sizeof name, "%s: realloc(p, 0) gives non-NULL", names[d]);
        CHECK(name, a != NULL);
        frees[d](a);
        frees[d](NULL);
        /* size checks happen before the hook */
        counter_t c;
        counter_install(&c, (PyMemAllocatorDomain)d);
        void *big1 = mallocs[d]((size_t)PY_SSIZE_T_MAX + 1);
        void *big2 = reallocs[d](NULL, (size_t)PY_SSIZE_T_MAX + 1);
        void *big3 = callocs[d]((size_t)1 << 62, 4);
        void *big4 = callocs[d]((size_t)1 << 32, (size_t)1 << 31);
        snprintf(name, sizeof name, "%s: sizes > PY_SSIZE_T_MAX and calloc overflow give NULL without calling the hook", names[d]);
        CHECK(name, !big1 && !big2 && !big3 && !big4 && c.malloc == 0 && c.realloc == 0 && c.calloc == 0);
        void *m = mallocs[d]((size_t)PY_SSIZE_T_MAX); /* allowed through to the hook, which fails */
        snprintf(name, sizeof name, "%s: malloc(PY_SSIZE_T_MAX) reaches the hook and fails", names[d]);
        CHECK(name, m == NULL && c.malloc == 1 && c.last_size == (size_t)PY_SSIZE_T_MAX);
        counter_remove(&c, (PyMemAllocatorDomain)d);
    }
}

static void test_get_set(void)
{
    SECTION("Get/Set, both API forms");
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMemAllocatorEx raw, mem, obj, unk;
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &raw);
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &mem);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &obj);
    CHECK("cpython: defaults are complete (calloc non-NULL)", raw.malloc && raw.calloc && raw.realloc && raw.free && mem.calloc && obj.calloc);
    CHECK("cpython: MEM defaults to pymalloc (same functions as OBJ)", mem.malloc == obj.malloc && mem.malloc != raw.malloc);
    memset(&unk, 0x55, sizeof unk);
    PyMem_GetAllocator((PyMemAllocatorDomain)7, &unk);
    CHECK("Get(unknown domain) writes NULL to all five fields",
          !unk.ctx && !unk.malloc && !unk.calloc && !unk.realloc && !unk.free);
    PyMemAllocatorEx junk = {NULL, NULL, NULL, NULL, NULL};
    PyMem_SetAllocator((PyMemAllocatorDomain)7, &junk);
    PyMemAllocatorEx raw2;
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &raw2);
    CHECK("Set(unknown domain) is ignored", memcmp(&raw, &raw2, sizeof raw) == 0);

    /* test_setallocators (CPython _testcapi): ctx, sizes and pointers pass through exactly */
    for (int d = 0; d < 3; d++) {
        counter_t c;
        counter_install(&c, (PyMemAllocatorDomain)d);
        PyMemAllocatorEx got;
        PyMem_GetAllocator((PyMemAllocatorDomain)d, &got);
        void *(*m)(size_t) = d == 0 ? PyMem_RawMalloc : d == 1 ? PyMem_Malloc : PyObject_Malloc;
        void *(*ca)(size_t, size_t) = d == 0 ? PyMem_RawCalloc : d == 1 ? PyMem_Calloc : PyObject_Calloc;
        void *(*r)(void *, size_t) = d == 0 ? PyMem_RawRealloc : d == 1 ? PyMem_Realloc : PyObject_Realloc;
        void (*f)(void *) = d == 0 ? PyMem_RawFree : d == 1 ? PyMem_Free : PyObject_Free;
        void *p = m(42);
        int ok = got.ctx == &c && c.malloc == 1 && c.last_size == 42 && c.last_ctx == &c;
        void *p2 = r(p, 200);
        ok = ok && c.realloc == 1 && c.last_ptr == p && c.last_size == 200;
        f(p2);
        ok = ok && c.free == 1 && c.last_ptr == p2;
        p = ca(2, 5);
        ok = ok && c.calloc == 1 && c.last_nelem == 2 && c.last_elsize == 5;
        f(p);
        ok = ok && c.free == 2 && c.last_ptr == p;
        char name[100];
        snprintf(name, sizeof name, "domain %d: hook gets its ctx, exact sizes and pointers (test_setallocators)", d);
        CHECK(name, ok);
        counter_remove(&c, (PyMemAllocatorDomain)d);
    }

    /* 2013 form: 4 fields; Set makes calloc NULL; Calloc entry points use malloc + zero */
    PyMemAllocators a13;
    PyMem_GetRawAllocators(&a13);
    CHECK("2013 GetRawAllocators returns the RAW allocator's 4 fields",
          a13.ctx == raw.ctx && a13.malloc == raw.malloc && a13.realloc == raw.realloc && a13.free == raw.free);
    counter_t c13;
    memset(&c13, 0, sizeof c13);
    c13.inner = quarantine_alloc;
    PyMemAllocators set13 = {&c13, cnt_malloc, cnt_realloc, cnt_free};
    PyMem_SetAllocators(&set13);
    PyMemAllocatorEx after;
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &after);
    CHECK("2013 SetAllocators: shipped Get shows calloc == NULL", after.calloc == NULL && after.malloc == cnt_malloc && after.ctx == &c13);
    uint8_t *z = PyMem_Calloc(3, 7);
    CHECK("2013: PyMem_Calloc calls malloc(nelem*elsize) and zeroes", z && c13.malloc == 1 && c13.last_size == 21 && all_bytes(z, 0, 21));
    PyMem_Free(z);
    PyMemAllocators back;
    PyMem_GetAllocators(&back);
    CHECK("2013 GetAllocators returns what SetAllocators stored", back.ctx == &c13 && back.malloc == cnt_malloc && back.free == cnt_free);
    PyObject_SetAllocators(&set13);
    z = PyObject_Calloc(0, 9);
    CHECK("2013: PyObject_Calloc(0, 9) through malloc(0)", z != NULL && c13.malloc == 2 && c13.last_size == 0);
    PyObject_Free(z);
    PyMemAllocators ob;
    PyObject_GetAllocators(&ob);
    CHECK("2013 PyObject_GetAllocators", ob.ctx == &c13 && ob.realloc == cnt_realloc);
    PyMem_SetRawAllocators(&set13);
    PyMemAllocators rb;
    PyMem_GetRawAllocators(&rb);
    CHECK("2013 PyMem_SetRawAllocators", rb.ctx == &c13);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    quarantine_release();

    /* arena allocator, both forms */
    PyObjectArenaAllocator ar;
    PyObject_GetArenaAllocator(&ar);
    void *ctx13;
    void *(*am)(void *, size_t);
    void (*af)(void *, void *, size_t);
    _PyObject_GetArenaAllocators(&ctx13, &am, &af);
    CHECK("arena allocator: both getters agree", ar.ctx == ctx13 && ar.alloc == am && ar.free == af && am != NULL);
}

static void test_passthrough_to_hook(void)
{
    SECTION("what reaches the hook");
    for (int prof = 0; prof < 2; prof++) {
        allocspec_reset(prof, -1);
        counter_t c;
        counter_install(&c, PYMEM_DOMAIN_RAW);
        void *p = PyMem_RawMalloc(0);
        int ok = c.malloc == 1 && c.last_size == 0;
        void *q = PyMem_RawRealloc(NULL, 8);
        ok = ok && c.realloc == 1 && c.last_ptr == NULL && c.last_size == 8 && c.malloc == 1;
        q = PyMem_RawRealloc(q, 0);
        ok = ok && c.realloc == 2 && c.last_size == 0 && q != NULL;
        PyMem_RawFree(NULL);
        ok = ok && c.free == 1 && c.last_ptr == NULL;
        void *z = PyMem_RawCalloc(3, 5);
        ok = ok && c.calloc == 1 && c.last_nelem == 3 && c.last_elsize == 5;
        PyMem_RawFree(p);
        PyMem_RawFree(q);
        PyMem_RawFree(z);
        CHECK(prof ? "cpython: malloc(0), realloc(NULL,8), realloc(p,0), free(NULL), calloc(3,5) reach the hook untouched"
                   : "pep445-2013: malloc(0), realloc(NULL,8), realloc(p,0), free(NULL), calloc(3,5) reach the hook untouched",
              ok);
        counter_remove(&c, PYMEM_DOMAIN_RAW);
    }
    /* PyObject_Malloc fallback: cpython -> RAW; pep445-2013 -> MEM */
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    counter_t raw, mem;
    counter_install(&raw, PYMEM_DOMAIN_RAW);
    counter_install(&mem, PYMEM_DOMAIN_MEM);
    void *big = PyObject_Malloc(1000), *zero = PyObject_Malloc(0), *small = PyObject_Malloc(16);
    CHECK("cpython: PyObject_Malloc(1000) and (0) fall back to PyMem_RawMalloc; (16) does not",
          raw.malloc == 2 && mem.malloc == 0 && raw.last_size == 0);
    big = PyObject_Realloc(big, 2000);
    CHECK("cpython: PyObject_Realloc of a non-pymalloc block goes to PyMem_RawRealloc", raw.realloc == 1 && raw.last_size == 2000);
    PyObject_Free(big);
    PyObject_Free(zero);
    PyObject_Free(small);
    CHECK("cpython: PyObject_Free of fallback blocks goes to PyMem_RawFree", raw.free == 2);
    void *pz = PyObject_Calloc(1, 600);
    CHECK("cpython: PyObject_Calloc(1, 600) falls back to PyMem_RawCalloc", raw.calloc == 1 && all_bytes(pz, 0, 600));
    PyObject_Free(pz);
    allocspec_reset(ALLOCSPEC_PROFILE_PEP445_2013, -1);
    counter_install(&raw, PYMEM_DOMAIN_RAW);
    counter_install(&mem, PYMEM_DOMAIN_MEM);
    big = PyObject_Malloc(1000);
    CHECK("pep445-2013: PyObject_Malloc(1000) falls back to PyMem_Malloc", mem.malloc == 1 && raw.malloc == 0);
    PyObject_Free(big);
    CHECK("pep445-2013: PyObject_Free of it goes to PyMem_Free", mem.free == 1);
    PyMemAllocatorEx m, r;
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &m);
    counter_remove(&mem, PYMEM_DOMAIN_MEM);
    counter_remove(&raw, PYMEM_DOMAIN_RAW);
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &m);
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &r);
    CHECK("pep445-2013: MEM defaults to the raw allocator (PyMem_Malloc calls malloc)", m.malloc == r.malloc);
}

/* arena allocator that counts, over mmap/munmap of the default */
typedef struct {
    PyObjectArenaAllocator inner;
    int allocs, frees;
    size_t last_size;
} arena_counter_t;
static void *ac_alloc(void *ctx, size_t size)
{
    arena_counter_t *a = ctx;
    a->allocs++;
    a->last_size = size;
    return a->inner.alloc(a->inner.ctx, size);
}
static void ac_free(void *ctx, void *ptr, size_t size)
{
    arena_counter_t *a = ctx;
    a->frees++;
    a->inner.free(a->inner.ctx, ptr, size);
}

/* ARENA_SIZE-aligned arenas: every arena has the same number of pools (deterministic arena counts) */
static void *aligned_arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return aligned_alloc(size, size);
}
static void aligned_arena_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)size;
    free(ptr);
}

static void test_pymalloc(void)
{
    SECTION("pymalloc");
    for (int geo = 0; geo < 2; geo++) {
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, geo);
        const size_t arena = geo ? (size_t)1 << 20 : (size_t)256 << 10;
        const size_t pool = geo ? (size_t)16 << 10 : (size_t)4 << 10;
        const size_t align = geo ? 16 : 8;
        const char *g = geo ? "cpython310" : "pep445";
        char name[160];
        static arena_counter_t ac;
        memset(&ac, 0, sizeof ac);
        PyObjectArenaAllocator aligned_arenas = {NULL, aligned_arena_alloc, aligned_arena_free};
        ac.inner = aligned_arenas;
        PyObjectArenaAllocator hook = {&ac, ac_alloc, ac_free};
        PyObject_SetArenaAllocator(&hook);

        int aligned = 1;
        for (size_t n = 1; n <= 512; n++) {
            void *p = PyObject_Malloc(n);
            if ((uintptr_t)p % align != 0) aligned = 0;
            PyObject_Free(p);
        }
        snprintf(name, sizeof name, "%s: every size 1..512 is %zu-aligned", g, align);
        CHECK(name, aligned);
        snprintf(name, sizeof name, "%s: the arena allocator sees alloc(%zu)", g, arena);
        CHECK(name, ac.allocs == 1 && ac.last_size == arena);

        /* consecutive blocks of one class step by the class size; blocks per pool = (POOL-48)/size */
        size_t per_pool = (pool - 48) / 16;
        void **blocks = malloc(sizeof(void *) * (per_pool + 1));
        for (size_t i = 0; i <= per_pool; i++) blocks[i] = PyObject_Malloc(16);
        int stepping = 1;
        for (size_t i = 1; i < per_pool; i++)
            if ((uintptr_t)blocks[i] != (uintptr_t)blocks[i - 1] + 16) stepping = 0;
        uintptr_t pool0 = (uintptr_t)blocks[0] & ~(uintptr_t)(pool - 1);
        snprintf(name, sizeof name, "%s: %zu blocks of 16 B per pool, first at pool+48, next pool after that", g, per_pool);
        CHECK(name, stepping && (uintptr_t)blocks[0] - pool0 == 48 &&
                        ((uintptr_t)blocks[per_pool] & ~(uintptr_t)(pool - 1)) != pool0);
        /* a freed block is handed out again first (freelist head) */
        void *again;
        PyObject_Free(blocks[5]);
        again = PyObject_Malloc(16);
        snprintf(name, sizeof name, "%s: a freed block is reused by the next same-class malloc", g);
        CHECK(name, again == blocks[5]);
        for (size_t i = 0; i <= per_pool; i++) PyObject_Free(blocks[i]);
        free(blocks);

        /* realloc in place when n <= size && 4n > 3*size */
        uint8_t *p = PyObject_Malloc(64);
        memset(p, 7, 64);
        int inplace = PyObject_Realloc(p, 49) == p && PyObject_Realloc(p, 64) == p;
        uint8_t *moved = PyObject_Realloc(p, 48); /* 4*48 = 192 = 3*64: not > */
        snprintf(name, sizeof name, "%s: realloc keeps the block iff n <= size && 4n > 3*size", g);
        CHECK(name, inplace && moved != p && all_bytes(moved, 7, 48));
        uint8_t *grown = PyObject_Realloc(moved, 100);
        snprintf(name, sizeof name, "%s: realloc to a bigger class moves and copies", g);
        CHECK(name, grown != moved && all_bytes(grown, 7, 48));
        PyObject_Free(grown);

        /* arenas: fill 3 arenas with 512-byte blocks, free all: 2 arenas returned, the last kept */
        size_t per_arena = (arena / pool) * ((pool - 48) / 512);
        size_t nb = per_arena * 3;
        void **many = malloc(sizeof(void *) * nb);
        int before_allocs = ac.allocs;
        for (size_t i = 0; i < nb; i++) many[i] = PyObject_Malloc(512);
        int new_arenas = ac.allocs - before_allocs;
        for (size_t i = 0; i < nb; i++) PyObject_Free(many[i]);
        snprintf(name, sizeof name, "%s: filling 3 arenas' worth of pools allocates new arenas", g);
        CHECK(name, new_arenas == 2 && ac.allocs == 3);
        snprintf(name, sizeof name, "%s: freeing everything returns all arenas but one (bpo-37257)", g);
        CHECK(name, ac.frees == ac.allocs - 1);
        free(many);
        /* reset releases the last one, through the allocator that made it */
        int frees_before = ac.frees;
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, geo);
        snprintf(name, sizeof name, "%s: allocspec_reset releases every pymalloc arena", g);
        CHECK(name, ac.frees == frees_before + 1);
    }
    /* usable_arenas is sorted by ascending nfreepools: a new pool comes from the most-used arena */
    for (int geo = 0; geo < 2; geo++) {
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, geo);
        const size_t arena = geo ? (size_t)1 << 20 : (size_t)256 << 10;
        const size_t pool = geo ? (size_t)16 << 10 : (size_t)4 << 10;
        PyObjectArenaAllocator aligned_arenas = {NULL, aligned_arena_alloc, aligned_arena_free};
        PyObject_SetArenaAllocator(&aligned_arenas);
        const size_t per_pool = (pool - 48) / 512, pools = arena / pool, nb = per_pool * pools * 3;
        uint8_t **b = malloc(sizeof(*b) * nb);
        for (size_t i = 0; i < nb; i++) b[i] = PyObject_Malloc(512);
        uintptr_t A = (uintptr_t)b[0] & ~(uintptr_t)(arena - 1);
        uintptr_t B = (uintptr_t)b[per_pool * pools] & ~(uintptr_t)(arena - 1);
        /* free 5 whole pools of A and 2 whole pools of B */
        for (size_t i = 0; i < per_pool * 5; i++) { PyObject_Free(b[i]); b[i] = NULL; }
        for (size_t i = per_pool * pools; i < per_pool * (pools + 2); i++) { PyObject_Free(b[i]); b[i] = NULL; }
        /* a different size class needs a fresh pool: it must come from B (2 free pools < 5) */
        void *x = PyObject_Malloc(8);
        void *y = PyObject_Malloc(100);
        void *z = PyObject_Malloc(200); /* B now has 0 free pools: next from A */
        char name[160];
        snprintf(name, sizeof name, "%s: new pools come from the arena with the fewest free pools (usable_arenas order)",
                 geo ? "cpython310" : "pep445");
        CHECK(name, ((uintptr_t)x & ~(uintptr_t)(arena - 1)) == B && ((uintptr_t)y & ~(uintptr_t)(arena - 1)) == B &&
                        ((uintptr_t)z & ~(uintptr_t)(arena - 1)) == A);
        PyObject_Free(x);
        PyObject_Free(y);
        PyObject_Free(z);
        for (size_t i = 0; i < nb; i++) PyObject_Free(b[i]);
        free(b);
    }
    /* arenas made through JS callbacks (marked by the loader) are leaked by reset, not freed */
    {
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        static arena_counter_t jsac;
        memset(&jsac, 0, sizeof jsac);
        PyObjectArenaAllocator aligned_arenas = {NULL, aligned_arena_alloc, aligned_arena_free};
        jsac.inner = aligned_arenas;
        PyObjectArenaAllocator hook = {&jsac, ac_alloc, ac_free};
        PyObject_SetArenaAllocator(&hook);
        allocspec_mark_js_domain(ALLOCSPEC_ARENA_DOMAIN, 1);
        void *blk = PyObject_Malloc(16);
        uintptr_t base = (uintptr_t)blk & ~(uintptr_t)(((size_t)1 << 20) - 1);
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        CHECK("reset leaks an arena made while the arena allocator was marked JS (no callback)", jsac.allocs == 1 && jsac.frees == 0);
        free((void *)base); /* the test's own cleanup (valgrind: no leak) */
    }
    allocspec_reset(ALLOCSPEC_PROFILE_PEP445_2013, -1);
    CHECK("pep445-2013 profile defaults to the pep445 geometry", allocspec_geometry() == ALLOCSPEC_GEOMETRY_PEP445);
    /* a foreign pointer is not pymalloc's: PyObject_Free passes it to the fallback */
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    counter_t raw;
    counter_install(&raw, PYMEM_DOMAIN_RAW);
    void *foreign = PyMem_RawMalloc(24);
    void *small = PyObject_Malloc(24);
    PyObject_Free(foreign);
    PyObject_Free(small);
    CHECK("address_in_range: a RAW block freed by PyObject_Free goes to PyMem_RawFree, a pymalloc one does not",
          raw.free == 1 && raw.last_ptr == foreign);
    counter_remove(&raw, PYMEM_DOMAIN_RAW);
}

/* ---- the three PEP use cases, written as in the PEP text ---- */

/* Use case 1: Replace Memory Allocators, keep pymalloc */
int alloc_padding = 2;
int arena_padding = 10;
static int uc1_mallocs, uc1_arenas;

void *my_malloc(void *ctx, size_t size)
{
    int padding = *(int *)ctx;
    uc1_mallocs++;
    return malloc(size + padding);
}

void *my_realloc(void *ctx, void *ptr, size_t new_size)
{
    int padding = *(int *)ctx;
    return realloc(ptr, new_size + padding);
}

void my_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

void *my_alloc_arena(void *ctx, size_t size)
{
    int padding = *(int *)ctx;
    uc1_arenas++;
    return malloc(size + padding);
}

void my_free_arena(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)size;
    free(ptr);
}

void setup_custom_allocators(void)
{
    PyMemAllocators alloc;

    alloc.ctx = &alloc_padding;
    alloc.malloc = my_malloc;
    alloc.realloc = my_realloc;
    alloc.free = my_free;

    PyMem_SetRawAllocators(&alloc);
    PyMem_SetAllocators(&alloc);

    _PyObject_SetArenaAllocators(&arena_padding, my_alloc_arena, my_free_arena);

    PyMem_SetupDebugHooks();
}

/* Use case 2: Replace Memory Allocators, override pymalloc */
int padding = 2;

void setup_custom_allocators2(void)
{
    PyMemAllocators alloc;
    alloc.ctx = &padding;
    alloc.malloc = my_malloc;
    alloc.realloc = my_realloc;
    alloc.free = my_free;

    PyMem_SetRawAllocators(&alloc);
    PyMem_SetAllocators(&alloc);
    PyObject_SetAllocators(&alloc);

    PyMem_SetupDebugHooks();
}

/* Use case 3: Setup Allocator Hooks */
struct {
    PyMemAllocators pymem;
    PyMemAllocators pymem_raw;
    PyMemAllocators pyobj;
    /* ... */
    int calls;
} hook;

static void *hook_malloc(void *ctx, size_t size)
{
    PyMemAllocators *alloc = (PyMemAllocators *)ctx;
    void *ptr;
    hook.calls++;
    ptr = alloc->malloc(alloc->ctx, size);
    return ptr;
}

static void *hook_realloc(void *ctx, void *ptr, size_t new_size)
{
    PyMemAllocators *alloc = (PyMemAllocators *)ctx;
    void *ptr2;
    hook.calls++;
    ptr2 = alloc->realloc(alloc->ctx, ptr, new_size);
    return ptr2;
}

static void hook_free(void *ctx, void *ptr)
{
    PyMemAllocators *alloc = (PyMemAllocators *)ctx;
    hook.calls++;
    alloc->free(alloc->ctx, ptr);
}

void setup_hooks(void)
{
    PyMemAllocators alloc;
    static int installed = 0;

    if (installed)
        return;
    installed = 1;

    alloc.malloc = hook_malloc;
    alloc.realloc = hook_realloc;
    alloc.free = hook_free;

    PyMem_GetRawAllocators(&hook.pymem_raw);
    alloc.ctx = &hook.pymem_raw;
    PyMem_SetRawAllocators(&alloc);

    PyMem_GetAllocators(&hook.pymem);
    alloc.ctx = &hook.pymem;
    PyMem_SetAllocators(&alloc);

    PyObject_GetAllocators(&hook.pyobj);
    alloc.ctx = &hook.pyobj;
    PyObject_SetAllocators(&alloc);
}

static void test_pep_use_cases(void)
{
    SECTION("PEP 445 use cases, as written in the PEP");
    for (int prof = 0; prof < 2; prof++) {
        const char *pn = prof ? "cpython" : "pep445-2013";
        char name[160];
        allocspec_reset(prof, -1);
        uc1_mallocs = uc1_arenas = 0;
        setup_custom_allocators();
        uint8_t *a = PyMem_RawMalloc(10), *b = PyMem_Malloc(20), *c = PyObject_Malloc(30);
        snprintf(name, sizeof name, "%s use case 1: custom RAW/MEM allocators + arenas under debug hooks", pn);
        CHECK(name, a && b && c && uc1_mallocs == 2 && uc1_arenas == 1 && c[-(long)S] == 'o' && b[-(long)S] == 'm');
        uint8_t *d = PyMem_Calloc(4, 4);
        snprintf(name, sizeof name, "%s use case 1: PyMem_Calloc over a 2013 allocator (no calloc) is zeroed", pn);
        CHECK(name, d && all_bytes(d, 0, 16));
        PyMem_Free(d);
        PyMem_RawFree(a);
        PyMem_Free(b);
        PyObject_Free(c);
        allocspec_reset(prof, -1); /* frees the arena with my_free_arena */

        uc1_mallocs = 0;
        setup_custom_allocators2();
        c = PyObject_Malloc(30);
        c = PyObject_Realloc(c, 60);
        snprintf(name, sizeof name, "%s use case 2: PyObject_Malloc goes to the custom allocator (pymalloc overridden)", pn);
        CHECK(name, c && uc1_mallocs == 1 && c[-(long)S] == 'o');
        PyObject_Free(c);
        allocspec_reset(prof, -1);
    }
    /* use case 3 once: the PEP's setup_hooks() has a static "installed" flag */
    {
        const char *pn = "cpython";
        char name[160];
        int prof = ALLOCSPEC_PROFILE_CPYTHON;
        allocspec_reset(prof, -1);
        memset(&hook, 0, sizeof hook);
        setup_hooks();
        void *p = PyMem_RawMalloc(5);
        p = PyMem_RawRealloc(p, 50);
        PyMem_RawFree(p);
        p = PyMem_Malloc(5);
        PyMem_Free(p);
        p = PyObject_Malloc(5);
        PyObject_Free(p);
        snprintf(name, sizeof name, "%s use case 3: hooks on all domains see every call", pn);
        /* cpython: PyObject_Malloc(5) is served by pymalloc: 7 outer calls, none nested */
        CHECK(name, hook.calls == 7);
        setup_hooks(); /* second call: no-op (static installed flag) */
        p = PyMem_Malloc(1);
        PyMem_Free(p);
        snprintf(name, sizeof name, "%s use case 3: setup_hooks() twice installs once", pn);
        CHECK(name, hook.calls == 9);
        allocspec_reset(prof, -1);
    }
}

/* ---- debug hooks ---- */

/* an allocator whose realloc inspects the old block (what the debug layer left there) and can fail */
static int seen_dead_header, seen_dead_data, seen_intact_header, fail_realloc;
static size_t inspect_n0;
static uint8_t inspect_dead;
static void *insp_realloc(void *ctx, void *q, size_t n)
{
    (void)ctx;
    uint8_t *b = q;
    if (q != NULL) {
        seen_dead_header = all_bytes(b, inspect_dead, 2 * S);
        /* small blocks: all data + tail marked; large: first 64 and last 64 data bytes + tail */
        if (inspect_n0 <= 128) seen_dead_data = all_bytes(b + 2 * S, inspect_dead, inspect_n0 + S);
        else seen_dead_data = all_bytes(b + 2 * S, inspect_dead, 64) && all_bytes(b + 2 * S + inspect_n0 - 64, inspect_dead, 64 + S) &&
                              !all_bytes(b + 2 * S + 64, inspect_dead, inspect_n0 - 128);
        seen_intact_header = be_size(b) == inspect_n0;
    }
    if (fail_realloc) return NULL;
    return realloc(q, n);
}
static PyMemAllocatorEx inspecting_alloc = {NULL, q_malloc, q_calloc, insp_realloc, q_free};

static void test_debug_layout(void)
{
    SECTION("debug hooks: layout and fill bytes");
    for (int prof = 0; prof < 2; prof++) {
        const int cp = prof == ALLOCSPEC_PROFILE_CPYTHON;
        const uint8_t CLEAN = cp ? 0xCD : 0xCB, DEAD = cp ? 0xDD : 0xDB, FORB = cp ? 0xFD : 0xFB;
        const size_t extra = cp ? 3 * S : 4 * S;
        const char *pn = cp ? "cpython" : "pep445-2013";
        char name[200];
        allocspec_reset(prof, -1);
        /* quarantine under the debug hooks: freed blocks stay readable */
        PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &quarantine_alloc);
        PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &quarantine_alloc);
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &quarantine_alloc);
        counter_t under;
        counter_install(&under, PYMEM_DOMAIN_MEM);
        PyMem_SetupDebugHooks();
        PyMemAllocatorEx first, second;
        PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &first);
        PyMem_SetupDebugHooks();
        PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &second);
        snprintf(name, sizeof name, "%s: SetupDebugHooks is idempotent", pn);
        CHECK(name, memcmp(&first, &second, sizeof first) == 0);

        uint8_t *p = PyMem_Malloc(16);
        uint8_t *q = p - 2 * S;
        snprintf(name, sizeof name, "%s: the layer below sees malloc(16 + %zu)", pn, extra);
        CHECK(name, under.malloc == 1 && under.last_size == 16 + extra);
        snprintf(name, sizeof name, "%s: header = big-endian size, 'm', 7 x 0x%02x", pn, FORB);
        CHECK(name, be_size(q) == 16 && q[S] == 'm' && all_bytes(q + S + 1, FORB, S - 1));
        snprintf(name, sizeof name, "%s: data filled with 0x%02x, tail 8 x 0x%02x", pn, CLEAN, FORB);
        CHECK(name, all_bytes(p, CLEAN, 16) && all_bytes(p + 16, FORB, S));
        if (!cp) {
            uint8_t *p2 = PyMem_Malloc(1);
            CHECK("pep445-2013: serial numbers follow the tail and increase", be_size(p + 16 + S) >= 1 &&
                                                                                   be_size(p2 + 1 + S) == be_size(p + 16 + S) + 1);
            PyMem_Free(p2);
        }
        snprintf(name, sizeof name, "%s: PyMem_Malloc(16) is 16-aligned over a 16-aligned allocator", pn);
        CHECK(name, (uintptr_t)p % 16 == 0);
        memcpy(p, "ABCD", 4);
        uint8_t *r = PyMem_Realloc(p, 4);
        r = PyMem_Realloc(r, 12);
        snprintf(name, sizeof name, "%s: realloc grow keeps data and fills the new bytes with 0x%02x", pn, CLEAN);
        CHECK(name, r && memcmp(r, "ABCD", 4) == 0 && all_bytes(r + 4, CLEAN, 8) && be_size(r - 2 * S) == 12);
        r = PyMem_Realloc(r, 2);
        snprintf(name, sizeof name, "%s: realloc shrink keeps the prefix, new tail pad", pn);
        CHECK(name, r && memcmp(r, "AB", 2) == 0 && all_bytes(r + 2, FORB, S));
        uint8_t *r0 = PyMem_Realloc(r, 0);
        snprintf(name, sizeof name, "%s: realloc(p, 0) gives non-NULL with size field 0", pn);
        CHECK(name, r0 && be_size(r0 - 2 * S) == 0);
        PyMem_Free(r0);
        uint8_t *z = PyMem_Calloc(3, 5);
        snprintf(name, sizeof name, "%s: calloc(3,5) calls calloc(1, 15 + %zu) below and keeps data zero", pn, extra);
        CHECK(name, z && under.calloc == 1 && under.last_nelem == 1 && under.last_elsize == 15 + extra && all_bytes(z, 0, 15));
        PyMem_Free(z);
        uint8_t *f = PyMem_Malloc(40);
        PyMem_Free(f);
        snprintf(name, sizeof name, "%s: free fills all n + %zu bytes with 0x%02x", pn, extra, DEAD);
        CHECK(name, under.last_ptr == f - 2 * S && all_bytes(f - 2 * S, DEAD, 40 + extra));
        uint8_t *ro = PyObject_Malloc(8), *rr = PyMem_RawMalloc(8);
        snprintf(name, sizeof name, "%s: API ids 'o' and 'r'", pn);
        CHECK(name, ro[-(long)S] == 'o' && rr[-(long)S] == 'r');
        PyObject_Free(ro);
        PyMem_RawFree(rr);
        void *m0a = PyMem_Malloc(0), *m0b = PyMem_Malloc(0);
        snprintf(name, sizeof name, "%s: malloc(0) under debug hooks: distinct, below sees %zu", pn, extra);
        CHECK(name, m0a && m0b && m0a != m0b && under.last_size == extra);
        PyMem_Free(m0a);
        PyMem_Free(m0b);
        counter_remove(&under, PYMEM_DOMAIN_MEM); /* (the debug slot still points at the counter: reset next) */
        allocspec_reset(prof, -1);
        quarantine_release();
    }
    /* realloc: what the layer below sees, and a failing realloc restores the old block */
    for (int prof = 0; prof < 2; prof++) {
        const int cp = prof == ALLOCSPEC_PROFILE_CPYTHON;
        const uint8_t DEAD = cp ? 0xDD : 0xDB, FORB = cp ? 0xFD : 0xFB;
        const char *pn = cp ? "cpython" : "pep445-2013";
        char name[200];
        size_t sizes[2] = {100, 1000};
        for (int k = 0; k < 2; k++) {
            size_t n0 = sizes[k];
            allocspec_reset(prof, -1);
            PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &inspecting_alloc);
            PyMem_SetupDebugHooks();
            uint8_t *p = PyMem_Malloc(n0);
            for (size_t i = 0; i < n0; i++) p[i] = (uint8_t)(i * 7 + 1);
            inspect_n0 = n0;
            inspect_dead = DEAD;
            seen_dead_header = seen_dead_data = seen_intact_header = 0;
            fail_realloc = 1;
            uint8_t *r = PyMem_Realloc(p, n0 * 2);
            int restored = 1;
            for (size_t i = 0; i < n0; i++)
                if (p[i] != (uint8_t)(i * 7 + 1)) restored = 0;
            if (cp) {
                snprintf(name, sizeof name, "cpython: realloc(%zu-byte block) marks header, saved data and tail 0xdd before calling realloc below (bpo-31626)", n0);
                CHECK(name, seen_dead_header && seen_dead_data);
            } else {
                snprintf(name, sizeof name, "pep445-2013: realloc(%zu-byte block) calls realloc below first (old header intact)", n0);
                CHECK(name, seen_intact_header && !seen_dead_header);
            }
            snprintf(name, sizeof name, "%s: a failed realloc of a %zu-byte block returns NULL, block intact (header, data, tail)", pn, n0);
            CHECK(name, r == NULL && restored && be_size(p - 2 * S) == n0 && p[-(long)S] == 'm' &&
                            all_bytes(p - S + 1, FORB, S - 1) && all_bytes(p + n0, FORB, S));
            fail_realloc = 0;
            r = PyMem_Realloc(p, n0 / 2);
            int kept = r != NULL;
            for (size_t i = 0; kept && i < n0 / 2; i++)
                if (r[i] != (uint8_t)(i * 7 + 1)) kept = 0;
            snprintf(name, sizeof name, "%s: shrinking realloc of a %zu-byte block keeps the first %zu bytes", pn, n0, n0 / 2);
            CHECK(name, kept && be_size(r - 2 * S) == n0 / 2 && all_bytes(r + n0 / 2, FORB, S));
            PyMem_Free(r);
            allocspec_reset(prof, -1);
            quarantine_release();
        }
    }
    /* over the default allocators (pymalloc) */
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMem_SetupDebugHooks();
    uint8_t *p = PyObject_Malloc(16);
    CHECK("cpython debug over pymalloc: 16-aligned, header 'o'", (uintptr_t)p % 16 == 0 && p[-(long)S] == 'o');
    PyObject_Free(p);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
}

/* ---- violations ---- */

static char expect[4096];

static void check_text(const char *name, const char *want)
{
    int same = strcmp(allocspec_violation_text(), want) == 0;
    CHECK(name, same);
    if (!same) printf("---- got:\n%s---- want:\n%s----\n", allocspec_violation_text(), want);
}

static void test_violations(void)
{
    SECTION("violations: recorded, CPython's text");
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMem_SetupDebugHooks();
    allocspec_record_violations(1);

    /* Transcript A: 1-byte overflow */
    uint8_t *p = PyMem_Malloc(16);
    p[16] = 'x';
    PyMem_Free(p);
    CHECK("overflow: recorded as bad_trailing_pad by _PyMem_DebugRawFree",
          allocspec_violation_count() == 1 && allocspec_violation_kind() == ALLOCSPEC_VIOLATION_BAD_TRAILING_PAD &&
              strcmp(allocspec_violation_func(), "_PyMem_DebugRawFree") == 0 && allocspec_violation_address() == p);
    snprintf(expect, sizeof expect,
             "Debug memory block at address p=%p: API 'm'\n"
             "    16 bytes originally requested\n"
             "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n"
             "    The 8 pad bytes at tail=%p are not all FORBIDDENBYTE (0xfd):\n"
             "        at tail+0: 0x78 *** OUCH\n"
             "        at tail+1: 0xfd\n        at tail+2: 0xfd\n        at tail+3: 0xfd\n        at tail+4: 0xfd\n"
             "        at tail+5: 0xfd\n        at tail+6: 0xfd\n        at tail+7: 0xfd\n"
             "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n"
             "\n"
             "Enable tracemalloc to get the memory block allocation traceback\n"
             "\n"
             "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n"
             "Python runtime state: initialized\n"
             "\n",
             (void *)p, (void *)(p + 16));
    check_text("overflow: text is CPython's (transcript A)", expect);
    p[16] = 0xfd;
    PyMem_Free(p); /* the recorded free had no effect: the block is still live and sound */
    CHECK("after a recorded violation the free had no effect (block freed now, no new violation)", allocspec_violation_count() == 1);

    /* Transcript B: underflow */
    allocspec_violation_clear();
    p = PyMem_Malloc(16);
    p[-1] = 'x';
    PyMem_Free(p);
    snprintf(expect, sizeof expect,
             "Debug memory block at address p=%p: API 'm'\n"
             "    16 bytes originally requested\n"
             "    The 7 pad bytes at p-7 are not all FORBIDDENBYTE (0xfd):\n"
             "        at p-7: 0xfd\n        at p-6: 0xfd\n        at p-5: 0xfd\n        at p-4: 0xfd\n"
             "        at p-3: 0xfd\n        at p-2: 0xfd\n        at p-1: 0x78 *** OUCH\n"
             "    Because memory is corrupted at the start, the count of bytes requested\n"
             "       may be bogus, and checking the trailing pad bytes may segfault.\n"
             "    The 8 pad bytes at tail=%p are FORBIDDENBYTE, as expected.\n"
             "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n"
             "\n"
             "Enable tracemalloc to get the memory block allocation traceback\n"
             "\n"
             "Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte\n"
             "Python runtime state: initialized\n"
             "\n",
             (void *)p, (void *)(p + 16));
    CHECK("underflow: kind bad_leading_pad", allocspec_violation_kind() == ALLOCSPEC_VIOLATION_BAD_LEADING_PAD);
    check_text("underflow: text is CPython's (transcript B)", expect);
    p[-1] = 0xfd;
    PyMem_Free(p);

    /* Transcript C and the other API mixes: bad ID */
    struct {
        void *(*m)(size_t);
        void (*f)(void *);
        void *(*r)(void *, size_t);
        char a, v;
    } mixes[] = {
        {PyMem_Malloc, PyObject_Free, NULL, 'm', 'o'},
        {PyMem_Malloc, PyMem_RawFree, NULL, 'm', 'r'},
        {PyObject_Malloc, PyMem_Free, NULL, 'o', 'm'},
        {PyMem_RawMalloc, PyMem_Free, NULL, 'r', 'm'},
        {PyObject_Malloc, NULL, PyMem_Realloc, 'o', 'm'},
    };
    for (size_t i = 0; i < sizeof mixes / sizeof mixes[0]; i++) {
        allocspec_violation_clear();
        p = mixes[i].m(16);
        void *res = (void *)1;
        if (mixes[i].f) mixes[i].f(p);
        else res = mixes[i].r(p, 32);
        const char *func = mixes[i].f ? "_PyMem_DebugRawFree" : "_PyMem_DebugRawRealloc";
        snprintf(expect, sizeof expect,
                 "Debug memory block at address p=%p: API '%c'\n"
                 "    16 bytes originally requested\n"
                 "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n"
                 "    The 8 pad bytes at tail=%p are FORBIDDENBYTE, as expected.\n"
                 "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\n"
                 "\n"
                 "Enable tracemalloc to get the memory block allocation traceback\n"
                 "\n"
                 "Fatal Python error: %s: bad ID: Allocated using API '%c', verified using API '%c'\n"
                 "Python runtime state: initialized\n"
                 "\n",
                 (void *)p, mixes[i].a, (void *)(p + 16), func, mixes[i].a, mixes[i].v);
        char name[160];
        snprintf(name, sizeof name, "bad ID '%c' verified by '%c' (%s): kind, ids, text", mixes[i].a, mixes[i].v, func);
        int ok = allocspec_violation_count() == 1 && allocspec_violation_kind() == ALLOCSPEC_VIOLATION_BAD_ID &&
                 allocspec_violation_api_id() == mixes[i].a && allocspec_violation_verified_id() == mixes[i].v &&
                 strcmp(allocspec_violation_func(), func) == 0 && strcmp(allocspec_violation_text(), expect) == 0;
        if (!mixes[i].f) ok = ok && res == NULL; /* the recorded realloc returns NULL */
        CHECK(name, ok);
        if (!ok) printf("---- got:\n%s---- want:\n%s----\n", allocspec_violation_text(), expect);
        if (mixes[i].m == PyMem_Malloc) PyMem_Free(p);
        else if (mixes[i].m == PyObject_Malloc) PyObject_Free(p);
        else PyMem_RawFree(p);
    }

    /* id byte overwritten; overflow caught by realloc; 40-byte data line; 0-byte block */
    allocspec_violation_clear();
    p = PyMem_Malloc(16);
    p[-(long)S] = 'x';
    PyMem_Free(p);
    CHECK("id byte overwritten with 'x': bad ID 'x' verified using 'm'",
          strstr(allocspec_violation_text(), "bad ID: Allocated using API 'x', verified using API 'm'\n") != NULL &&
              strstr(allocspec_violation_text(), "API 'x'\n") != NULL);
    p[-(long)S] = 'm';
    PyMem_Free(p);
    allocspec_violation_clear();
    p = PyMem_RawMalloc(40);
    for (int i = 0; i < 40; i++) p[i] = (uint8_t)(i < 8 ? i : 0x20 + i - 32);
    p[43] = 0;
    void *res = PyMem_RawRealloc(p, 80);
    CHECK("overflow caught by PyMem_RawRealloc: _PyMem_DebugRawRealloc, NULL result",
          res == NULL && strstr(allocspec_violation_text(), "Fatal Python error: _PyMem_DebugRawRealloc: bad trailing pad byte\n"));
    CHECK("40-byte block: Data at p shows 8 bytes, ..., the last 8 (transcript D)",
          strstr(allocspec_violation_text(), "    Data at p: 00 01 02 03 04 05 06 07 ... 20 21 22 23 24 25 26 27\n") != NULL &&
              strstr(allocspec_violation_text(), "        at tail+3: 0x00 *** OUCH\n") != NULL);
    p[43] = 0xfd;
    PyMem_RawFree(p);
    allocspec_violation_clear();
    p = PyMem_Malloc(0);
    p[0] = 'x';
    PyMem_Free(p);
    snprintf(expect, sizeof expect,
             "Debug memory block at address p=%p: API 'm'\n"
             "    0 bytes originally requested\n"
             "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n"
             "    The 8 pad bytes at tail=%p are not all FORBIDDENBYTE (0xfd):\n"
             "        at tail+0: 0x78 *** OUCH\n"
             "        at tail+1: 0xfd\n        at tail+2: 0xfd\n        at tail+3: 0xfd\n        at tail+4: 0xfd\n"
             "        at tail+5: 0xfd\n        at tail+6: 0xfd\n        at tail+7: 0xfd\n"
             "\n"
             "Enable tracemalloc to get the memory block allocation traceback\n"
             "\n"
             "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\n"
             "Python runtime state: initialized\n"
             "\n",
             (void *)p, (void *)p);
    check_text("0-byte block overflowed: no Data line (transcript E)", expect);
    p[0] = 0xfd;
    PyMem_Free(p);

    /* check order: id, then leading pad, then trailing pad */
    allocspec_violation_clear();
    p = PyMem_Malloc(16);
    p[-(long)S] = 'o';
    p[-3] = 0;
    p[17] = 0;
    PyMem_Free(p);
    int k1 = allocspec_violation_kind();
    p[-(long)S] = 'm';
    PyMem_Free(p);
    int k2 = allocspec_violation_kind();
    p[-3] = 0xfd;
    PyMem_Free(p);
    int k3 = allocspec_violation_kind();
    p[17] = 0xfd;
    PyMem_Free(p);
    CHECK("check order: bad ID before leading pad before trailing pad",
          k1 == ALLOCSPEC_VIOLATION_BAD_ID && k2 == ALLOCSPEC_VIOLATION_BAD_LEADING_PAD &&
              k3 == ALLOCSPEC_VIOLATION_BAD_TRAILING_PAD && allocspec_violation_count() == 3);

    /* Transcript F: no GIL, only MEM/OBJ, before the NULL check */
    allocspec_violation_clear();
    allocspec_set_gil_held(0);
    void *g = PyMem_Malloc(10);
    CHECK("no GIL: PyMem_Malloc(10) recorded, returns NULL", g == NULL && allocspec_violation_kind() == ALLOCSPEC_VIOLATION_NO_GIL);
    check_text("no GIL: text is CPython's (transcript F)",
               "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL\n"
               "Python runtime state: initialized\n"
               "\n");
    PyObject_Free(NULL);
    CHECK("no GIL: PyObject_Free(NULL) is checked before the NULL check (_PyMem_DebugFree)",
          allocspec_violation_count() == 2 && strcmp(allocspec_violation_func(), "_PyMem_DebugFree") == 0);
    g = PyObject_Calloc(1, 1);
    CHECK("no GIL: _PyMem_DebugCalloc", g == NULL && strcmp(allocspec_violation_func(), "_PyMem_DebugCalloc") == 0);
    g = PyMem_Realloc(NULL, 1);
    CHECK("no GIL: _PyMem_DebugRealloc", g == NULL && strcmp(allocspec_violation_func(), "_PyMem_DebugRealloc") == 0);
    void *rawg = PyMem_RawMalloc(10);
    PyMem_RawFree(rawg);
    CHECK("no GIL: RAW is not checked", rawg != NULL && allocspec_violation_count() == 4);
    allocspec_set_gil_held(1);

    /* pep445-2013 profile: 0xFB, serial number line, no prefix, no tracemalloc/runtime lines, no GIL check */
    allocspec_reset(ALLOCSPEC_PROFILE_PEP445_2013, -1);
    PyMem_SetupDebugHooks();
    allocspec_record_violations(1);
    p = PyMem_Malloc(16);
    size_t serial = be_size(p + 16 + S);
    p[16] = 'x';
    PyMem_Free(p);
    snprintf(expect, sizeof expect,
             "Debug memory block at address p=%p: API 'm'\n"
             "    16 bytes originally requested\n"
             "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.\n"
             "    The 8 pad bytes at tail=%p are not all FORBIDDENBYTE (0xfb):\n"
             "        at tail+0: 0x78 *** OUCH\n"
             "        at tail+1: 0xfb\n        at tail+2: 0xfb\n        at tail+3: 0xfb\n        at tail+4: 0xfb\n"
             "        at tail+5: 0xfb\n        at tail+6: 0xfb\n        at tail+7: 0xfb\n"
             "    The block was made by call #%zu to debug malloc/realloc.\n"
             "    Data at p: cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb cb\n"
             "\n"
             "Fatal Python error: bad trailing pad byte\n"
             "\n",
             (void *)p, (void *)(p + 16), serial);
    check_text("pep445-2013: overflow text (0xfb, serial line, no prefix)", expect);
    p[16] = 0xfb;
    PyMem_Free(p);
    allocspec_set_gil_held(0);
    g = PyMem_Malloc(10);
    CHECK("pep445-2013: no GIL check", g != NULL && allocspec_violation_count() == 1);
    PyMem_Free(g);
    allocspec_set_gil_held(1);

    /* an installed handler gets the same record */
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK("reset: recording off and cleared", allocspec_violation_count() == 0 && allocspec_violation_kind() == -1);
}

static int handler_calls;
static int handler_kind;
static void my_handler(void *ctx, const allocspec_violation *v)
{
    handler_calls += *(int *)ctx;
    handler_kind = v->kind;
}

static void test_handler_and_abort(void)
{
    SECTION("violation handler, and the default abort()");
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMem_SetupDebugHooks();
    static int one = 1;
    allocspec_set_violation_handler(my_handler, &one);
    uint8_t *p = PyMem_Malloc(8);
    PyObject_Free(p);
    CHECK("installed handler called with ctx and kind", handler_calls == 1 && handler_kind == ALLOCSPEC_VIOLATION_BAD_ID);
    PyMem_Free(p);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);

    int fds[2];
    if (pipe(fds) != 0) {
        CHECK("pipe for the abort test", 0);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 2);
        allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
        PyMem_SetupDebugHooks();
        uint8_t *c = PyMem_Malloc(16);
        c[16] = 'x';
        PyMem_Free(c);
        _exit(0); /* not reached */
    }
    close(fds[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)n;
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK("default handler: the child dies of SIGABRT", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    CHECK("default handler: stderr ends with CPython's fatal lines",
          strstr(buf, "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n") != NULL &&
              strncmp(buf, "Debug memory block at address p=0x", 34) == 0);
}

/* ---- pass-through hooks, trace, replay ---- */

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void rec(uint8_t *r, int op, int d, uint32_t slot, uint32_t src, uint32_t size, uint32_t elsize)
{
    memset(r, 0, 20);
    r[0] = (uint8_t)op;
    r[1] = (uint8_t)d;
    put32(r + 4, slot);
    put32(r + 8, src);
    put32(r + 12, size);
    put32(r + 16, elsize);
}

static void test_hooks_trace_replay(void)
{
    SECTION("pass-through hooks, tracing, replay");
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK("passthrough: depth 0 refused", allocspec_passthrough_install(NULL, NULL, 0) == -1);
    CHECK("passthrough: install depth 3", allocspec_passthrough_install(NULL, NULL, 3) == 0);
    void *p = PyMem_RawMalloc(10);
    p = PyMem_RawRealloc(p, 20);
    PyMem_RawFree(p);
    p = PyMem_Calloc(2, 2);
    PyMem_Free(p);
    p = PyObject_Malloc(1000); /* OBJ hook + RAW hook (fallback) */
    PyObject_Free(p);
    /* 5 RAW/MEM calls + PyObject_Malloc(1000) and its free: OBJ hook + nested RAW hook each */
    CHECK("passthrough: outermost layers count every call (9, nested fallback calls included)", allocspec_passthrough_calls() == 9);
    CHECK("passthrough: second install refused", allocspec_passthrough_install(NULL, NULL, 1) == -1);
    PyMemAllocatorEx before;
    CHECK("passthrough: uninstall", allocspec_passthrough_uninstall() == 0);
    PyMem_GetAllocator(PYMEM_DOMAIN_RAW, &before);
    p = PyMem_RawMalloc(1);
    PyMem_RawFree(p);
    CHECK("passthrough: after uninstall nothing is counted", allocspec_passthrough_calls() == 9);
    /* over a 2013 domain: calloc stays NULL */
    PyMemAllocators a13;
    PyMem_GetAllocators(&a13);
    PyMem_SetAllocators(&a13);
    allocspec_passthrough_install(NULL, NULL, 1);
    PyMemAllocatorEx mem;
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &mem);
    uint8_t *z = PyMem_Calloc(4, 4);
    CHECK("passthrough over a 2013 domain keeps calloc NULL; Calloc still zeroes", mem.calloc == NULL && z && all_bytes(z, 0, 16));
    PyMem_Free(z);
    allocspec_passthrough_uninstall();

    /* trace: record a small workload, write it, replay it */
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    void *old = PyMem_Malloc(5); /* alive before tracing: its free is dropped */
    CHECK("trace: install", allocspec_trace_install(NULL, NULL, 1000) == 0);
    void *a = PyMem_RawMalloc(100);
    void *b = PyObject_Calloc(3, 8);
    a = PyMem_RawRealloc(a, 300);
    PyObject_Free(b);
    void *c = PyObject_Malloc(2000); /* nested RAW call not recorded */
    PyMem_Free(old);
    PyMem_RawFree(NULL);
    PyMem_RawFree(a);
    uint64_t n = allocspec_trace_uninstall();
    PyObject_Free(c);
    CHECK("trace: 7 outermost operations recorded (pre-trace free dropped, nested call not recorded)", n == 7);
    char path[] = "/tmp/allocspec_test_trace_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    CHECK("trace: write A445TRC1", fd >= 0 && allocspec_trace_write(path) == 0);
    FILE *f = fopen(path, "rb");
    uint8_t file[32 + 7 * 20];
    size_t got = f ? fread(file, 1, sizeof file + 1, f) : 0;
    if (f) fclose(f);
    unlink(path);
    CHECK("trace: file is header + 7 records, magic, version 1", got == sizeof file && memcmp(file, "A445TRC1", 8) == 0 &&
                                                                     file[8] == 1 && file[16] == 7);
    CHECK("trace: record 0 = malloc RAW size 100; record 1 = calloc OBJ 3x8; record 2 = realloc of slot 0",
          file[32] == 0 && file[33] == 0 && file[32 + 12] == 100 && file[52] == 1 && file[53] == 2 && file[52 + 12] == 3 &&
              file[52 + 16] == 8 && file[72] == 2 && file[72 + 8] == file[72 + 4]);
    allocspec_replay_result res;
    uint32_t nslots = (uint32_t)file[12] | (uint32_t)file[13] << 8;
    CHECK("replay: the recorded trace replays with 0 failures",
          allocspec_replay(file + 32, 7, nslots, NULL, NULL, ALLOCSPEC_REPLAY_TOUCH, &res) == 0 && res.ops == 7 && res.failed == 0);
    CHECK("replay: peak live bytes = 300 + 2000", res.peak_live_bytes == 2300);

    /* synthetic trace: entry table and direct allocator give the same checksum */
    uint8_t t[8 * 20];
    rec(t + 0, 0, 0, 0, 0xFFFFFFFFu, 64, 0);
    rec(t + 20, 1, 1, 1, 0xFFFFFFFFu, 4, 4);
    rec(t + 40, 2, 2, 2, 0xFFFFFFFFu, 32, 0);
    rec(t + 60, 2, 0, 0, 0, 128, 0);
    rec(t + 80, 3, 1, 1, 0xFFFFFFFFu, 0, 0);
    rec(t + 100, 0, 2, 1, 0xFFFFFFFFu, 700, 0);
    rec(t + 120, 3, 0, 3, 0xFFFFFFFFu, 0, 0); /* free of a never-used slot: free(NULL) */
    rec(t + 140, 3, 2, 2, 0xFFFFFFFFu, 0, 0);
    allocspec_replay_result r1, r2, r3;
    allocspec_entry_table et = {{(void *)PyMem_RawMalloc, (void *)PyMem_Malloc, (void *)PyObject_Malloc},
                                {(void *)PyMem_RawCalloc, (void *)PyMem_Calloc, (void *)PyObject_Calloc},
                                {(void *)PyMem_RawRealloc, (void *)PyMem_Realloc, (void *)PyObject_Realloc},
                                {(void *)PyMem_RawFree, (void *)PyMem_Free, (void *)PyObject_Free}};
    const PyMemAllocatorEx *libc = allocspec_libc_allocator((void *)malloc, (void *)calloc, (void *)realloc, (void *)free);
    int ok = allocspec_replay(t, 8, 4, NULL, NULL, 1, &r1) == 0 && allocspec_replay(t, 8, 4, &et, NULL, 1, &r2) == 0 &&
             allocspec_replay(t, 8, 4, NULL, libc, 1, &r3) == 0;
    CHECK("replay: this library, an entry table and a direct allocator agree on checksum and peak",
          ok && r1.checksum == r2.checksum && r2.checksum == r3.checksum && r1.peak_live_bytes == 128 + 32 + 700 &&
              r1.peak_live_bytes == r3.peak_live_bytes && r1.failed == 0);
    CHECK("replay: the same trace again gives the same checksum", allocspec_replay(t, 8, 4, NULL, NULL, 1, &r2) == 0 && r2.checksum == r1.checksum);
    CHECK("replay: a slot out of range is refused", allocspec_replay(t, 8, 2, NULL, NULL, 0, &r2) == -1);
    uint8_t bad[20];
    rec(bad, 9, 0, 0, 0, 1, 0);
    CHECK("replay: an unknown op is refused", allocspec_replay(bad, 1, 1, NULL, NULL, 0, &r2) == -1);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
}

/* ---- a foreign target: libpython loaded in the same process ---- */

static void test_libpython_side_by_side(void)
{
    SECTION("libpython in the same process");
    /* native/build.ts finds the shared libpython of python3 (sysconfig, as the cpython target does) and
       passes it here; without one this section is a counted skip with the reason it gave. */
    const char *path = getenv("ALLOCSPEC_LIBPYTHON");
    if (path == NULL || *path == '\0') {
        const char *why = getenv("ALLOCSPEC_LIBPYTHON_MISSING");
        SKIP("libpython tests", why ? why : "ALLOCSPEC_LIBPYTHON not set (native/build.ts --test sets it)");
        return;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (h == NULL) {
        SKIP("libpython tests", dlerror());
        return;
    }
    typedef void (*getset_t)(PyMemAllocatorDomain, PyMemAllocatorEx *);
    getset_t get = (getset_t)dlsym(h, "PyMem_GetAllocator");
    getset_t set = (getset_t)dlsym(h, "PyMem_SetAllocator");
    void *(*raw_malloc)(size_t) = (void *(*)(size_t))dlsym(h, "PyMem_RawMalloc");
    void (*raw_free)(void *) = (void (*)(void *))dlsym(h, "PyMem_RawFree");
    if (!get || !set || !raw_malloc || !raw_free) {
        SKIP("libpython tests", "PyMem_GetAllocator/SetAllocator/RawMalloc/RawFree missing");
        return;
    }
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    /* A second copy of this library, dlopen'ed after libpython (RTLD_GLOBAL) and after the first copy:
       without -Bsymbolic its internal call from pymalloc to PyMem_RawMalloc would bind to the first
       definition in the global scope (the first copy), not to its own. */
    {
        Dl_info info;
        char copy[] = "/tmp/allocspec_copy_XXXXXX";
        int fd = mkstemp(copy);
        int copied = 0;
        if (fd >= 0 && dladdr((void *)PyMem_RawMalloc, &info) && info.dli_fname) {
            FILE *in = fopen(info.dli_fname, "rb");
            char buf[65536];
            size_t n;
            copied = in != NULL;
            while (in && (n = fread(buf, 1, sizeof buf, in)) > 0)
                if (write(fd, buf, n) != (ssize_t)n) copied = 0;
            if (in) fclose(in);
        }
        if (fd >= 0) close(fd);
        void *h2 = copied ? dlopen(copy, RTLD_NOW | RTLD_LOCAL) : NULL;
        if (fd >= 0) unlink(copy);
        if (h2 == NULL) {
            CHECK("second copy of liballocspec loads", 0);
        } else {
            getset_t get2 = (getset_t)dlsym(h2, "PyMem_GetAllocator"), set2 = (getset_t)dlsym(h2, "PyMem_SetAllocator");
            void *(*obj_malloc2)(size_t) = (void *(*)(size_t))dlsym(h2, "PyObject_Malloc");
            void (*obj_free2)(void *) = (void (*)(void *))dlsym(h2, "PyObject_Free");
            counter_t c2;
            memset(&c2, 0, sizeof c2);
            get2(PYMEM_DOMAIN_RAW, &c2.inner);
            PyMemAllocatorEx a = {&c2, cnt_malloc, cnt_calloc, cnt_realloc, cnt_free};
            set2(PYMEM_DOMAIN_RAW, &a);
            counter_t mine;
            counter_install(&mine, PYMEM_DOMAIN_RAW);
            void *p2 = obj_malloc2(1000);
            obj_free2(p2);
            set2(PYMEM_DOMAIN_RAW, &c2.inner);
            counter_remove(&mine, PYMEM_DOMAIN_RAW);
            CHECK("-Bsymbolic: a later-loaded copy's pymalloc fallback reaches its own PyMem_RawMalloc, not the first definition",
                  c2.malloc == 1 && c2.free == 1 && mine.malloc == 0);
            /* not dlclose'd: its constructor state stays valid until exit */
        }
    }
    counter_t mine;
    counter_install(&mine, PYMEM_DOMAIN_RAW);
    void *p = PyObject_Malloc(1000); /* pymalloc's internal fallback must reach OUR RAW domain */
    PyObject_Free(p);
    CHECK("internal fallback calls bind to this library, not libpython", mine.malloc == 1 && mine.free == 1);
    counter_remove(&mine, PYMEM_DOMAIN_RAW);
    CHECK("passthrough on libpython's Get/Set (RAW works before Py_Initialize)",
          allocspec_passthrough_install((void *)get, (void *)set, 2) == 0);
    void *q = raw_malloc(32);
    raw_free(q);
    void *r = PyMem_RawMalloc(8); /* our own domain is not hooked */
    PyMem_RawFree(r);
    CHECK("passthrough on libpython counts libpython's calls only", q != NULL && allocspec_passthrough_calls() == 2);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1); /* must restore libpython's allocators too */
    PyMemAllocatorEx lp;
    get(PYMEM_DOMAIN_RAW, &lp);
    q = raw_malloc(16);
    raw_free(q);
    CHECK("allocspec_reset uninstalls the hooks from libpython", allocspec_passthrough_calls() == 0 && q != NULL);
    CHECK("trace on libpython's Get/Set", allocspec_trace_install((void *)get, (void *)set, 100) == 0);
    q = raw_malloc(48);
    raw_free(q);
    CHECK("trace on libpython records its calls", allocspec_trace_uninstall() == 2);
    /* both layers on libpython, trace on top of the pass-through hooks: reset removes both, in order */
    PyMemAllocatorEx orig;
    get(PYMEM_DOMAIN_RAW, &orig);
    allocspec_passthrough_install((void *)get, (void *)set, 1);
    allocspec_trace_install((void *)get, (void *)set, 100);
    q = raw_malloc(8);
    raw_free(q);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMemAllocatorEx now;
    get(PYMEM_DOMAIN_RAW, &now);
    CHECK("reset with trace over pass-through on libpython restores libpython's original allocator",
          memcmp(&orig, &now, sizeof orig) == 0);
    q = raw_malloc(8);
    raw_free(q);
    CHECK("libpython still allocates after that reset", q != NULL);
}

/* ---- libc glue ---- */

static void glue_check(const char *label, const PyMemAllocatorEx *a)
{
    char name[160];
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    PyMemAllocatorEx copy = *a;
    PyMem_SetAllocator(PYMEM_DOMAIN_RAW, &copy);
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &copy);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &copy);
    uint8_t *p = PyMem_Malloc(100);
    memset(p, 1, 100);
    p = PyMem_Realloc(p, 5000);
    uint8_t *z = PyObject_Calloc(10, 10);
    void *m0 = PyMem_RawMalloc(0);
    snprintf(name, sizeof name, "%s: malloc, realloc (content kept), calloc (zeroed), malloc(0) non-NULL", label);
    CHECK(name, p && all_bytes(p, 1, 100) && z && all_bytes(z, 0, 100) && m0 != NULL);
    PyMem_Free(p);
    PyObject_Free(z);
    PyMem_RawFree(m0);
    PyMem_SetupDebugHooks();
    p = PyMem_Malloc(16);
    snprintf(name, sizeof name, "%s: under the debug hooks", label);
    CHECK(name, p && p[-(long)S] == 'm' && all_bytes(p, 0xCD, 16));
    PyMem_Free(p);
    int failures = allocspec_stress_raw(4, 500, 42);
    snprintf(name, sizeof name, "%s: RAW stress (4 threads) with debug hooks, 0 mismatches", label);
    CHECK(name, failures == 0);
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
}

static void test_glue(void)
{
    SECTION("libc glue");
    const PyMemAllocatorEx *g = allocspec_libc_allocator((void *)malloc, (void *)calloc, (void *)realloc, (void *)free);
    CHECK("glue: same four pointers give the same struct",
          g != NULL && g == allocspec_libc_allocator((void *)malloc, (void *)calloc, (void *)realloc, (void *)free));
    CHECK("glue: missing malloc refused", allocspec_libc_allocator(NULL, NULL, (void *)realloc, (void *)free) == NULL);
    glue_check("glibc", g);
    const PyMemAllocatorEx *nc = allocspec_libc_allocator((void *)malloc, NULL, (void *)realloc, (void *)free);
    void *z = nc->calloc(nc->ctx, 8, 8);
    void *ov = nc->calloc(nc->ctx, SIZE_MAX / 2 + 1, 2);
    CHECK("glue without calloc: malloc + zero, overflow gives NULL", z && all_bytes(z, 0, 64) && ov == NULL);
    free(z);
    if (getenv("ALLOCSPEC_VALGRIND")) {
        SKIP("mimalloc/jemalloc/tcmalloc glue", "under valgrind (it does not model their heaps)");
        return;
    }
    const char *libs[3][5] = {{"libmimalloc.so.2", "mi_malloc", "mi_calloc", "mi_realloc", "mi_free"},
                              {"libjemalloc.so.2", "malloc", "calloc", "realloc", "free"},
                              {"libtcmalloc_minimal.so.4", "tc_malloc", "tc_calloc", "tc_realloc", "tc_free"}};
    for (int i = 0; i < 3; i++) {
        if (i >= 1 && getenv("ALLOCSPEC_ASAN")) {
            SKIP(libs[i][0], "glue under ASan (its interceptors replace the unprefixed malloc family)");
            continue;
        }
        void *h = dlopen(libs[i][0], RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            SKIP(libs[i][0], dlerror());
            continue;
        }
        const PyMemAllocatorEx *a = allocspec_libc_allocator(dlsym(h, libs[i][1]), dlsym(h, libs[i][2]),
                                                             dlsym(h, libs[i][3]), dlsym(h, libs[i][4]));
        if (a == NULL) {
            SKIP(libs[i][0], "glue symbols missing");
            continue;
        }
        glue_check(libs[i][0], a);
        /* not dlclose'd: libraries with TLS destructors must stay mapped */
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_entry_points();
    test_get_set();
    test_passthrough_to_hook();
    test_pymalloc();
    test_pep_use_cases();
    test_debug_layout();
    test_violations();
    test_handler_and_abort();
    test_hooks_trace_replay();
    test_glue();
    test_libpython_side_by_side();
    allocspec_reset(ALLOCSPEC_PROFILE_CPYTHON, -1);
    CHECK_SUMMARY();
    return failed;
}
