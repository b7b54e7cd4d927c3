/*
 * engine.c: the fault engine's hooks and its one decision, as_faults_should_fail (PEP 445 "Use cases", use
 * case 3 "Setup Allocator Hooks": each hook wraps the allocator it replaced and calls it through ctx).
 *
 *   entry point -> hook (this file) -> as_faults_should_fail(domain, size)
 *                     |  no: the allocator below (saved by Get before Set)      yes: NULL
 *
 * A call "matches" when its domain is selected, its size is in [size_min, size_max] and its stack satisfies
 * the library/module filters (filter.c). Matching calls are numbered 1, 2, ... over all domains with one
 * counter, as CPython's _testcapi.set_nomemory numbers them, except that calls made by the allocator below
 * while serving a call (pymalloc's fallback to PyMem_RawMalloc) are not counted: they are not call sites of
 * the program (set_nomemory counts them). Free never fails and is never counted.
 * A thread-local guard makes calls made by the engine itself (frame lookup, site capture) pass through
 * uncounted. In SWEEP mode the parent forks at each chosen point (sweep.c); the child fails the call.
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

as_faults_state as_fs;
static __thread int in_engine;

_Static_assert(AS_FAULTS_RAW == 0 && AS_FAULTS_MEM == 1 && AS_FAULTS_OBJ == 2, "PyMemAllocatorDomain values");

static int size_ok(size_t size) {
    const as_faults_config *c = &as_fs.cfg;
    return size >= c->size_min && (c->size_max == 0 || size <= c->size_max);
}

static const char *const kinds[] = {"raw", "mem", "obj", "ext"};

/* The failing process: appends to its site file (kept open; async-signal-safe). */
void as_faults_site_line(const char *line) {
    if (as_fs.site_fd < 0) return;
    size_t n = strlen(line);
    while (n) {
        ssize_t w = write(as_fs.site_fd, line, n);
        if (w <= 0) return;
        line += w;
        n -= (size_t)w;
    }
}

/* ALLOCSPEC_FAULTS_PROFILE=1: the failing process appends `prof <phase> minflt N cpu_us N` lines to its site
 * file (the cost of each phase of a child: debug/README.md "What a child costs"). */
void as_faults_prof(const char *tag) {
    static int on = -1;
    if (on < 0) on = getenv("ALLOCSPEC_FAULTS_PROFILE") != NULL;
    if (!on) return;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    char line[160];
    snprintf(line, sizeof line, "prof %s minflt %ld cpu_us %ld\n", tag, ru.ru_minflt,
             (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    as_faults_site_line(line);
}

static void point_failed(uint64_t n, int domain, size_t size) {
    as_fs.failed = 1;
    as_fs.failed_point = n;
    as_faults_prof("forked");
    as_faults_write_site(n, domain, size, kinds[domain]);
    as_faults_prof("site");
    as_faults_settle_arm();
    as_faults_prof("armed");
}

static int decide(int domain, int kind, size_t size) {
    if (!atomic_load_explicit(&as_fs.active, memory_order_relaxed) || in_engine) return 0;
    if (domain < 0 || domain >= AS_FAULTS_NDOMAINS) return 0;
    in_engine = 1;
    int fail = 0;
    /* the process whose point failed watches what the failure leads to (settle.c), on every call whatever
     * the filters: exceptions raised, and when the consequence is settled (early stop) */
    if (as_fs.failed) as_faults_settle_observe(domain);
    if (!(as_fs.cfg.domains & (1u << domain)) || !size_ok(size)) goto out;
    if ((as_fs.cfg.in_library || as_fs.cfg.in_module) && !as_faults_stack_matches()) goto out;
    uint64_t n = atomic_fetch_add(&as_fs.total, 1) + 1;
    atomic_fetch_add_explicit(&as_fs.per_domain[domain], 1, memory_order_relaxed);
    if (!as_fs.failed) as_faults_trace_call(n, domain, kind, size);
    switch (as_fs.cfg.mode) {
    case AS_FAULTS_FAIL:
        if (n == as_fs.cfg.fail_at || (as_fs.cfg.persistent && n > as_fs.cfg.fail_at)) {
            if (!atomic_exchange(&as_fs.failed_once, 1)) point_failed(n, domain, size);
            fail = 1;
        }
        break;
    case AS_FAULTS_SWEEP:
        if (as_fs.is_child) {
            fail = as_fs.cfg.persistent; /* the point itself failed in as_faults_fork_point's child branch */
        } else if (as_fs.next_point < as_fs.cfg.npoints && n == as_fs.points[as_fs.next_point]) {
            as_fs.next_point++;
            if (as_faults_fork_point(n)) {
                point_failed(n, domain, size);
                fail = 1;
            }
        }
        break;
    default:
        break;
    }
out:
    in_engine = 0;
    return fail;
}

int as_faults_should_fail(int domain, size_t size) { return decide(domain, AS_KIND_EXT, size); }

/* ---- hooks: ctx is the domain index; the allocator below is as_fs.below[domain] ----
 * `nested` spans the call below: calls the allocator makes itself (pymalloc's fallback to PyMem_RawMalloc,
 * the debug hooks' own calls) are not points of the program and pass through uncounted. */
static __thread int nested;

/* the failing process tracks blocks handed out and released after its point (heapcheck.c) */
#define TRACK_ALLOC(p)                                                                                      \
    do {                                                                                                    \
        if (as_fs.failed && d != AS_FAULTS_RAW) as_faults_heap_alloc(p);                                  \
    } while (0)

static void *h_malloc(void *ctx, size_t size) {
    int d = (int)(intptr_t)ctx;
    if (nested) return as_fs.below[d].malloc(as_fs.below[d].ctx, size);
    nested = 1;
    void *p = decide(d, AS_KIND_MALLOC, size) ? NULL : as_fs.below[d].malloc(as_fs.below[d].ctx, size);
    TRACK_ALLOC(p);
    nested = 0;
    return p;
}

static void *h_calloc(void *ctx, size_t nelem, size_t elsize) {
    int d = (int)(intptr_t)ctx;
    if (nested) return as_fs.below[d].calloc(as_fs.below[d].ctx, nelem, elsize);
    size_t total;
    if (__builtin_mul_overflow(nelem, elsize, &total)) total = SIZE_MAX;
    nested = 1;
    void *p = decide(d, AS_KIND_CALLOC, total) ? NULL : as_fs.below[d].calloc(as_fs.below[d].ctx, nelem, elsize);
    TRACK_ALLOC(p);
    nested = 0;
    return p;
}

static void *h_realloc(void *ctx, void *ptr, size_t size) {
    int d = (int)(intptr_t)ctx;
    if (nested) return as_fs.below[d].realloc(as_fs.below[d].ctx, ptr, size);
    nested = 1;
    /* a failed realloc leaves ptr untouched (PEP 445) */
    void *p = decide(d, AS_KIND_REALLOC, size) ? NULL : as_fs.below[d].realloc(as_fs.below[d].ctx, ptr, size);
    if (as_fs.failed && d != AS_FAULTS_RAW && p && p != ptr) {
        as_faults_heap_free(ptr);
        as_faults_heap_alloc(p);
    }
    nested = 0;
    return p;
}

static void h_free(void *ctx, void *ptr) {
    int d = (int)(intptr_t)ctx;
    int was = nested;
    nested = 1;
    as_fs.below[d].free(as_fs.below[d].ctx, ptr);
    if (as_fs.failed && d != AS_FAULTS_RAW && !was) as_faults_heap_free(ptr);
    nested = was;
}

static void at_fork_child(void) {
    /* A fork made by the program (os.fork, multiprocessing) is not ours: pass everything through there.
     * Our own fork re-activates the child after fork() returns (sweep.c). */
    atomic_store(&as_fs.active, 0);
}

static void at_exit(void) { as_faults_finish(); }

/* The first process to create <out_dir>/claim owns the run; later ones (subprocesses inheriting the
 * environment) stay passive. */
static int claim(const char *dir) {
    char path[AS_FAULTS_PATH_MAX];
    snprintf(path, sizeof path, "%s/claim", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return errno == EEXIST ? 1 : -1;
    dprintf(fd, "%d\n", (int)getpid());
    close(fd);
    return 0;
}

int as_faults_install(const as_faults_config *cfg, as_faults_get_fn get, as_faults_set_fn set) {
    if (!cfg || !cfg->out_dir || cfg->mode == AS_FAULTS_OFF || (!get) != (!set)) {
        errno = EINVAL;
        return -1;
    }
    if (strlen(cfg->out_dir) >= sizeof as_fs.out_dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int c = claim(cfg->out_dir);
    if (c != 0) return c;
    as_fs.cfg = *cfg;
    strcpy(as_fs.out_dir, cfg->out_dir);
    as_fs.cfg.out_dir = as_fs.out_dir;
    if (!as_fs.cfg.domains) as_fs.cfg.domains = (1u << AS_FAULTS_NDOMAINS) - 1;
    if (cfg->in_library && *cfg->in_library) {
        snprintf(as_fs.in_library, sizeof as_fs.in_library, "%s", cfg->in_library);
        as_fs.cfg.in_library = as_fs.in_library;
    } else {
        as_fs.cfg.in_library = NULL;
    }
    if (cfg->in_module && *cfg->in_module) {
        snprintf(as_fs.in_module, sizeof as_fs.in_module, "%s", cfg->in_module);
        as_fs.cfg.in_module = as_fs.in_module;
    } else {
        as_fs.cfg.in_module = NULL;
    }
    if (cfg->mode == AS_FAULTS_SWEEP) {
        as_fs.points = malloc((cfg->npoints ? cfg->npoints : 1) * sizeof *as_fs.points);
        if (!as_fs.points) return -1;
        if (cfg->npoints) memcpy(as_fs.points, cfg->points, cfg->npoints * sizeof *as_fs.points);
        as_fs.cfg.points = as_fs.points;
        if (as_fs.cfg.jobs < 1) as_fs.cfg.jobs = 1;
        if (as_fs.cfg.jobs > AS_FAULTS_MAX_JOBS) as_fs.cfg.jobs = AS_FAULTS_MAX_JOBS;
        char path[AS_FAULTS_PATH_MAX];
        snprintf(path, sizeof path, "%s/results", as_fs.out_dir);
        as_fs.results_fd = as_faults_high_fd(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
        if (as_fs.results_fd < 0) return -1;
    }
    as_fs.site_fd = -1;
    as_fs.parent_pid = getpid();
    /* the generation collected before an early stop (settle.c): none by default (-1), see debug/README.md */
    const char *gc = getenv("ALLOCSPEC_FAULTS_SETTLE_GC");
    as_fs.settle_gc = gc && *gc ? atoi(gc) : -1;
    if (as_fs.settle_gc > 2) as_fs.settle_gc = 2;
    as_faults_trace_open();
    /* gc.collect for the early stop, looked up now: importing after a failure may not work (settle.c) */
    if (as_py_can_walk()) as_py_gc_prepare();
    /* backtrace() allocates (dlopen of libgcc_s) on its first call: make that call now, not while a
     * point's call is failing (clients-facts.md section 2). */
    void *warm[4];
    (void)backtrace(warm, 4);
    as_faults_modules_init();
    as_faults_settle_init();
    pthread_atfork(NULL, NULL, at_fork_child);
    atexit(at_exit);
    as_faults_heap_init(); /* before wrapping: asks libpython which allocator it runs */
    /* every domain is wrapped, selected or not: the failing process observes all calls (settle.c) */
    for (int d = AS_FAULTS_RAW; get && d <= AS_FAULTS_OBJ; d++) {
        get(d, &as_fs.below[d]);
        as_faults_allocator hook = {(void *)(intptr_t)d, h_malloc, h_calloc, h_realloc, h_free};
        if (!as_fs.below[d].calloc) hook.calloc = NULL; /* a 2013-form allocator: keep malloc+zero */
        set(d, &hook);
    }
    atomic_store(&as_fs.active, 1);
    return 0;
}

uint64_t as_faults_count(int domain) {
    if (domain < 0) return atomic_load(&as_fs.total);
    return domain < AS_FAULTS_NDOMAINS ? atomic_load(&as_fs.per_domain[domain]) : 0;
}

int as_faults_is_child(void) { return as_fs.is_child; }

int as_faults_failed(void) { return as_fs.failed; }

void as_faults_finish(void) {
    if (as_fs.finished || as_fs.cfg.mode == AS_FAULTS_OFF || !as_fs.out_dir[0]) return;
    if (as_fs.is_child || !atomic_load(&as_fs.active)) return;
    as_fs.finished = 1;
    atomic_store(&as_fs.active, 0);
    if (as_fs.cfg.mode == AS_FAULTS_SWEEP) as_faults_reap(1);
    as_faults_trace_finish();
    char path[AS_FAULTS_PATH_MAX], tmp[AS_FAULTS_PATH_MAX];
    snprintf(path, sizeof path, "%s/counts", as_fs.out_dir);
    snprintf(tmp, sizeof tmp, "%s/counts.tmp", as_fs.out_dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    dprintf(fd, "total %llu\nraw %llu\nmem %llu\nobj %llu\next %llu\nskipped_threads %llu\nskipped_other %llu\n",
            (unsigned long long)as_faults_count(-1), (unsigned long long)as_faults_count(0),
            (unsigned long long)as_faults_count(1), (unsigned long long)as_faults_count(2),
            (unsigned long long)as_faults_count(3), (unsigned long long)as_fs.skipped_threads,
            (unsigned long long)as_fs.skipped_other);
    close(fd);
    rename(tmp, path);
}
