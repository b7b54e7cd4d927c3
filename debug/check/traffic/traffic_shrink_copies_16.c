/*
 * traffic_shrink_copies_16.c: a shrinking realloc that leaves its size class moves the block to the
 * smaller class and copies only the first 16 bytes (the author copied "the header part").
 *
 * Broken rule (memory.rst): realloc keeps min(old, new) bytes. Shrinks within a class stay in place and
 * are correct, shrinks to 16 bytes or less are correct too; only a shrink to more than 16 bytes that
 * changes class loses bytes 16.. of the kept part. Expected: realloc/realloc_shrink_keeps_prefix.
 */
#include "fixture_core.h"

static void *bad_realloc(void *ctx, void *p, size_t n) {
  if (p != NULL && n > 16 && n <= FX_MAX_REQUEST) {
    fx_header *h = fx_head(p);
    if (h != NULL && n < h->size && fx_class(n) != h->cls) {
      void *q = fx_malloc(ctx, n);
      if (q == NULL) return NULL;
      memset(q, 0, n);
      memcpy(q, p, 16);
      fx_free(ctx, p);
      return q;
    }
  }
  return fx_realloc(ctx, p, n);
}

FX_EXPORT(pep445_allocator, fx_malloc, fx_calloc, bad_realloc, fx_free);
