/*
 * heapcheck.c: the allocator check an early stop makes instead of the teardown it skips (settle.c).
 *
 * An error path that releases a block twice corrupts the allocator, and the program crashes only at a
 * later allocation of that size class, usually in the teardown (gh-151112: assemble_init's double
 * Py_DECREF of a bytes object; the second DECREF decrements pymalloc's free-list link stored in the freed
 * block's first word). Two checks, by allocator:
 *
 *  - CPython's pymalloc without debug hooks (_PyMem_GetCurrentAllocatorName() == "pymalloc" at install,
 *    and the pool layout confirmed on a block of our own): the failing process records every block it
 *    releases after the point (and forgets those handed out again); before stopping it reads each one's
 *    pool header (16 KiB pools, 48-byte header: szidx, nextoffset) and free-list link: a link that is not
 *    NULL and not a block of the same pool is a corrupted free list. Reads only (a forked child pays for
 *    every page it writes), under a SIGSEGV guard (a pool or arena may have been released meanwhile);
 *  - any other allocator: take 4 blocks of each small size class (16..512 bytes) and check each is
 *    8-byte aligned and distinct; a corrupted list yields a bad block or crashes here, in the allocator, as
 *    the full run would later.
 * A corruption found is reported on stderr and in the site file (`heap-corrupt ...`), then abort().
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_SIZE 16384u /* 3.11-3.13 on 64-bit: USE_LARGE_POOLS (radix tree) */
#define POOL_OVERHEAD 48u
#define NCLASSES 32u
#define SET_SLOTS 1024 /* released blocks tracked (two pages); beyond, the check is given up (never a false finding) */

typedef struct {
    uint32_t count_lo, count_hi; /* ref (a union with a pointer) */
    void *freeblock, *nextpool, *prevpool;
    uint32_t arenaindex, szidx, nextoffset, maxnextoffset;
} pool_header;
_Static_assert(sizeof(pool_header) == POOL_OVERHEAD, "pymalloc 3.11 pool_header: 48 bytes");

static struct {
    int pymalloc; /* the OBJ/MEM allocator below is pymalloc with the layout above */
    int overflow;
    int n;
    uintptr_t set[SET_SLOTS]; /* open addressing, 0 = empty, 1 = deleted */
} H;

static pool_header *pool_of(uintptr_t p) { return (pool_header *)(p & ~(uintptr_t)(POOL_SIZE - 1)); }

/* 1 when p is a block of a pymalloc pool at `pool`. A block released with PyObject_Free/PyMem_Free need not be
 * pymalloc's (over 512 bytes it is malloc's, in the brk heap or an mmap), and the 16 KiB-aligned address below
 * it is then any memory: the header must be one pymalloc itself wrote (allocate_from_new_pool sets
 * maxnextoffset = POOL_SIZE - size, nextoffset = POOL_OVERHEAD + k * size, and a pool holds at most
 * (POOL_SIZE - POOL_OVERHEAD) / size blocks), else a malloc block's first word (glibc's free-list link) would
 * read as a corrupted pymalloc link: a false finding that a fresh run (another heap layout) does not repeat. */
static int block_of(const pool_header *pool, uintptr_t p) {
    if (pool->szidx >= NCLASSES) return 0;
    uintptr_t base = (uintptr_t)pool + POOL_OVERHEAD, size = (pool->szidx + 1u) * 16u;
    if (pool->maxnextoffset != POOL_SIZE - size || pool->nextoffset > POOL_SIZE ||
        pool->nextoffset < POOL_OVERHEAD + size || (pool->nextoffset - POOL_OVERHEAD) % size != 0 ||
        pool->count_lo > (POOL_SIZE - POOL_OVERHEAD) / size || ((uintptr_t)pool->nextpool & 7u) ||
        ((uintptr_t)pool->prevpool & 7u))
        return 0;
    return p >= base && p < (uintptr_t)pool + pool->nextoffset && (p - base) % size == 0;
}

void as_faults_heap_init(void) {
    const char *(*name)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "_PyMem_GetCurrentAllocatorName");
    const char *n = name ? name() : NULL;
    if (!n || strcmp(n, "pymalloc") != 0) return;
    /* confirm the layout on a block of our own: its pool's size class is its size's */
    void *(*obj_malloc)(size_t) = (void *(*)(size_t))dlsym(RTLD_DEFAULT, "PyObject_Malloc");
    void (*obj_free)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "PyObject_Free");
    if (!obj_malloc || !obj_free) return;
    void *b = obj_malloc(40);
    if (!b) return;
    const pool_header *pool = pool_of((uintptr_t)b);
    H.pymalloc = pool->szidx == 2 && block_of(pool, (uintptr_t)b);
    obj_free(b);
}

static size_t slot(uintptr_t p) { return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 53) % SET_SLOTS; }

void as_faults_heap_alloc(void *ptr) {
    if (!H.pymalloc || H.overflow || !ptr || !H.n) return;
    uintptr_t p = (uintptr_t)ptr;
    for (size_t i = slot(p), k = 0; k < SET_SLOTS && H.set[i]; i = (i + 1) % SET_SLOTS, k++) {
        if (H.set[i] == p) {
            H.set[i] = 1;
            return;
        }
    }
}

void as_faults_heap_free(void *ptr) {
    if (!H.pymalloc || H.overflow || !ptr) return;
    if (H.n >= SET_SLOTS / 2) {
        H.overflow = 1;
        return;
    }
    uintptr_t p = (uintptr_t)ptr;
    size_t i = slot(p);
    while (H.set[i] > 1 && H.set[i] != p) i = (i + 1) % SET_SLOTS;
    if (H.set[i] != p) H.n++;
    H.set[i] = p;
}

static sigjmp_buf fault_jmp;
static void on_fault(int sig) {
    (void)sig;
    siglongjmp(fault_jmp, 1);
}

static void corrupt(const char *what, size_t size, uintptr_t block, uintptr_t link) {
    char line[200];
    snprintf(line, sizeof line, "heap-corrupt %s size %zu block 0x%lx link 0x%lx\n", what, size,
             (unsigned long)block, (unsigned long)link);
    as_faults_site_line(line);
    fprintf(stderr, "allocspec faults: heap corrupted after the failure: %s (block 0x%lx of %zu bytes, link 0x%lx)\n",
            what, (unsigned long)block, size, (unsigned long)link);
    fflush(stderr);
    abort();
}

/* One released block: 1 when its free-list link is corrupted (link and class size returned). Reads under a
 * SIGSEGV guard: the pool or its arena may have been released since (then there is nothing to check). */
static int bad_link(uintptr_t p, uintptr_t *link_out, size_t *size_out) {
    if (sigsetjmp(fault_jmp, 1)) return 0;
    const pool_header *pool = pool_of(p);
    if (!block_of(pool, p)) return 0; /* not (or no longer) a block of a pymalloc pool */
    uintptr_t link = *(const uintptr_t *)p;
    if (link == 0 || (pool_of(link) == pool && block_of(pool, link))) return 0;
    *link_out = link;
    *size_out = (pool->szidx + 1u) * 16u;
    return 1;
}

/* pymalloc: the free-list links of the blocks released since the point. */
static void check_links(void) {
    struct sigaction sa, old_segv, old_bus;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    uintptr_t block = 0, link = 0;
    size_t size = 0;
    for (size_t i = 0; i < SET_SLOTS; i++) {
        if (H.set[i] > 1 && bad_link(H.set[i], &link, &size)) {
            block = H.set[i];
            break;
        }
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    if (block) corrupt("a released block's free-list link is not a block of its pool", size, block, link);
}

/* Any allocator: a few blocks of each small class must be aligned and distinct. */
static void probe(void) {
    as_faults_allocator *a = &as_fs.below[AS_FAULTS_OBJ];
    if (!a->malloc || !a->free) return;
    for (unsigned c = 1; c <= NCLASSES; c++) {
        size_t size = (size_t)c * 16;
        void *got[4];
        int n = 0;
        for (; n < 4; n++) {
            got[n] = a->malloc(a->ctx, size);
            if (!got[n]) break;
            int dup = 0;
            for (int k = 0; k < n; k++) dup |= got[k] == got[n];
            if ((uintptr_t)got[n] % 8 || dup) {
                corrupt(dup ? "the allocator returned the same block twice" : "the allocator returned a misaligned block",
                        size, (uintptr_t)got[n], 0);
            }
        }
        while (n > 0) a->free(a->ctx, got[--n]);
    }
}

void as_faults_heap_check(void) {
    if (H.pymalloc) {
        if (!H.overflow) check_links();
    } else {
        probe();
    }
}
