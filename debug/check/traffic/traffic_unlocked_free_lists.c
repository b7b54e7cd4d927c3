/*
 * traffic_unlocked_free_lists.c: fixture_core.h's allocator with the lock taken by NO operation: the
 * free stacks are read and written by whichever thread calls, as an author who trusts the GIL writes it.
 *
 * Broken rule (cpython-facts.md §1.3, per-domain rules): the RAW domain's allocator "must be
 * thread-safe": CPython calls it without the GIL (a thread's exit frees its state, C libraries allocate
 * with the GIL released). On one thread every rule holds; two threads popping the same free stack get
 * the same block. Expected: threads/raw_stress_hands_blocks_between_threads (or
 * no_overlap/live_blocks_never_overlap when the block handed out twice goes to the same thread later).
 */
#include "fixture_core.h"

#include <sched.h>

static void *ul_alloc(size_t n) {
  if (n > FX_MAX_REQUEST) return NULL;
  if (n == 0) n = 1;
  uint32_t cls = fx_class(n);
  fx_header *h = NULL;
  if (cls) {
    unsigned c = fx_the_state.count[cls];
    if (c > 0) {
      h = fx_the_state.stack[cls][c - 1];
      sched_yield(); /* a preemption here, as a loaded machine does */
      fx_the_state.count[cls] = c - 1;
    }
  }
  if (!h) h = malloc(sizeof(fx_header) + (cls ? (size_t)cls * FX_GRAIN : n));
  if (!h) return NULL;
  h->size = n, h->cls = cls, h->magic = FX_MAGIC;
  return h + 1;
}

static void ul_release(void *p) {
  fx_header *h = (fx_header *)p - 1;
  if (h->magic != FX_MAGIC) return; /* a block the race already gave back: lost, not a crash */
  h->magic = ~FX_MAGIC;
  if (h->cls) {
    unsigned c = fx_the_state.count[h->cls];
    if (c < FX_STACK) {
      fx_the_state.stack[h->cls][c] = h;
      sched_yield();
      fx_the_state.count[h->cls] = c + 1;
      return;
    }
  }
  free(h);
}

static void *ul_malloc(void *ctx, size_t n) {
  (void)fx_ctx(ctx);
  return ul_alloc(n);
}

static void *ul_calloc(void *ctx, size_t nelem, size_t elsize) {
  (void)fx_ctx(ctx);
  if (elsize && nelem > FX_MAX_REQUEST / elsize) return NULL;
  void *p = ul_alloc(nelem * elsize);
  if (p) memset(p, 0, nelem * elsize);
  return p;
}

static void ul_free(void *ctx, void *p) {
  (void)fx_ctx(ctx);
  if (p) ul_release(p);
}

static void *ul_realloc(void *ctx, void *p, size_t n) {
  (void)fx_ctx(ctx);
  if (!p) return ul_alloc(n);
  if (n > FX_MAX_REQUEST) return NULL;
  if (n == 0) n = 1;
  fx_header *h = (fx_header *)p - 1;
  if (h->cls && h->cls == fx_class(n)) {
    h->size = n;
    return p;
  }
  void *q = ul_alloc(n);
  if (!q) return NULL;
  memcpy(q, p, h->size < n ? h->size : n);
  ul_release(p);
  return q;
}

FX_EXPORT(pep445_allocator, ul_malloc, ul_calloc, ul_realloc, ul_free);
