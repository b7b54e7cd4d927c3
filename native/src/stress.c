/*
 * stress.c: proof that the RAW domain is thread-safe (PEP 445: "the GIL-free memory allocator
 * functions ... must be thread-safe"), with or without the debug hooks or any hooks on top.
 *
 *     thread i: PyMem_RawMalloc/RawCalloc --> fill + hash --> mailbox of thread j (j != i)
 *     thread j: mailbox --> check hash --> sometimes PyMem_RawRealloc (prefix kept?) --> PyMem_RawFree
 *
 * Every block is freed by another thread than the one that allocated it (when threads > 1). Content
 * hashes are checked before free; calloc blocks are checked for zeros. The result is the number of
 * mismatches (0 = pass), or -1 when RAW's allocator calls into JS (an FFI callback cannot run on these
 * threads), or -2 on bad arguments / thread creation failure.
 *
 * Tunables: mailbox capacity and the largest block size. Mailboxes are mutex-protected rings; a sender
 * whose target mailbox is full checks and frees its block itself.
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define AS_STRESS_MAILBOX 256
#define AS_STRESS_MAX_SIZE 2048
#define AS_STRESS_MAX_THREADS 64
_Static_assert((AS_STRESS_MAILBOX & (AS_STRESS_MAILBOX - 1)) == 0, "ring capacity is a power of two");
_Static_assert(AS_STRESS_MAX_SIZE > 512, "sizes cover pymalloc's threshold too");

typedef struct {
    uint8_t *p;
    size_t size;
    uint64_t hash;
} msg_t;

typedef struct {
    pthread_mutex_t lock;
    msg_t ring[AS_STRESS_MAILBOX];
    unsigned head, count;
} mailbox_t;

typedef struct {
    int id, nthreads, rounds;
    uint64_t rng;
    mailbox_t *boxes;
    atomic_int *go;          /* 0 wait, 1 run, -1 quit (thread creation failed) */
    atomic_int *senders_done;
    atomic_int *nstarted;
    atomic_int *mismatches;
} worker_t;

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * UINT64_C(0x100000001b3);
    return h;
}

static bool push(mailbox_t *b, msg_t m)
{
    pthread_mutex_lock(&b->lock);
    bool ok = b->count < AS_STRESS_MAILBOX;
    if (ok) {
        b->ring[(b->head + b->count) & (AS_STRESS_MAILBOX - 1)] = m;
        b->count++;
    }
    pthread_mutex_unlock(&b->lock);
    return ok;
}

static bool pop(mailbox_t *b, msg_t *m)
{
    pthread_mutex_lock(&b->lock);
    bool ok = b->count > 0;
    if (ok) {
        *m = b->ring[b->head];
        b->head = (b->head + 1) & (AS_STRESS_MAILBOX - 1);
        b->count--;
    }
    pthread_mutex_unlock(&b->lock);
    return ok;
}

/* Checks a received block, sometimes reallocs it (prefix must survive), then frees it. */
static void consume(worker_t *w, msg_t m)
{
    if (hash_bytes(m.p, m.size) != m.hash) atomic_fetch_add(w->mismatches, 1);
    uint64_t r = next_rand(&w->rng);
    if ((r & 3) == 0) {
        size_t nsize = m.size + 1 + (size_t)(r >> 8) % AS_STRESS_MAX_SIZE;
        uint8_t *q = PyMem_RawRealloc(m.p, nsize);
        if (q == NULL) {
            atomic_fetch_add(w->mismatches, 1);
        } else {
            if (hash_bytes(q, m.size) != m.hash) atomic_fetch_add(w->mismatches, 1);
            memset(q + m.size, 0x5a, nsize - m.size);
            m.p = q;
        }
    }
    PyMem_RawFree(m.p);
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    msg_t m;
    while (atomic_load(w->go) == 0) sched_yield();
    if (atomic_load(w->go) < 0) return NULL;
    for (int i = 0; i < w->rounds; i++) {
        uint64_t r = next_rand(&w->rng);
        size_t size = 1 + (size_t)(r % AS_STRESS_MAX_SIZE);
        bool zeroed = (r >> 32) % 5 == 0;
        uint8_t *p = zeroed ? PyMem_RawCalloc(1, size) : PyMem_RawMalloc(size);
        if (p == NULL) {
            atomic_fetch_add(w->mismatches, 1);
            continue;
        }
        if (zeroed) {
            for (size_t k = 0; k < size; k++)
                if (p[k] != 0) {
                    atomic_fetch_add(w->mismatches, 1);
                    break;
                }
        }
        uint64_t fill = next_rand(&w->rng);
        for (size_t k = 0; k < size; k++) p[k] = (uint8_t)(fill >> ((k & 7) * 8)) ^ (uint8_t)k;
        m.p = p;
        m.size = size;
        m.hash = hash_bytes(p, size);
        int target = w->nthreads > 1 ? (w->id + 1 + (int)((r >> 40) % (uint64_t)(w->nthreads - 1))) % w->nthreads : w->id;
        if (!push(&w->boxes[target], m)) consume(w, m);
        for (int k = 0; k < 2 && pop(&w->boxes[w->id], &m); k++) consume(w, m);
    }
    /* wait until nobody sends any more, consuming meanwhile (a full mailbox never blocks a sender) */
    atomic_fetch_add(w->senders_done, 1);
    while (atomic_load(w->senders_done) < atomic_load(w->nstarted)) {
        if (pop(&w->boxes[w->id], &m)) consume(w, m);
        else sched_yield();
    }
    while (pop(&w->boxes[w->id], &m)) consume(w, m);
    return NULL;
}

int allocspec_stress_raw(int threads, int rounds, uint64_t seed)
{
    if (atomic_load(&as_runtime.js_domain[PYMEM_DOMAIN_RAW])) return -1;
    if (threads < 1 || threads > AS_STRESS_MAX_THREADS || rounds < 0) return -2;
    mailbox_t *boxes = calloc((size_t)threads, sizeof(mailbox_t));
    worker_t *ws = calloc((size_t)threads, sizeof(worker_t));
    pthread_t *tids = calloc((size_t)threads, sizeof(pthread_t));
    atomic_int mismatches = 0, go = 0, senders_done = 0, nstarted = 0;
    int result = -2;
    if (boxes == NULL || ws == NULL || tids == NULL) goto out;
    for (int i = 0; i < threads; i++) pthread_mutex_init(&boxes[i].lock, NULL);
    int started = 0;
    for (int i = 0; i < threads; i++) {
        worker_t wi = {i, threads, rounds, seed ^ (UINT64_C(0x1000193) * (uint64_t)(i + 1)), boxes,
                       &go, &senders_done, &nstarted, &mismatches};
        ws[i] = wi;
        if (pthread_create(&tids[i], NULL, worker, &ws[i]) != 0) break;
        started++;
    }
    atomic_store(&nstarted, started);
    atomic_store(&go, started == threads ? 1 : -1);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < threads; i++) pthread_mutex_destroy(&boxes[i].lock);
    if (started == threads) result = atomic_load(&mismatches);
out:
    free(boxes);
    free(ws);
    free(tids);
    return result;
}
