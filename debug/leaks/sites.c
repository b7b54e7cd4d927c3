/*
 * sites.c: interned allocation sites. A Python site is (code object, instruction offset): cheap to take in
 * the hook (no line-table walk); the line is computed when a snapshot is written. The tracer holds a
 * reference to each code object it interns, so the pointer cannot be reused by another code object.
 * A C site is up to AS_LEAKS_C_FRAMES return addresses. Ids index a growable array; lookup is an
 * open-addressing map from a hash of the key to the id. Memory from libc. Caller holds the tracer lock.
 */
#include "../common/pyframe.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static as_site *sites;
static uint32_t nsites, sites_cap;
static uint32_t *map; /* id + 1, 0 = empty */
static size_t map_cap;

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t key_hash(const as_site *s) {
    uint64_t h = mix((uint64_t)(uintptr_t)s->code, (uint64_t)s->lasti);
    for (int i = 0; i < s->nframes; i++) h = mix(h, (uint64_t)(uintptr_t)s->frames[i]);
    return h;
}

static int same(const as_site *a, const as_site *b) {
    return a->code == b->code && a->lasti == b->lasti && a->nframes == b->nframes &&
           memcmp(a->frames, b->frames, (size_t)a->nframes * sizeof(void *)) == 0;
}

static int rehash(size_t ncap) {
    uint32_t *n = calloc(ncap, sizeof *n);
    if (!n) return -1;
    for (uint32_t id = 0; id < nsites; id++) {
        size_t j = key_hash(&sites[id]) & (ncap - 1);
        while (n[j]) j = (j + 1) & (ncap - 1);
        n[j] = id + 1;
    }
    free(map);
    map = n;
    map_cap = ncap;
    return 0;
}

static uint32_t intern(const as_site *key) {
    if ((nsites + 1) * 2 > map_cap && rehash(map_cap ? map_cap * 2 : 4096)) return UINT32_MAX;
    size_t j = key_hash(key) & (map_cap - 1);
    for (; map[j]; j = (j + 1) & (map_cap - 1))
        if (same(&sites[map[j] - 1], key)) return map[j] - 1;
    if (nsites == sites_cap) {
        uint32_t ncap = sites_cap ? sites_cap * 2 : 1024;
        as_site *n = realloc(sites, ncap * sizeof *n);
        if (!n) return UINT32_MAX;
        sites = n;
        sites_cap = ncap;
    }
    sites[nsites] = *key;
    if (key->code) as_py_incref(key->code);
    map[j] = nsites + 1;
    return nsites++;
}

uint32_t as_site_py(void *code, int lasti) {
    as_site k;
    memset(&k, 0, sizeof k);
    k.code = code;
    k.lasti = lasti;
    return intern(&k);
}

uint32_t as_site_c(void *const *frames, int n) {
    as_site k;
    memset(&k, 0, sizeof k);
    k.nframes = n > AS_LEAKS_C_FRAMES ? AS_LEAKS_C_FRAMES : n;
    memcpy(k.frames, frames, (size_t)k.nframes * sizeof(void *));
    return intern(&k);
}

as_site *as_site_get(uint32_t id) { return id < nsites ? &sites[id] : NULL; }
uint32_t as_site_count(void) { return nsites; }
