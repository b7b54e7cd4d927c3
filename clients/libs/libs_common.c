/*
 * libs_common.c: routing, counting and live-block tracking for the external-library harnesses (see
 * libs_common.h for the picture). The table is open addressing with linear probing and backward-shift
 * deletion over the harness's OWN memory (libc malloc, never the target), so tracking never shows up in
 * what is measured.
 */
#define _GNU_SOURCE
#include "libs_common.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LR_MAX_MSGS 8      /* distinct messages kept per kind (checks, notes, violations) */
#define LR_MSG_LEN 1536    /* each message truncated to this */
#define LR_TOP 8           /* leak sizes / sites reported */
_Static_assert((LR_TOP & (LR_TOP - 1)) == 0, "LR_TOP is a power of two");

typedef void *(*m_fn)(size_t);
typedef void *(*c_fn)(size_t, size_t);
typedef void *(*r_fn)(void *, size_t);
typedef void (*f_fn)(void *);
typedef void (*set_handler_fn)(allocspec_violation_handler, void *);

typedef struct {
    uintptr_t key; /* 0 = empty */
    size_t size;
    const char *site;
} slot_t;

typedef struct {
    unsigned n;
    char msg[LR_MAX_MSGS][LR_MSG_LEN];
    unsigned long total;
} msgs_t;

static struct {
    pthread_mutex_t lock;
    m_fn m;
    c_fn c;
    r_fn r;
    f_fn f;
    slot_t *tab;
    size_t cap, live, live_bytes, peak_bytes;
    unsigned long calls_malloc, calls_calloc, calls_realloc, calls_free;
    unsigned long bytes, zero_size, free_null, foreign_frees, failed, injected;
    size_t settled_live, settled_bytes;
    int settled;
    msgs_t checks, notes, violations, errors;
    unsigned long checks_passed;
    char extra[8192];
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

lr_fail_fn lr_should_fail;

static inline size_t hash_ptr(uintptr_t k, size_t cap) { return (size_t)((k >> 4) * 0x9E3779B97F4A7C15ull) & (cap - 1); }

static void tab_insert_nolock(uintptr_t k, size_t size, const char *site);

static void tab_grow(void)
{
    slot_t *old = S.tab;
    size_t oldcap = S.cap;
    S.cap = oldcap ? oldcap * 2 : 4096;
    S.tab = calloc(S.cap, sizeof(slot_t));
    if (!S.tab) abort(); /* the harness's own memory: nothing sensible to report without it */
    S.live = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key) tab_insert_nolock(old[i].key, old[i].size, old[i].site);
    free(old);
}

static void tab_insert_nolock(uintptr_t k, size_t size, const char *site)
{
    if ((S.live + 1) * 2 > S.cap) tab_grow();
    size_t i = hash_ptr(k, S.cap);
    while (S.tab[i].key) i = (i + 1) & (S.cap - 1);
    S.tab[i] = (slot_t){k, size, site};
    S.live++;
}

/* Removes k; returns 1 and its size when it was live. */
static int tab_remove_nolock(uintptr_t k, size_t *size)
{
    if (!S.cap) return 0;
    size_t i = hash_ptr(k, S.cap);
    while (S.tab[i].key != k) {
        if (!S.tab[i].key) return 0;
        i = (i + 1) & (S.cap - 1);
    }
    *size = S.tab[i].size;
    S.live--;
    /* backward-shift deletion keeps every probe chain unbroken */
    size_t j = i;
    for (;;) {
        j = (j + 1) & (S.cap - 1);
        if (!S.tab[j].key) break;
        size_t h = hash_ptr(S.tab[j].key, S.cap);
        if (((j - h) & (S.cap - 1)) >= ((j - i) & (S.cap - 1))) {
            S.tab[i] = S.tab[j];
            i = j;
        }
    }
    S.tab[i].key = 0;
    return 1;
}

static void msg_add(msgs_t *m, const char *text)
{
    m->total++;
    for (unsigned i = 0; i < m->n; i++)
        if (strncmp(m->msg[i], text, LR_MSG_LEN - 1) == 0) return;
    if (m->n < LR_MAX_MSGS) snprintf(m->msg[m->n++], LR_MSG_LEN, "%s", text);
}

static void on_violation(void *ctx, const allocspec_violation *v)
{
    (void)ctx;
    static const char *kinds[] = {"bad_id", "bad_leading_pad", "bad_trailing_pad", "no_gil"};
    char buf[LR_MSG_LEN];
    /* the text is a C string: an id byte of 0 inside it ends it early, so the fields follow it */
    snprintf(buf, sizeof buf, "%s\n[%s in %s, api id 0x%02x, verified by 0x%02x]", v->text ? v->text : "",
             v->kind >= 0 && v->kind < 4 ? kinds[v->kind] : "?", v->func ? v->func : "?", v->api_id & 0xff,
             v->verified_id & 0xff);
    pthread_mutex_lock(&S.lock);
    msg_add(&S.violations, buf);
    pthread_mutex_unlock(&S.lock);
}

/* ---- fault injection: the one engine (debug/faults, compiled into every harness by build.ts) ----
 * Its own ALLOCSPEC_FAULTS_* variables configure it (count: dry run giving the number of points; fail +
 * FAIL_AT: that call fails). It is installed with no Get/Set pair: only its decision is used, for domain
 * AS_FAULTS_EXT (a library's allocator hook), so nothing of the target is wrapped twice. */
#include "../../debug/faults/faults.h"
static int faults_on;
static const char *last_site;

static int engine_should_fail(size_t size, const char *site)
{
    if (!as_faults_should_fail(AS_FAULTS_EXT, size)) return 0;
    last_site = site;
    return 1;
}

static void faults_begin(void)
{
    as_faults_config cfg;
    char err[256] = "";
    if (as_faults_config_from_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "libs: fault engine: %s\n", err);
        exit(2);
    }
    if (cfg.mode == AS_FAULTS_OFF) return;
    cfg.domains = 1u << AS_FAULTS_EXT;
    if (as_faults_install(&cfg, NULL, NULL) != 0) {
        fprintf(stderr, "libs: as_faults_install failed\n");
        exit(2);
    }
    faults_on = 1;
    lr_should_fail = engine_should_fail;
}

void lr_begin(const libs_target *t)
{
    faults_begin();
    S.m = (m_fn)t->entries.malloc[0];
    S.c = (c_fn)t->entries.calloc[0];
    S.r = (r_fn)t->entries.realloc[0];
    S.f = (f_fn)t->entries.free[0];
    if (t->set_violation_handler) ((set_handler_fn)t->set_violation_handler)(on_violation, NULL);
}

static void count_alloc(void *p, size_t n, const char *site)
{
    S.bytes += n;
    if (n == 0) S.zero_size++;
    if (!p) {
        S.failed++;
        return;
    }
    tab_insert_nolock((uintptr_t)p, n, site);
    S.live_bytes += n;
    if (S.live_bytes > S.peak_bytes) S.peak_bytes = S.live_bytes;
}

static int inject(size_t n, const char *site)
{
    if (!lr_should_fail || !lr_should_fail(n, site)) return 0;
    pthread_mutex_lock(&S.lock);
    S.injected++;
    pthread_mutex_unlock(&S.lock);
    return 1;
}

void *lr_malloc(size_t n, const char *site)
{
    void *p = inject(n, site) ? NULL : S.m(n);
    pthread_mutex_lock(&S.lock);
    S.calls_malloc++;
    count_alloc(p, n, site);
    pthread_mutex_unlock(&S.lock);
    return p;
}

void *lr_calloc(size_t n, size_t size, const char *site)
{
    int overflow = size != 0 && n > SIZE_MAX / size;
    void *p = !overflow && inject(n * size, site) ? NULL : S.c(n, size);
    if (overflow && p != NULL) /* PEP 445: calloc must refuse a request whose size overflows */
        lr_check(0, "calloc(%zu, %zu) overflows size_t but the target returned %p", n, size, p);
    pthread_mutex_lock(&S.lock);
    S.calls_calloc++;
    if (overflow) {
        S.failed += p == NULL;
        pthread_mutex_unlock(&S.lock);
        return p; /* never tracked: its size cannot be represented */
    }
    count_alloc(p, n * size, site);
    pthread_mutex_unlock(&S.lock);
    return p;
}

/* Says on stderr (first few only) that a foreign pointer is about to reach the target: when the target's
   debug hooks then crash reading around it (they read a size and pads that are not there), the host
   knows why the child died. */
static void announce_foreign(void *p, const char *site, unsigned long nth)
{
    if (nth > 4) return;
    fprintf(stderr, "libs: foreign free of %p (%s): a block the target never handed out, passed on\n", p,
            site ? site : "?");
    fflush(stderr);
}

void *lr_realloc(void *p, size_t n, const char *site)
{
    size_t old = 0;
    int known = 0;
    pthread_mutex_lock(&S.lock);
    S.calls_realloc++;
    S.bytes += n;
    if (n == 0) S.zero_size++;
    if (p) {
        known = tab_remove_nolock((uintptr_t)p, &old);
        if (known) S.live_bytes -= old;
        else old = ++S.foreign_frees;
    }
    pthread_mutex_unlock(&S.lock);
    if (p && !known) announce_foreign(p, site, old);
    void *q = inject(n, site) ? NULL : S.r(p, n);
    pthread_mutex_lock(&S.lock);
    if (q) {
        tab_insert_nolock((uintptr_t)q, n, site);
        S.live_bytes += n;
        if (S.live_bytes > S.peak_bytes) S.peak_bytes = S.live_bytes;
    } else {
        S.failed++;
        if (known && n != 0) { /* a failed realloc leaves the block where it was */
            tab_insert_nolock((uintptr_t)p, old, site);
            S.live_bytes += old;
        }
    }
    pthread_mutex_unlock(&S.lock);
    return q;
}

void lr_free(void *p, const char *site)
{
    size_t old = 0, nth = 0;
    pthread_mutex_lock(&S.lock);
    S.calls_free++;
    if (!p) S.free_null++;
    else if (tab_remove_nolock((uintptr_t)p, &old)) S.live_bytes -= old;
    else nth = ++S.foreign_frees;
    pthread_mutex_unlock(&S.lock);
    if (nth) announce_foreign(p, site, nth);
    S.f(p); /* foreign pointers too: what the debug hooks say about them is part of the result */
}

int lr_opt(const char *options, const char *word)
{
    size_t n = strlen(word);
    for (const char *s = options; s && (s = strstr(s, word)) != NULL; s += n)
        if ((s == options || s[-1] == ' ') && (s[n] == '\0' || s[n] == ' ')) return 1;
    return 0;
}

/* Formats one message and adds it to m under the lock (m == NULL: only counts a passed check). */
static void msg_addv(msgs_t *m, const char *fmt, va_list ap)
{
    char buf[LR_MSG_LEN];
    vsnprintf(buf, sizeof buf, fmt, ap);
    pthread_mutex_lock(&S.lock);
    if (m == NULL) S.checks_passed++;
    else msg_add(m, buf);
    pthread_mutex_unlock(&S.lock);
}

void lr_check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msg_addv(ok ? NULL : &S.checks, fmt, ap);
    va_end(ap);
}

void lr_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msg_addv(&S.notes, fmt, ap);
    va_end(ap);
}

void lr_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    msg_addv(&S.errors, fmt, ap);
    va_end(ap);
}

void lr_extra(const char *key, const char *fmt, ...)
{
    size_t len = strlen(S.extra);
    va_list ap;
    va_start(ap, fmt);
    len += (size_t)snprintf(S.extra + len, sizeof S.extra - len, ",\"%s\":", key);
    if (len < sizeof S.extra) vsnprintf(S.extra + len, sizeof S.extra - len, fmt, ap);
    va_end(ap);
}

void lr_settle(void)
{
    pthread_mutex_lock(&S.lock);
    S.settled = 1;
    S.settled_live = S.live;
    S.settled_bytes = S.live_bytes;
    pthread_mutex_unlock(&S.lock);
}

/* ---- JSON output ---- */

typedef struct {
    char *p;
    size_t len, cap;
} out_t;

static void put(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...)
{
    if (o->len >= o->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len = n < 0 ? o->cap : o->len + (size_t)n;
}

static void put_str(out_t *o, const char *s)
{
    put(o, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') put(o, "\\%c", ch);
        else if (ch == '\n') put(o, "\\n");
        else if (ch < 0x20 || ch >= 0x7f) put(o, "\\u%04x", ch);
        else put(o, "%c", ch);
    }
    put(o, "\"");
}

static void put_msgs(out_t *o, const char *key, const msgs_t *m)
{
    put(o, ",\"%s\":{\"count\":%lu,\"texts\":[", key, m->total);
    for (unsigned i = 0; i < m->n; i++) {
        if (i) put(o, ",");
        put_str(o, m->msg[i]);
    }
    put(o, "]}");
}

typedef struct {
    const char *site;
    size_t size;
    unsigned long n;
} group_t;

/* The live blocks grouped by (site, size), the LR_TOP largest groups by count. */
static void put_leaks(out_t *o)
{
    group_t g[64];
    unsigned ng = 0;
    for (size_t i = 0; i < S.cap; i++) {
        if (!S.tab[i].key) continue;
        unsigned k = 0;
        while (k < ng && !(g[k].size == S.tab[i].size && g[k].site == S.tab[i].site)) k++;
        if (k == ng) {
            if (ng == 64) continue;
            g[ng++] = (group_t){S.tab[i].site, S.tab[i].size, 0};
        }
        g[k].n++;
    }
    for (unsigned a = 0; a < ng; a++) /* few groups: selection sort by count */
        for (unsigned b = a + 1; b < ng; b++)
            if (g[b].n > g[a].n) {
                group_t t = g[a];
                g[a] = g[b];
                g[b] = t;
            }
    size_t live = S.settled ? S.settled_live : S.live, lb = S.settled ? S.settled_bytes : S.live_bytes;
    put(o, ",\"leaks\":{\"blocks\":%zu,\"bytes\":%zu,\"groups\":[", live, lb);
    for (unsigned k = 0; k < ng && k < LR_TOP && live; k++) {
        if (k) put(o, ",");
        put(o, "{\"size\":%zu,\"count\":%lu,\"site\":", g[k].size, g[k].n);
        put_str(o, g[k].site ? g[k].site : "?");
        put(o, "}");
    }
    put(o, "]}");
}

int lr_end(const char *library, char *out, size_t cap)
{
    out_t o = {out, 0, cap};
    pthread_mutex_lock(&S.lock);
    put(&o, "{\"library\":\"%s\"", library);
    put(&o, ",\"calls\":{\"malloc\":%lu,\"calloc\":%lu,\"realloc\":%lu,\"free\":%lu}", S.calls_malloc,
        S.calls_calloc, S.calls_realloc, S.calls_free);
    put(&o, ",\"routed\":%lu", S.calls_malloc + S.calls_calloc + S.calls_realloc + S.calls_free);
    put(&o, ",\"bytes\":%lu,\"peak_bytes\":%zu,\"zero_size\":%lu,\"free_null\":%lu", S.bytes, S.peak_bytes,
        S.zero_size, S.free_null);
    put(&o, ",\"foreign_frees\":%lu,\"failed_allocs\":%lu,\"injected\":%lu", S.foreign_frees, S.failed,
        S.injected);
    put_leaks(&o);
    put_msgs(&o, "violations", &S.violations);
    put(&o, ",\"checks_passed\":%lu", S.checks_passed);
    put_msgs(&o, "checks_failed", &S.checks);
    put_msgs(&o, "notes", &S.notes);
    put_msgs(&o, "library_errors", &S.errors);
    if (faults_on) put(&o, ",\"fault_points\":%llu", (unsigned long long)as_faults_count(AS_FAULTS_EXT));
    if (last_site) {
        put(&o, ",\"fault_site\":");
        put_str(&o, last_site);
    }
    put(&o, "%s}", S.extra);
    unsigned long failed = S.checks.total;
    pthread_mutex_unlock(&S.lock);
    if (o.len >= cap && cap > 0) out[cap - 1] = '\0';
    return (int)failed;
}

uint64_t lr_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Every thread waits until all have started, so their allocations overlap in time (a thread that finishes
   before the next one starts races with nobody). */
typedef struct {
    atomic_int *go;
    void *(*fn)(void *);
    void *arg;
} lr_thread_arg;

static void *lr_thread_main(void *p)
{
    lr_thread_arg *a = p;
    while (!atomic_load(a->go)) sched_yield();
    return a->fn(a->arg);
}

void lr_threads(int n, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t th[64];
    lr_thread_arg targ[64];
    atomic_int go = 0;
    int started = 0;
    for (int i = 0; i < n && i < 64; i++, started++) {
        targ[i] = (lr_thread_arg){&go, fn, (char *)args + (size_t)i * arg_size};
        if (pthread_create(&th[i], NULL, lr_thread_main, &targ[i]) != 0) {
            lr_check(0, "pthread_create failed for thread %d", i);
            break;
        }
    }
    atomic_store(&go, 1);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
}
