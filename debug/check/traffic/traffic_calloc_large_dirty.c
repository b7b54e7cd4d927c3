/*
 * traffic_calloc_large_dirty.c: calloc zeroes only the first 512 bytes of a block (the author assumed
 * blocks above pymalloc's threshold come fresh from the system and are already zero).
 *
 * Broken rule (cpython-facts.md §1.3: "calloc zeroes it"): every one of nelem * elsize bytes is zero. Small
 * calloc blocks are fully zeroed; a large calloc is wrong only when its memory is recycled, which is
 * what a long-running program does. Expected: calloc/calloc_zeroes_recycled_memory.
 */
#include "fixture_core.h"

static void *bad_calloc(void *ctx, size_t nelem, size_t elsize) {
  if (elsize != 0 && nelem > FX_MAX_REQUEST / elsize) return NULL;
  size_t n = nelem * elsize;
  void *p = fx_malloc(ctx, n);
  if (p != NULL) memset(p, 0, n < 512 ? n : 512);
  return p;
}

FX_EXPORT(pep445_allocator, fx_malloc, bad_calloc, fx_realloc, fx_free);
