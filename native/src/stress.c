/*
 * stress.c: proof that the RAW domain is thread-safe (PEP 445: "the GIL-free memory allocator
 * functions ... must be thread-safe"), with or without the debug hooks or any hooks on top, and, when
 * it is not, which operation is to blame.
 *
 *     thread i: RawMalloc / RawCalloc / RawRealloc(NULL, n) --> register --> fill --> mailbox of j
 *     thread j: mailbox --> check contents --> RawRealloc (grow or shrink, prefix kept?) --> RawFree
 *
 * Every block is freed by another thread than the one that allocated it (when threads > 1). Half the
 * sizes are a few hot classes (16..64 bytes), so threads contend for the same free lists; the rest
 * spread to 2048 bytes, across pymalloc's threshold. Checks, each a mismatch:
 *
 *   - a live-block registry (striped hash set of addresses): a block handed out while another thread
 *     holds it is caught the moment it comes back from malloc, calloc or realloc, and put aside, so the
 *     stress never frees a block twice itself (a racy allocator corrupts, the stress does not crash);
 *   - calloc blocks are all zero; contents survive while held and across a realloc (min(old, new));
 *   - no NULL for a small request.
 *
 * A block with any mismatch is quarantined: removed from the registry and never used or freed again.
 *
 * Blame (which operation is not thread-safe) comes from running the same mixed workload in phases that
 * let only some operations run in parallel (see allocspec_stress_raw). The result packs the mismatch
 * count, the blamed operation and the kinds of mismatch seen (ALLOCSPEC_STRESS_* in allocspec.h); 0
 * means no mismatch, -1 RAW's allocator calls into JS (an FFI callback cannot run on these threads),
 * -2 bad arguments or no threads.
 *
 * Tunables: mailbox capacity, the largest block size, registry geometry.
 */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define AS_STRESS_MAILBOX 256
#define AS_STRESS_MAX_SIZE 2048
#define AS_STRESS_MAX_THREADS 64
#define AS_STRESS_REG_STRIPES 64
#define AS_STRESS_REG_SLOTS 2048
#define AS_STRESS_ENOUGH 64 /* mismatches after which a phase stops early (the verdict is settled) */
_Static_assert((AS_STRESS_MAILBOX & (AS_STRESS_MAILBOX - 1)) == 0, "ring capacity is a power of two");
_Static_assert(AS_STRESS_MAX_SIZE > 512, "sizes cover pymalloc's threshold too");
_Static_assert((AS_STRESS_REG_SLOTS & (AS_STRESS_REG_SLOTS - 1)) == 0, "registry stripes are powers of two");
_Static_assert(AS_STRESS_REG_STRIPES * AS_STRESS_REG_SLOTS >= 4 * AS_STRESS_MAX_THREADS * (AS_STRESS_MAILBOX + 4),
               "the registry holds every live block at a load factor of 1/4 or less");
_Static_assert(ALLOCSPEC_STRESS_SEEN_SHIFT + 8 <= 31, "the packed result stays a positive int");

enum { OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_FREE, OP_COUNT };

typedef struct {
    uint8_t *p;
    size_t size;
    uint64_t fill;
} msg_t;

typedef struct {
    pthread_mutex_t lock;
    msg_t ring[AS_STRESS_MAILBOX];
    unsigned head, count;
} mailbox_t;

typedef struct {
    pthread_mutex_t lock;
    uintptr_t slot[AS_STRESS_REG_SLOTS]; /* 0 = empty; linear probing, backward-shift deletion */
    unsigned n;
} stripe_t;

/* A reader flag on its own cache line: readers touch only their own line (no contention among them). */
typedef struct {
    _Alignas(64) atomic_int busy;
} rflag_t;
_Static_assert(sizeof(rflag_t) == 64, "one reader flag per cache line");

typedef struct {
    mailbox_t *boxes;
    stripe_t *reg;
    /* the gate, used when serial >= 0: per-thread reader flags + one writer (Dekker-style, seq_cst) */
    rflag_t *readers;
    atomic_int writer;
    pthread_mutex_t wlock;      /* one writer at a time */
    pthread_mutex_t wait_lock;  /* readers sleep here while a writer runs (spinning would starve it) */
    pthread_cond_t wait_cond;
    int nthreads;
    unsigned exclusive; /* bit per operation: run alone (writers); the others run in parallel (readers) */
    int focus;          /* the one operation running in parallel in an isolating phase (mostly used), or -1 */
    atomic_int go;         /* 0 wait, 1 run, -1 quit (thread creation failed) */
    atomic_int senders_done, nstarted, mismatches, full;
    atomic_uint seen;
} shared_t;

typedef struct {
    int id, nthreads, rounds;
    uint64_t rng;
    shared_t *s;
} worker_t;

static uint64_t next_rand(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void mismatch(shared_t *s, unsigned seen)
{
    atomic_fetch_add(&s->mismatches, 1);
    atomic_fetch_or(&s->seen, seen);
}

/* ---- live-block registry ---- */

static uint64_t addr_hash(uintptr_t p) { return ((uint64_t)p >> 4) * UINT64_C(0x9E3779B97F4A7C15); }

static stripe_t *stripe_of(shared_t *s, uintptr_t p) { return &s->reg[(addr_hash(p) >> 58) % AS_STRESS_REG_STRIPES]; }

/* Adds p; false when p is already live (handed out twice). */
static bool reg_insert(shared_t *s, void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    stripe_t *st = stripe_of(s, p);
    bool ok = true;
    pthread_mutex_lock(&st->lock);
    if (st->n >= AS_STRESS_REG_SLOTS / 2) {
        atomic_store(&s->full, 1); /* cannot happen within the asserted geometry; reported as -2 */
    } else {
        unsigned i = (unsigned)addr_hash(p) & (AS_STRESS_REG_SLOTS - 1);
        while (st->slot[i] != 0 && st->slot[i] != p) i = (i + 1) & (AS_STRESS_REG_SLOTS - 1);
        if (st->slot[i] == p) ok = false;
        else {
            st->slot[i] = p;
            st->n++;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return ok;
}

static void reg_remove(shared_t *s, void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    stripe_t *st = stripe_of(s, p);
    const unsigned mask = AS_STRESS_REG_SLOTS - 1;
    pthread_mutex_lock(&st->lock);
    unsigned i = (unsigned)addr_hash(p) & mask;
    while (st->slot[i] != 0 && st->slot[i] != p) i = (i + 1) & mask;
    if (st->slot[i] == p) {
        st->slot[i] = 0;
        st->n--;
        /* backward shift: move later entries of the probe run into the hole when they may */
        for (unsigned j = (i + 1) & mask; st->slot[j] != 0; j = (j + 1) & mask) {
            unsigned home = (unsigned)addr_hash(st->slot[j]) & mask;
            if (((j - home) & mask) >= ((j - i) & mask)) {
                st->slot[i] = st->slot[j];
                st->slot[j] = 0;
                i = j;
            }
        }
    }
    pthread_mutex_unlock(&st->lock);
}

/*
 * ---- the gate: operations in s->exclusive run alone; the others run in parallel with each other ----
 * The parallel operations are readers: each sets its own flag and proceeds unless a writer is active
 * (a shared reader-writer lock would make every call bounce one cache line and hide the very races the
 * stress looks for). An exclusive operation is a writer: one at a time, it waits until no reader flag
 * is set.
 */

static void gate_in(const worker_t *w, int op)
{
    shared_t *s = w->s;
    if (s->exclusive == 0) return;
    if (s->exclusive & (1u << op)) {
        pthread_mutex_lock(&s->wlock);
        atomic_store(&s->writer, 1);
        for (int i = 0; i < s->nthreads; i++)
            while (atomic_load(&s->readers[i].busy)) sched_yield();
        return;
    }
    atomic_int *mine = &s->readers[w->id].busy;
    for (;;) {
        atomic_store(mine, 1);
        if (!atomic_load(&s->writer)) return;
        atomic_store(mine, 0);
        pthread_mutex_lock(&s->wait_lock);
        while (atomic_load(&s->writer)) pthread_cond_wait(&s->wait_cond, &s->wait_lock);
        pthread_mutex_unlock(&s->wait_lock);
    }
}

static void gate_out(const worker_t *w, int op)
{
    shared_t *s = w->s;
    if (s->exclusive == 0) return;
    if (s->exclusive & (1u << op)) {
        atomic_store(&s->writer, 0);
        pthread_mutex_lock(&s->wait_lock);
        pthread_cond_broadcast(&s->wait_cond);
        pthread_mutex_unlock(&s->wait_lock);
        pthread_mutex_unlock(&s->wlock);
    } else {
        atomic_store(&s->readers[w->id].busy, 0);
    }
}

static void *raw_alloc(const worker_t *w, int op, size_t n)
{
    gate_in(w, op);
    void *p = op == OP_CALLOC ? PyMem_RawCalloc(1, n) : op == OP_REALLOC ? PyMem_RawRealloc(NULL, n) : PyMem_RawMalloc(n);
    gate_out(w, op);
    return p;
}

static void raw_free(const worker_t *w, void *p)
{
    reg_remove(w->s, p); /* before free: once freed, another thread may get p legitimately */
    gate_in(w, OP_FREE);
    PyMem_RawFree(p);
    gate_out(w, OP_FREE);
}

/* ---- contents: byte k of a block filled with seed f ---- */

static uint8_t fill_byte(uint64_t f, size_t k) { return (uint8_t)(f >> ((k & 7) * 8)) ^ (uint8_t)(k * 131u); }

static void fill(uint8_t *p, size_t from, size_t to, uint64_t f)
{
    for (size_t k = from; k < to; k++) p[k] = fill_byte(f, k);
}

static bool holds(const uint8_t *p, size_t n, uint64_t f)
{
    for (size_t k = 0; k < n; k++)
        if (p[k] != fill_byte(f, k)) return false;
    return true;
}

static size_t pick_size(uint64_t r)
{
    static const size_t hot[4] = {16, 24, 40, 64};
    return (r & 1) ? hot[(r >> 1) & 3] : 1 + (size_t)((r >> 8) % AS_STRESS_MAX_SIZE);
}

/* ---- one block's life on the receiving thread ---- */

static void consume(worker_t *w, msg_t m)
{
    shared_t *s = w->s;
    if (!holds(m.p, m.size, m.fill)) {
        mismatch(s, ALLOCSPEC_STRESS_SEEN_CONTENT);
        reg_remove(s, m.p); /* quarantined: someone else may own it too */
        return;
    }
    uint64_t r = next_rand(&w->rng);
    int nreallocs = s->focus == OP_REALLOC ? 1 + (int)(r & 1) : (int)(r & 3) - 1; /* 0, 0, 1 or 2 */
    for (int k = 0; k < nreallocs; k++) {
        size_t nsize = pick_size(next_rand(&w->rng));
        reg_remove(s, m.p);
        gate_in(w, OP_REALLOC);
        uint8_t *q = PyMem_RawRealloc(m.p, nsize);
        gate_out(w, OP_REALLOC);
        if (q == NULL) {
            mismatch(s, ALLOCSPEC_STRESS_SEEN_NULL);
            reg_insert(s, m.p); /* p stays valid */
            break;
        }
        if (!reg_insert(s, q)) {
            mismatch(s, ALLOCSPEC_STRESS_SEEN_DUP_REALLOC);
            return; /* quarantined */
        }
        size_t kept = nsize < m.size ? nsize : m.size;
        if (!holds(q, kept, m.fill)) {
            mismatch(s, ALLOCSPEC_STRESS_SEEN_PREFIX);
            reg_remove(s, q);
            return;
        }
        fill(q, kept, nsize, m.fill);
        m.p = q;
        m.size = nsize;
    }
    raw_free(w, m.p);
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

static void *worker(void *arg)
{
    worker_t *w = arg;
    shared_t *s = w->s;
    static const unsigned dup_seen[3] = {ALLOCSPEC_STRESS_SEEN_DUP_MALLOC, ALLOCSPEC_STRESS_SEEN_DUP_CALLOC,
                                         ALLOCSPEC_STRESS_SEEN_DUP_REALLOC};
    msg_t m;
    while (atomic_load(&s->go) == 0) sched_yield();
    if (atomic_load(&s->go) < 0) return NULL;
    for (int i = 0; i < w->rounds && atomic_load(&s->mismatches) < AS_STRESS_ENOUGH; i++) {
        uint64_t r = next_rand(&w->rng);
        size_t size = pick_size(r);
        int op = (int)((r >> 32) & 3); /* malloc, calloc, realloc(NULL, n), malloc */
        if (op == OP_FREE) op = OP_MALLOC;
        if (s->focus >= 0 && ((r >> 34) & 3) != 0) op = s->focus; /* 3 in 4 calls: the op under test */
        uint8_t *p = raw_alloc(w, op, size);
        if (p == NULL) {
            mismatch(s, ALLOCSPEC_STRESS_SEEN_NULL);
            continue;
        }
        if (!reg_insert(s, p)) {
            mismatch(s, dup_seen[op]);
            continue; /* quarantined: the other holder frees it */
        }
        if (op == OP_CALLOC) {
            size_t k = 0;
            while (k < size && p[k] == 0) k++;
            if (k < size) {
                mismatch(s, ALLOCSPEC_STRESS_SEEN_CALLOC);
                reg_remove(s, p);
                continue;
            }
        }
        m.p = p;
        m.size = size;
        m.fill = next_rand(&w->rng);
        fill(p, 0, size, m.fill);
        int target = w->nthreads > 1 ? (w->id + 1 + (int)((r >> 40) % (uint64_t)(w->nthreads - 1))) % w->nthreads : w->id;
        if (!push(&s->boxes[target], m)) consume(w, m);
        for (int k = 0; k < 2 && pop(&s->boxes[w->id], &m); k++) consume(w, m);
    }
    /* wait until nobody sends any more, consuming meanwhile (a full mailbox never blocks a sender) */
    atomic_fetch_add(&s->senders_done, 1);
    while (atomic_load(&s->senders_done) < atomic_load(&s->nstarted)) {
        if (pop(&s->boxes[w->id], &m)) consume(w, m);
        else sched_yield();
    }
    while (pop(&s->boxes[w->id], &m)) consume(w, m);
    return NULL;
}

/* One phase: threads x rounds, the operations in `exclusive` run alone. Mismatches, or -2. */
static int run_phase(int threads, int rounds, uint64_t seed, unsigned exclusive, int focus, unsigned *seen)
{
    shared_t *s = calloc(1, sizeof(shared_t));
    mailbox_t *boxes = calloc((size_t)threads, sizeof(mailbox_t));
    stripe_t *reg = calloc(AS_STRESS_REG_STRIPES, sizeof(stripe_t));
    worker_t *ws = calloc((size_t)threads, sizeof(worker_t));
    pthread_t *tids = calloc((size_t)threads, sizeof(pthread_t));
    rflag_t *readers = aligned_alloc(64, (size_t)threads * sizeof(rflag_t));
    int result = -2;
    if (s == NULL || boxes == NULL || reg == NULL || ws == NULL || tids == NULL || readers == NULL) goto out;
    memset(readers, 0, (size_t)threads * sizeof(rflag_t));
    s->boxes = boxes;
    s->reg = reg;
    s->exclusive = exclusive;
    s->focus = focus;
    s->readers = readers;
    s->nthreads = threads;
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->wait_lock, NULL);
    pthread_cond_init(&s->wait_cond, NULL);
    for (int i = 0; i < threads; i++) pthread_mutex_init(&boxes[i].lock, NULL);
    for (int i = 0; i < AS_STRESS_REG_STRIPES; i++) pthread_mutex_init(&reg[i].lock, NULL);
    int started = 0;
    for (int i = 0; i < threads; i++) {
        worker_t wi = {i, threads, rounds, seed ^ (UINT64_C(0x1000193) * (uint64_t)(i + 1)), s};
        ws[i] = wi;
        if (pthread_create(&tids[i], NULL, worker, &ws[i]) != 0) break;
        started++;
    }
    atomic_store(&s->nstarted, started);
    atomic_store(&s->go, started == threads ? 1 : -1);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    for (int i = 0; i < threads; i++) pthread_mutex_destroy(&boxes[i].lock);
    for (int i = 0; i < AS_STRESS_REG_STRIPES; i++) pthread_mutex_destroy(&reg[i].lock);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->wait_lock);
    pthread_cond_destroy(&s->wait_cond);
    if (started == threads && !atomic_load(&s->full)) {
        result = atomic_load(&s->mismatches);
        *seen |= atomic_load(&s->seen);
    }
out:
    free(s);
    free(boxes);
    free(reg);
    free(ws);
    free(tids);
    free(readers);
    return result;
}

static int pack(int found, int blamed_op, unsigned seen)
{
    int count = found < ALLOCSPEC_STRESS_COUNT_MASK ? found : ALLOCSPEC_STRESS_COUNT_MASK;
    unsigned blame = blamed_op >= 0 ? 1u << blamed_op : 0u;
    return count | (int)(blame << ALLOCSPEC_STRESS_BLAME_SHIFT) | (int)((seen & 0xffu) << ALLOCSPEC_STRESS_SEEN_SHIFT);
}

/*
 * The phases, each from the state the previous one left (a racy allocator's corruption persists, so
 * the first phase that finds mismatches decides the blame and ends the stress):
 *
 *   0.   every call exclusive (threads, but no two calls at once): a mismatch means the allocator is
 *        wrong without any race, or its state was corrupt before the stress began (an earlier run on a
 *        racy allocator): nothing is blamed, ALLOCSPEC_STRESS_SEEN_SERIAL says so;
 *   1-3. malloc alone in parallel (every other call exclusive), then calloc, then realloc, each making 3
 *        in 4 of the calls: a mismatch means that operation races with itself (its lock is missing);
 *   4.   everything in parallel but free, which runs alone: a mismatch means a race between different
 *        operations that free is not part of (not attributable to one operation);
 *   5.   everything in parallel: a mismatch after four clean phases means the race needs free running
 *        alongside the others (free's self-races only lose blocks, which no check can see): free.
 *
 * Phases 0-4 run rounds / 8 per thread, phase 5 all the rounds.
 */
int allocspec_stress_raw(int threads, int rounds, uint64_t seed)
{
    if (atomic_load(&as_runtime.js_domain[PYMEM_DOMAIN_RAW])) return -1;
    if (threads < 1 || threads > AS_STRESS_MAX_THREADS || rounds < 0) return -2;
    const unsigned all = (1u << OP_COUNT) - 1;
    const struct {
        unsigned exclusive;
        int blame;
    } phases[] = {
        {all, -1},
        {all & ~(1u << OP_MALLOC), OP_MALLOC},
        {all & ~(1u << OP_CALLOC), OP_CALLOC},
        {all & ~(1u << OP_REALLOC), OP_REALLOC},
        {1u << OP_FREE, -1},
        {0, OP_FREE},
    };
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        unsigned seen = 0;
        /* the isolating phases get an eighth of the rounds: a missing lock shows within far fewer */
        int r = i + 1 < sizeof phases / sizeof phases[0] ? (rounds + 7) / 8 : rounds;
        int focus = phases[i].blame >= 0 && phases[i].exclusive != 0 ? phases[i].blame : -1;
        int found = run_phase(threads, r, seed + i, phases[i].exclusive, focus, &seen);
        if (found < 0) return found;
        if (found > 0) return pack(found, phases[i].blame, seen | (i == 0 ? ALLOCSPEC_STRESS_SEEN_SERIAL : 0u));
    }
    return 0;
}
