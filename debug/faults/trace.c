/*
 * trace.c: does the sweep run (or a reproducer) number the same calls as the dry run? With
 * ALLOCSPEC_FAULTS_TRACE=<file>, the dry run (COUNT) writes one 8-byte record per numbered call
 * (size | domain << 56 | kind << 59: malloc, calloc, realloc, ext), and a SWEEP parent or a FAIL-mode run
 * (until its point) compares each call with the record of the same number. At the first difference it
 * writes <out_dir>/diverged:
 *
 *   call K
 *   expected <domain> <kind> <size>      (or `expected end`: the dry run had no call K)
 *   got <domain> <kind> <size>           (or `got end`: this run ended before call K)
 *   point ... / c ... / py ... / end     (where this run made call K: the site format of site.c)
 *
 * and stops comparing. The driver then asks a dry run for its stack at call K (ALLOCSPEC_FAULTS_SITE_AT),
 * so a sweep that diverges says where, with both stacks, instead of "the program is not deterministic".
 */
#define _GNU_SOURCE
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE_MASK ((1ull << 56) - 1)

static struct {
    int mode; /* 0 off, 1 write (COUNT), 2 compare (SWEEP parent, FAIL before the point) */
    int fd;
    unsigned char buf[65536];
    size_t used;
    const uint64_t *ref;
    uint64_t nref;
    int diverged;
    uint64_t site_at; /* COUNT: write the site of this call to <out_dir>/p<K>.site without failing it */
} T;

static uint64_t encode(int domain, int kind, size_t size) {
    uint64_t s = size > SIZE_MASK ? SIZE_MASK : (uint64_t)size;
    return s | ((uint64_t)domain << 56) | ((uint64_t)kind << 59);
}

static void flush_buf(void) {
    size_t off = 0;
    while (off < T.used) {
        ssize_t w = write(T.fd, T.buf + off, T.used - off);
        if (w <= 0) break;
        off += (size_t)w;
    }
    T.used = 0;
}

void as_faults_trace_open(void) {
    const char *sa = getenv("ALLOCSPEC_FAULTS_SITE_AT");
    T.site_at = sa && *sa ? strtoull(sa, NULL, 10) : 0;
    const char *path = getenv("ALLOCSPEC_FAULTS_TRACE");
    if (!path || !*path) return;
    if (as_fs.cfg.mode == AS_FAULTS_COUNT) {
        T.fd = as_faults_high_fd(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (T.fd >= 0) T.mode = 1;
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size >= 8) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            T.ref = m;
            T.nref = (uint64_t)st.st_size / 8;
            T.mode = 2;
        }
    } else if (fstat(fd, &st) == 0) {
        T.nref = 0;
        T.mode = 2;
    }
    close(fd);
}

static const char *const dom_names[] = {"raw", "mem", "obj", "ext"};
static const char *const kind_names[] = {"malloc", "calloc", "realloc", "ext"};

static int describe(char *b, size_t n, uint64_t rec) {
    return snprintf(b, n, "%s %s %llu", dom_names[(rec >> 56) & 3], kind_names[(rec >> 59) & 3],
                    (unsigned long long)(rec & SIZE_MASK));
}

static void diverge(uint64_t n, const char *expected, const char *got, int domain, int kind, size_t size) {
    T.diverged = 1;
    char path[AS_FAULTS_PATH_MAX];
    snprintf(path, sizeof path, "%s/diverged", as_fs.out_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    dprintf(fd, "call %llu\nexpected %s\ngot %s\n", (unsigned long long)n, expected, got);
    if (domain >= 0) as_faults_write_site_fd(fd, n, domain, size, kind_names[kind]);
    close(fd);
}

void as_faults_trace_call(uint64_t n, int domain, int kind, size_t size) {
    uint64_t rec = encode(domain, kind, size);
    if (T.site_at && n == T.site_at && as_fs.cfg.mode == AS_FAULTS_COUNT) {
        char path[AS_FAULTS_PATH_MAX];
        snprintf(path, sizeof path, "%s/p%llu.site", as_fs.out_dir, (unsigned long long)n);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            as_faults_write_site_fd(fd, n, domain, size, kind_names[kind]);
            close(fd);
        }
    }
    if (T.mode == 1) {
        if (T.used + 8 > sizeof T.buf) flush_buf();
        memcpy(T.buf + T.used, &rec, 8);
        T.used += 8;
    } else if (T.mode == 2 && !T.diverged) {
        if (n > T.nref || T.ref[n - 1] != rec) {
            char e[96] = "end", g[96];
            if (n <= T.nref) describe(e, sizeof e, T.ref[n - 1]);
            describe(g, sizeof g, rec);
            diverge(n, e, g, domain, kind, size);
        }
    }
}

void as_faults_trace_finish(void) {
    if (T.mode == 1) {
        flush_buf();
        close(T.fd);
        T.mode = 0;
    } else if (T.mode == 2 && !T.diverged && as_fs.cfg.mode == AS_FAULTS_SWEEP) {
        uint64_t total = as_faults_count(-1);
        if (total < T.nref) {
            char e[96];
            describe(e, sizeof e, T.ref[total]);
            diverge(total + 1, e, "end", -1, 0, 0);
        }
    }
}
