/*
 * internal.h: the leak tracker's parts: table.c (live blocks by address), sites.c (site interning and
 * per-site totals), tracer.c (hooks, install, snapshots).
 */
#ifndef ALLOCSPEC_LEAKS_INTERNAL_H
#define ALLOCSPEC_LEAKS_INTERNAL_H

#include "leaks.h"

#include <stdint.h>

/* C frames kept per RAW site. */
#define AS_LEAKS_C_FRAMES 12
_Static_assert(AS_LEAKS_C_FRAMES >= 4, "enough frames to get past the allocator");

typedef struct {
    uintptr_t ptr; /* 0: empty, 1: deleted */
    size_t size;
    uint32_t site;
    uint32_t domain;
} as_block;
_Static_assert(sizeof(as_block) == 24 || sizeof(void *) != 8, "24-byte entries on 64-bit");

/* table.c (caller holds the tracer lock) */
int as_table_put(uintptr_t ptr, size_t size, uint32_t site, uint32_t domain);
int as_table_take(uintptr_t ptr, as_block *out); /* 1 when found (and removed) */
void as_table_each(void (*fn)(const as_block *b, void *arg), void *arg);

/* sites.c (caller holds the tracer lock) */
typedef struct {
    void *code; /* Python site: code object (a reference is held) and instruction offset */
    int lasti;
    int nframes; /* C site: return addresses */
    void *frames[AS_LEAKS_C_FRAMES];
    /* snapshot accumulators, per domain */
    uint64_t bytes[3];
    uint64_t blocks[3];
} as_site;

uint32_t as_site_py(void *code, int lasti);
uint32_t as_site_c(void *const *frames, int n);
as_site *as_site_get(uint32_t id);
uint32_t as_site_count(void);

#endif
