/*
 * table.c: live blocks by address: open addressing with linear probing, tombstones, power-of-two capacity,
 * grown (rehashed) when used slots (live + deleted) exceed 3/4. Memory comes from libc's calloc, never
 * from the PEP 445 domains being traced. Not thread-safe by itself: tracer.c holds its lock.
 */
#include "internal.h"

#include <stdlib.h>

#define AS_TABLE_MIN (1u << 16)
_Static_assert((AS_TABLE_MIN & (AS_TABLE_MIN - 1)) == 0, "capacity is a power of two");

static as_block *slots;
static size_t cap, used, live;

static size_t hash(uintptr_t p) {
    uint64_t x = (uint64_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static int grow(void) {
    size_t ncap = cap ? (live * 2 >= cap ? cap * 2 : cap) : AS_TABLE_MIN;
    as_block *n = calloc(ncap, sizeof *n);
    if (!n) return -1;
    for (size_t i = 0; i < cap; i++) {
        if (slots[i].ptr <= 1) continue;
        size_t j = hash(slots[i].ptr) & (ncap - 1);
        while (n[j].ptr) j = (j + 1) & (ncap - 1);
        n[j] = slots[i];
    }
    free(slots);
    slots = n;
    cap = ncap;
    used = live;
    return 0;
}

int as_table_put(uintptr_t ptr, size_t size, uint32_t site, uint32_t domain) {
    if ((used + 1) * 4 > cap * 3 && grow()) return -1;
    size_t j = hash(ptr) & (cap - 1), tomb = (size_t)-1;
    for (;; j = (j + 1) & (cap - 1)) {
        if (slots[j].ptr == ptr) break; /* re-used address whose free we did not see: overwrite */
        if (slots[j].ptr == 1 && tomb == (size_t)-1) tomb = j;
        if (slots[j].ptr == 0) {
            if (tomb != (size_t)-1) j = tomb;
            else used++;
            live++;
            break;
        }
    }
    slots[j] = (as_block){ptr, size, site, domain};
    return 0;
}

int as_table_take(uintptr_t ptr, as_block *out) {
    if (!cap) return 0;
    for (size_t j = hash(ptr) & (cap - 1);; j = (j + 1) & (cap - 1)) {
        if (slots[j].ptr == 0) return 0;
        if (slots[j].ptr == ptr) {
            if (out) *out = slots[j];
            slots[j].ptr = 1;
            live--;
            return 1;
        }
    }
}

void as_table_each(void (*fn)(const as_block *b, void *arg), void *arg) {
    for (size_t i = 0; i < cap; i++)
        if (slots[i].ptr > 1) fn(&slots[i], arg);
}
