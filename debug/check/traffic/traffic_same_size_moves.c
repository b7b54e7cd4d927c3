/*
 * traffic_same_size_moves.c: a realloc to the block's current size moves it to a fresh block and copies
 * nothing (the author's "defragment on no-op realloc" path forgot the copy).
 *
 * Broken rule (memory.rst, PyMem_RawRealloc): the contents are unchanged up to min(old, new) bytes, also
 * when the size does not change. Growing and shrinking reallocs are fixture_core.h's correct ones, so the
 * conformance cases that grow and shrink pass; only a program that reallocs to the same size shows it.
 * Expected: realloc/realloc_shrink_keeps_prefix ("same-size").
 */
#include "fixture_core.h"

static void *bad_realloc(void *ctx, void *p, size_t n) {
  if (p != NULL && n != 0 && n <= FX_MAX_REQUEST) {
    fx_header *h = fx_head(p);
    if (h != NULL && h->size == n) {
      void *q = fx_malloc(ctx, n);
      if (q == NULL) return NULL;
      memset(q, 0xA5, n); /* a stale pattern instead of the contents */
      fx_free(ctx, p);
      return q;
    }
  }
  return fx_realloc(ctx, p, n);
}

FX_EXPORT(pep445_allocator, fx_malloc, fx_calloc, bad_realloc, fx_free);
