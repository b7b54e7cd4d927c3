/*
 * test_check.c: the checking layer's C API on allocators written to break one rule each, no Python.
 *
 *     test_check              every scenario, each in a forked child; prints "N passed, N failed"
 *     test_check SCENARIO     one scenario in this process (for a debugger)
 *
 * A scenario installs the layer over `below` (a correct, locked allocator over libc with one optional
 * mutation, chosen by the scenario), runs a short call sequence and exits 0. The parent expects either
 * exit 0 with no violation (the correct allocator, under threads too) or exit AS_CHECK_EXIT_STATUS with
 * the expected rule id in the JSON report file (stop mode), or in count mode the expected counts.
 */
#define _GNU_SOURCE
#include "../internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------------------------- */
/* the allocator below: libc with zero sizes as 1 byte, plus the scenario's mutation               */

enum mutation {
    M_NONE,
    M_MALLOC0_NULL,
    M_MALLOC0_SHARED,
    M_ZERO_READONLY,
    M_CALLOC0_NULL,
    M_CALLOC_ELSIZE0_NULL,
    M_REALLOC0_FREES,
    M_REALLOC_NULL0_NULL,
    M_REALLOC_NULL_NULL,
    M_ALIGN8,
    M_CALLOC_DIRTY,
    M_CALLOC_DIRTY_LARGE,
    M_REALLOC_NO_COPY,
    M_FAILED_REALLOC_FREES,
    M_FAILED_REALLOC_DAMAGES,
    M_OVERLAP_HALF,
    M_SMALL_IN_LARGE,
    M_DOUBLE_HANDOUT,
    M_CALLOC_OVERFLOW,
    M_FREE_NULL_CRASH,
    M_NESTED,
    M_NESTED_CARVE,
};

static enum mutation mut;
static char shared_zero[16] __attribute__((aligned(16)));
static char *readonly_page;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static PyMemAllocatorEx checked_raw; /* for M_NESTED: the below allocator calls the checked RAW */
static int raw_marker; /* ctx of RAW's allocator below: M_NESTED forwards only MEM/OBJ calls to checked RAW */

/* a bump region for the overlap mutations */
static char *region;
static size_t bump;

static void *bump_alloc(size_t n, size_t advance) {
    pthread_mutex_lock(&lock);
    if (!region) region = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *p = region + bump;
    bump += (advance + 15) & ~(size_t)15;
    pthread_mutex_unlock(&lock);
    (void)n;
    return p;
}

static void *recycled; /* M_FAILED_REALLOC_FREES: the block a failed realloc let go of */

/*
 * M_NESTED_CARVE: a block 16 bytes into a checked RAW block, the way CPython's debug hooks carve theirs:
 * a header the allocator writes (the size asked, then 8 pad bytes: defined bytes, like any real header,
 * should the layer ever fingerprint the RAW block), and a zero-size request as if 1 byte had been asked.
 * n + 16 bytes alone put a zero-size block at the very end of its RAW block, where the next RAW block
 * may begin (ThreadSanitizer's and valgrind's malloc give exactly 16 bytes for 16, glibc's 24): a
 * zero-size block without a byte of its own, which the layer rightly reports as an overlap.
 */
static void *carve(char *h, size_t n) {
    if (!h) return NULL;
    memcpy(h, &n, sizeof n);
    memset(h + sizeof n, 0xfb, 16 - sizeof n);
    return h + 16;
}

static void *b_malloc(void *ctx, size_t n) {
    if (recycled && n == 64) {
        void *p = recycled;
        recycled = NULL;
        return p;
    }
    if (n == 0) {
        if (mut == M_MALLOC0_NULL) return NULL;
        if (mut == M_MALLOC0_SHARED) return shared_zero;
        if (mut == M_ZERO_READONLY) return readonly_page;
    }
    if (mut == M_ALIGN8) {
        char *p = malloc(n + 16);
        return p ? p + 8 : NULL;
    }
    if (mut == M_OVERLAP_HALF) return bump_alloc(n, n / 2);
    if (mut == M_SMALL_IN_LARGE) {
        static char *big;
        if (n == (1 << 20)) return big = malloc(n);
        if (big && n < 1024) return big + 4096; /* a small block inside the live large one */
    }
    if (mut == M_NESTED && ctx != &raw_marker) return checked_raw.malloc(checked_raw.ctx, n); /* nested */
    if (mut == M_NESTED_CARVE && ctx != &raw_marker) return carve(checked_raw.malloc(checked_raw.ctx, (n ? n : 1) + 16), n);
    return malloc(n ? n : 1);
}

static void *b_calloc(void *ctx, size_t nelem, size_t elsize) {
    if (mut == M_NESTED_CARVE && ctx != &raw_marker) {
        size_t n = nelem * elsize;
        return carve(checked_raw.calloc(checked_raw.ctx, 1, (n ? n : 1) + 16), n);
    }
    if (mut == M_CALLOC0_NULL && nelem == 0) return NULL;
    if (mut == M_CALLOC_ELSIZE0_NULL && elsize == 0) return NULL;
    if (mut == M_CALLOC_OVERFLOW) return malloc(nelem * elsize + 16);
    size_t n = nelem * elsize;
    if (mut == M_CALLOC_DIRTY || mut == M_CALLOC_DIRTY_LARGE) {
        char *p = malloc(n ? n : 1);
        if (p) memset(p, 0, n);
        if (p && n > 3) p[mut == M_CALLOC_DIRTY ? n - 1 : n / 2 + 64] = 0x5a;
        if (p && mut == M_CALLOC_DIRTY_LARGE && n > 200000) memset(p + n / 3, 0x11, n / 3);
        return p;
    }
    if (mut == M_ALIGN8) {
        char *p = calloc(1, n + 16);
        return p ? p + 8 : NULL;
    }
    return calloc(nelem ? nelem : 1, elsize ? elsize : 1);
}

static void b_free(void *ctx, void *p);

static void *b_realloc(void *ctx, void *p, size_t n) {
    if (!p) {
        if (mut == M_REALLOC_NULL0_NULL && n == 0) return NULL;
        if (mut == M_REALLOC_NULL_NULL) return NULL;
        return b_malloc(ctx, n);
    }
    if (n == 0 && mut == M_REALLOC0_FREES) {
        free(p);
        return NULL;
    }
    if (n > ((size_t)1 << 40)) { /* "impossible" size: the realloc fails */
        if (mut == M_FAILED_REALLOC_FREES) recycled = p; /* "freed" to a cache that hands it out next */
        if (mut == M_FAILED_REALLOC_DAMAGES) memset(p, 0xdd, 8);
        return NULL;
    }
    if (mut == M_REALLOC_NO_COPY) {
        void *q = malloc(n ? n : 1);
        if (q) memset(q, 0xa5, n);
        free(p);
        return q;
    }
    if (mut == M_ALIGN8) {
        char *q = realloc((char *)p - 8, n + 16);
        return q ? q + 8 : NULL;
    }
    if (mut == M_NESTED && ctx != &raw_marker) return checked_raw.realloc(checked_raw.ctx, p, n);
    if (mut == M_NESTED_CARVE && ctx != &raw_marker) {
        return carve(checked_raw.realloc(checked_raw.ctx, (char *)p - 16, (n ? n : 1) + 16), n);
    }
    return realloc(p, n ? n : 1);
}

static void b_free(void *ctx, void *p) {
    if (!p) {
        if (mut == M_FREE_NULL_CRASH) raise(SIGSEGV); /* what a write through NULL does (UBSan-proof) */
        return;
    }
    if (p == shared_zero || p == readonly_page) return;
    if (mut == M_OVERLAP_HALF || mut == M_SMALL_IN_LARGE) return;
    if (mut == M_ALIGN8) p = (char *)p - 8;
    if (mut == M_NESTED_CARVE && ctx != &raw_marker) {
        checked_raw.free(checked_raw.ctx, (char *)p - 16);
        return;
    }
    if (mut == M_NESTED && ctx != &raw_marker) {
        checked_raw.free(checked_raw.ctx, p);
        return;
    }
    free(p);
}

static PyMemAllocatorEx below = {NULL, b_malloc, b_calloc, b_realloc, b_free};

/* ---------------------------------------------------------------------------------------------- */
/* scenarios                                                                                      */

static PyMemAllocatorEx raw, mem, obj;

static void install(const char *mode, const char *align) {
    as_check_config cfg;
    char err[256];
    setenv("ALLOCSPEC_CHECK_MODE", mode, 1);
    setenv("ALLOCSPEC_CHECK_ALIGN", align, 1);
    if (as_check_config_from_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "config: %s\n", err);
        exit(3);
    }
    cfg.target = "test:below";
    PyMemAllocatorEx below_raw = below;
    below_raw.ctx = &raw_marker;
    if (as_check_init(&cfg) != 0 || as_check_wrap(AS_CHECK_RAW, &below_raw, &raw) != 0 ||
        as_check_wrap(AS_CHECK_MEM, &below, &mem) != 0 || as_check_wrap(AS_CHECK_OBJ, &below, &obj) != 0) {
        fprintf(stderr, "install failed\n");
        exit(3);
    }
    checked_raw = raw;
}

#define M(n) raw.malloc(raw.ctx, n)
#define C(a, b) raw.calloc(raw.ctx, a, b)
#define R(p, n) raw.realloc(raw.ctx, p, n)
#define F(p) raw.free(raw.ctx, p)

/* A correct mixed workload: every rule holds; blocks of every size class, moved, shrunk, grown. */
static void workload(PyMemAllocatorEx *a, unsigned seed, int rounds) {
    enum { N = 64 };
    void *live[N] = {0};
    size_t size[N] = {0};
    unsigned x = seed;
    for (int r = 0; r < rounds; r++) {
        x = x * 1103515245u + 12345u;
        int i = (int)((x >> 8) % N);
        unsigned pick = (x >> 20) % 7;
        size_t n = (x >> 3) % 3 == 0 ? (x >> 4) % 40 : (x >> 4) % 3000;
        if ((x >> 28) == 0) n = (size_t)((x >> 5) % 300000);
        if (live[i] && pick < 3) {
            void *q = a->realloc(a->ctx, live[i], n);
            if (q) live[i] = q, size[i] = n;
            if (q && n) memset(q, (int)r, n);
        } else if (live[i]) {
            a->free(a->ctx, live[i]);
            live[i] = NULL;
        } else {
            live[i] = pick == 4 ? a->calloc(a->ctx, n, 1) : a->malloc(a->ctx, n);
            size[i] = n;
            if (live[i] && n) memset(live[i], (int)r, n);
        }
    }
    for (int i = 0; i < N; i++) a->free(a->ctx, live[i]);
    (void)size;
}

/* Threads handing blocks to each other through a shared array (a correct allocator: no violation). */
#define SLOTS 256
static _Atomic(void *) handoff[SLOTS];

static void *thread_main(void *arg) {
    unsigned x = (unsigned)(uintptr_t)arg;
    for (int r = 0; r < 20000; r++) {
        x = x * 1103515245u + 12345u;
        size_t n = (x >> 4) % 700;
        void *mine = (x & 1) ? raw.malloc(raw.ctx, n) : raw.calloc(raw.ctx, 1, n);
        if (mine && n) memset(mine, 7, n);
        void *theirs = atomic_exchange(&handoff[(x >> 12) % SLOTS], mine);
        if (theirs && (x & 6) == 0) theirs = raw.realloc(raw.ctx, theirs, n + 5);
        raw.free(raw.ctx, theirs);
    }
    return NULL;
}

static void threads(int n) {
    pthread_t t[8];
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)(i * 7919 + 1));
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < SLOTS; i++) raw.free(raw.ctx, atomic_exchange(&handoff[i], NULL));
}

/* Two threads each get the same block from a broken allocator: the second admission names THREADS. */
static _Atomic(void *) handed;
static void *double_handout_thread(void *arg) {
    (void)arg;
    void *p = raw.malloc(raw.ctx, 48); /* the allocator below hands out the same block to both */
    atomic_store(&handed, p);
    return NULL;
}

static void *same_block;
static void *dh_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n == 48) {
        if (!same_block) same_block = malloc(48);
        return same_block;
    }
    return malloc(n ? n : 1);
}

static void crash_describe(int sig) {
    char line[512];
    size_t n = as_check_describe_crash(line, sizeof line);
    ssize_t w = write(2, "crash: ", 7);
    w = write(2, line, n);
    w = write(2, "\n", 1);
    (void)w;
    _exit(128 + sig);
}

static int run(const char *name) {
    const char *mode = "stop", *align = "weak";
    if (strncmp(name, "count_", 6) == 0) mode = "count";
    if (strcmp(name, "align_strong") == 0) align = "strong";
#define IS(s) (strcmp(name, s) == 0)
    if (IS("good")) {
        install(mode, align);
        workload(&raw, 1, 20000);
        workload(&mem, 2, 20000);
        workload(&obj, 3, 20000);
        void *z[8];
        for (int i = 0; i < 8; i++) z[i] = i % 2 ? M(0) : C(0, 3);
        void *r0 = R(NULL, 0);
        void *r1 = M(10);
        memset(r1, 3, 10);
        r1 = R(r1, 0);
        for (int i = 0; i < 8; i++) F(z[i]);
        F(r0), F(r1), F(NULL);
        void *big = M(20 << 20);
        memset(big, 1, 20 << 20); /* realloc fingerprints what it keeps: defined bytes (valgrind) */
        void *small = M(24);
        memset(small, 2, 24);
        big = R(big, 30 << 20);
        void *huge_fail = R(small, (size_t)1 << 50);
        if (huge_fail) return 4;
        F(small), F(big);
        return as_check_violations(-1) == 0 ? 0 : 5;
    }
    if (IS("threads")) {
        install(mode, align);
        threads(4);
        return as_check_violations(-1) == 0 ? 0 : 5;
    }
    if (IS("nested") || IS("nested_carve")) {
        mut = IS("nested") ? M_NESTED : M_NESTED_CARVE;
        /* below calls the checked RAW from inside a checked MEM call: passes through unchecked */
        install(mode, align);
        workload(&mem, 9, 5000);
        return as_check_violations(-1) == 0 ? 0 : 5;
    }
    if (IS("adopt")) {
        setenv("ALLOCSPEC_CHECK_ADOPT", "1", 1);
        install(mode, align);
        void *before = malloc(32);
        F(before);
        void *b2 = malloc(40);
        b2 = R(b2, 4000);
        F(b2);
        return as_check_violations(-1) == 0 ? 0 : 5;
    }
    if (IS("malloc0_null")) mut = M_MALLOC0_NULL;
    else if (IS("malloc0_shared")) mut = M_MALLOC0_SHARED;
    else if (IS("zero_readonly")) {
        mut = M_ZERO_READONLY;
        readonly_page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    } else if (IS("calloc0_null")) mut = M_CALLOC0_NULL;
    else if (IS("calloc_elsize0_null")) mut = M_CALLOC_ELSIZE0_NULL;
    else if (IS("realloc0_frees")) mut = M_REALLOC0_FREES;
    else if (IS("realloc_null0_null")) mut = M_REALLOC_NULL0_NULL;
    else if (IS("realloc_null_null")) mut = M_REALLOC_NULL_NULL;
    else if (IS("align8") || IS("align8_calloc") || IS("align_strong")) mut = M_ALIGN8;
    else if (IS("calloc_dirty")) mut = M_CALLOC_DIRTY;
    else if (IS("calloc_dirty_large")) mut = M_CALLOC_DIRTY_LARGE;
    else if (IS("realloc_grow") || IS("realloc_shrink") || IS("realloc_same")) mut = M_REALLOC_NO_COPY;
    else if (IS("failed_realloc_frees")) mut = M_FAILED_REALLOC_FREES;
    else if (IS("failed_realloc_damages")) mut = M_FAILED_REALLOC_DAMAGES;
    else if (IS("overlap") || IS("count_overlap")) mut = M_OVERLAP_HALF;
    else if (IS("small_in_large")) mut = M_SMALL_IN_LARGE;
    else if (IS("double_handout")) mut = M_DOUBLE_HANDOUT;
    else if (IS("calloc_overflow")) mut = M_CALLOC_OVERFLOW;
    else if (IS("free_null_crash")) mut = M_FREE_NULL_CRASH;
    else if (!IS("not_live") && !IS("double_free") && !IS("wrong_domain_free") && !IS("wrong_domain_realloc") &&
             !IS("escape")) {
        fprintf(stderr, "unknown scenario %s\n", name);
        return 3;
    }
    if (mut == M_DOUBLE_HANDOUT) below.malloc = dh_malloc;
    install(mode, align);
    if (IS("malloc0_null") || IS("zero_readonly")) F(M(0));
    else if (IS("malloc0_shared")) {
        void *a = M(0), *b = M(0);
        F(a), F(b);
    } else if (IS("calloc0_null")) F(C(0, 8));
    else if (IS("calloc_elsize0_null")) F(C(8, 0));
    else if (IS("realloc0_frees")) F(R(M(32), 0));
    else if (IS("realloc_null0_null")) F(R(NULL, 0));
    else if (IS("realloc_null_null")) F(R(NULL, 100));
    else if (IS("align8") || IS("align_strong")) {
        void *a = M(8); /* weak rule: 8 is enough for 8 bytes */
        if (IS("align8") && as_check_violations(-1) != 0) return 6;
        F(a);
        F(M(32));
    } else if (IS("align8_calloc")) F(C(4, 8));
    else if (IS("calloc_dirty")) F(C(7, 9));
    else if (IS("calloc_dirty_large")) F(C(1, 1 << 20));
    else if (IS("realloc_grow") || IS("realloc_shrink") || IS("realloc_same")) {
        char *p = M(100);
        memset(p, 'x', 100);
        F(R(p, IS("realloc_grow") ? 5000 : IS("realloc_shrink") ? 10 : 100));
    } else if (IS("failed_realloc_frees")) {
        char *p = M(64);
        memset(p, 'y', 64);
        if (R(p, (size_t)1 << 50)) return 4;
        void *q = M(64); /* the allocator hands the "freed" block out again */
        F(q), F(p);
    } else if (IS("failed_realloc_damages")) {
        char *p = M(64);
        memset(p, 'y', 64);
        R(p, (size_t)1 << 50);
        F(p);
    } else if (IS("overlap")) {
        void *a = M(64), *b = M(64);
        F(a), F(b);
    } else if (IS("count_overlap")) {
        void *a = M(64), *b = M(64), *c = M(64);
        F(a), F(b), F(c);
        as_check_summary(2);
        return as_check_violations(AS_CHECK_OVERLAP) == 2 ? 0 : 7;
    } else if (IS("small_in_large")) {
        void *big = M(1 << 20);
        void *small = M(64);
        F(small), F(big);
    } else if (IS("double_handout")) {
        pthread_t t;
        pthread_create(&t, NULL, double_handout_thread, NULL);
        pthread_join(t, NULL);
        void *mine = M(48);
        (void)mine;
    } else if (IS("not_live")) {
        char stack_block[32];
        F(stack_block);
    } else if (IS("double_free")) {
        void *p = M(24);
        F(p);
        F(p);
    } else if (IS("wrong_domain_free")) {
        void *p = mem.malloc(mem.ctx, 24);
        F(p); /* a MEM block freed by RAW */
    } else if (IS("wrong_domain_realloc")) {
        void *p = mem.malloc(mem.ctx, 24);
        obj.realloc(obj.ctx, p, 48);
    } else if (IS("calloc_overflow")) {
        F(C((size_t)1 << 63, 4));
    } else if (IS("free_null_crash")) {
        signal(SIGSEGV, crash_describe);
        F(NULL);
    } else if (IS("escape")) {
        char out[64];
        as_check_escape("a\x01\xff\\b", out, sizeof out);
        return strcmp(out, "a\\x01\\xff\\\\b") == 0 ? 0 : 8;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *rule; /* NULL: must exit 0 with no violation */
    const char *stderr_has;
} expect;

static const expect EXPECT[] = {
    {"good", NULL, NULL},
    {"threads", NULL, NULL},
    {"nested", NULL, NULL},
    {"nested_carve", NULL, NULL},
    {"adopt", NULL, NULL},
    {"escape", NULL, NULL},
    {"malloc0_null", "zero_size/malloc_zero_distinct_non_null", NULL},
    {"malloc0_shared", "zero_size/malloc_zero_distinct_non_null", "overlaps"},
    {"zero_readonly", "zero_size/malloc_zero_byte_writable", NULL},
    {"calloc0_null", "zero_size/calloc_zero_nelem_non_null", NULL},
    {"calloc_elsize0_null", "zero_size/calloc_zero_elsize_non_null", NULL},
    {"realloc0_frees", "zero_size/realloc_to_zero_non_null", NULL},
    {"realloc_null0_null", "zero_size/realloc_null_zero_acts_as_malloc_zero", NULL},
    {"realloc_null_null", "realloc/realloc_null_acts_as_malloc", NULL},
    {"align8", "alignment/min16_or_power_of_two_below_size", "malloc(32)"},
    {"align8_calloc", "alignment/calloc_and_realloc_results_aligned", NULL},
    {"align_strong", "alignment/sixteen_for_every_size", "malloc(8)"},
    {"calloc_dirty", "calloc/calloc_zeroes_recycled_memory", "byte 62 "},
    {"calloc_dirty_large", "calloc/calloc_zeroes_recycled_memory", "sampled"},
    {"realloc_grow", "realloc/realloc_grow_keeps_prefix", NULL},
    {"realloc_shrink", "realloc/realloc_shrink_keeps_prefix", "shrinking"},
    {"realloc_same", "realloc/realloc_shrink_keeps_prefix", "same-size"},
    {"failed_realloc_frees", "realloc/failed_realloc_keeps_old_block", "released the old block"},
    {"failed_realloc_damages", "realloc/failed_realloc_keeps_old_block", "changed"},
    {"overlap", "no_overlap/live_blocks_never_overlap", NULL},
    {"count_overlap", NULL, "summary: 2 violations"},
    {"small_in_large", "no_overlap/live_blocks_never_overlap", "1048576 bytes"},
    {"double_handout", "threads/raw_stress_hands_blocks_between_threads", "another thread"},
    {"not_live", "hook_forward/free_below_gets_pointers_from_below", NULL},
    {"double_free", "hook_forward/free_below_gets_pointers_from_below", "double free"},
    {"wrong_domain_free", "debug_api_id/mem_block_freed_by_raw", NULL},
    {"wrong_domain_realloc", "debug_api_id/mem_block_reallocd_by_obj", NULL},
    {"calloc_overflow", "size_checks/allocator_calloc_overflow_called_directly", NULL},
    {"free_null_crash", NULL, "inside the allocator's free(NULL) [RAW]: violation of free_null/free_null_is_noop"},
};

static int check_one(const expect *e, const char *dir) {
    char report[512], errpath[512];
    snprintf(report, sizeof report, "%s/%s.jsonl", dir, e->name);
    snprintf(errpath, sizeof errpath, "%s/%s.err", dir, e->name);
    unlink(report);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        close(fd);
        setenv("ALLOCSPEC_CHECK_REPORT", report, 1);
        exit(run(e->name));
    }
    int st;
    waitpid(pid, &st, 0);
    char text[16384] = "", json[16384] = "";
    int fd = open(errpath, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof text - 1);
        text[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    fd = open(report, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, json, sizeof json - 1);
        json[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    int ok;
    if (e->rule) {
        char want[256];
        snprintf(want, sizeof want, "\"rule\":\"%s\"", e->rule);
        char line1[300];
        snprintf(line1, sizeof line1, "allocspec check: violation of %s [", e->rule);
        ok = code == AS_CHECK_EXIT_STATUS && strstr(json, want) && strstr(text, line1) &&
             strstr(text, "  conformance: ") && strstr(text, "  reproduce: ") && strstr(text, "  C site: ");
    } else if (strcmp(e->name, "free_null_crash") == 0) {
        ok = code == 128 + SIGSEGV;
    } else {
        ok = code == 0 && (strncmp(e->name, "count_", 6) == 0 || !strstr(text, "violation of"));
    }
    if (ok && e->stderr_has && !strstr(text, e->stderr_has)) ok = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if ((*c < 0x20 && *c != '\n') || *c >= 0x7f) ok = 0; /* printable text only */
    }
    printf("%s %s (exit %d)\n", ok ? "ok" : "FAIL", e->name, code);
    if (!ok) printf("--- stderr:\n%s--- report:\n%s---\n", text, json);
    return ok;
}

int main(int argc, char **argv) {
    if (argc == 2) return run(argv[1]);
    char dir[] = "/tmp/allocspec-check-XXXXXX";
    if (!mkdtemp(dir)) return 2;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof EXPECT / sizeof *EXPECT; i++) {
        if (check_one(&EXPECT[i], dir)) passed++;
        else failed++;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
