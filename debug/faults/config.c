/*
 * config.c: the engine's configuration from the environment (launcher contract: a layer reads its own
 * variables; they are inherited by child interpreters, which the out_dir claim keeps passive).
 *
 *   ALLOCSPEC_FAULTS_MODE        count | fail | sweep   (unset/empty: off)
 *   ALLOCSPEC_FAULTS_DIR         output directory (required when on)
 *   ALLOCSPEC_FAULTS_DOMAINS     comma list of raw, mem, obj (default: all)
 *   ALLOCSPEC_FAULTS_SIZE_MIN / _SIZE_MAX   bytes, inclusive
 *   ALLOCSPEC_FAULTS_IN_LIBRARY  substring of a shared object's file name that must be on the C stack
 *   ALLOCSPEC_FAULTS_IN_MODULE   Python module that must be on the Python stack
 *   ALLOCSPEC_FAULTS_PERSISTENT  1: every matching call from the point on fails
 *   ALLOCSPEC_FAULTS_FAIL_AT     fail mode: the point
 *   ALLOCSPEC_FAULTS_POINTS      sweep mode: file of sorted points, one a line
 *   ALLOCSPEC_FAULTS_JOBS, ALLOCSPEC_FAULTS_TIMEOUT_MS   sweep mode
 *   ALLOCSPEC_FAULTS_THOROUGH    1: the failing process runs to its end (no early stop, settle.c)
 *   ALLOCSPEC_FAULTS_ISOLATION   off: children share descriptors and mappings with the parent (isolate.c)
 * Read where they are used (not part of as_faults_config):
 *   ALLOCSPEC_FAULTS_SETTLE_GC   generation collected before an early stop (default 0; -1 none)
 *   ALLOCSPEC_FAULTS_TRACE       the dry run's call log: written in count mode, compared in sweep/fail (trace.c)
 *   ALLOCSPEC_FAULTS_SITE_AT     count mode: write the site of call K to <dir>/p<K>.site (trace.c)
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int number(const char *name, unsigned long long *out, char *err, size_t errlen) {
    const char *v = env(name);
    if (!v) return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || *v == '-') {
        snprintf(err, errlen, "%s='%s' is not a non-negative integer", name, v);
        return -1;
    }
    *out = n;
    return 0;
}

static int read_points(const char *path, as_faults_config *cfg, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_POINTS: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1024, n = 0;
    uint64_t *p = malloc(cap * sizeof *p);
    unsigned long long v, last = 0;
    while (p && fscanf(f, "%llu", &v) == 1) {
        if (v == 0 || v <= last) {
            snprintf(err, errlen, "ALLOCSPEC_FAULTS_POINTS: points must be sorted, distinct, >= 1 (%llu)", v);
            free(p);
            fclose(f);
            return -1;
        }
        if (n == cap) {
            uint64_t *q = realloc(p, (cap *= 2) * sizeof *p);
            if (!q) free(p);
            p = q;
        }
        if (p) p[n++] = last = v;
    }
    fclose(f);
    if (!p) {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_POINTS: out of memory");
        return -1;
    }
    cfg->points = p;
    cfg->npoints = n;
    return 0;
}

int as_faults_config_from_env(as_faults_config *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    const char *mode = env("ALLOCSPEC_FAULTS_MODE");
    if (!mode) return 0;
    if (!strcmp(mode, "count")) cfg->mode = AS_FAULTS_COUNT;
    else if (!strcmp(mode, "fail")) cfg->mode = AS_FAULTS_FAIL;
    else if (!strcmp(mode, "sweep")) cfg->mode = AS_FAULTS_SWEEP;
    else {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_MODE='%s': use count, fail or sweep", mode);
        return -1;
    }
    cfg->out_dir = env("ALLOCSPEC_FAULTS_DIR");
    if (!cfg->out_dir) {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_DIR is not set: the engine needs a directory for its results");
        return -1;
    }
    const char *doms = env("ALLOCSPEC_FAULTS_DOMAINS");
    if (doms) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s", doms);
        for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (!strcmp(t, "raw")) cfg->domains |= 1u << AS_FAULTS_RAW;
            else if (!strcmp(t, "mem")) cfg->domains |= 1u << AS_FAULTS_MEM;
            else if (!strcmp(t, "obj")) cfg->domains |= 1u << AS_FAULTS_OBJ;
            else if (!strcmp(t, "ext")) cfg->domains |= 1u << AS_FAULTS_EXT;
            else {
                snprintf(err, errlen, "ALLOCSPEC_FAULTS_DOMAINS: unknown domain '%s': use raw, mem, obj", t);
                return -1;
            }
        }
    }
    unsigned long long v = 0;
    if (number("ALLOCSPEC_FAULTS_SIZE_MIN", &v, err, errlen)) return -1;
    cfg->size_min = v;
    v = 0;
    if (number("ALLOCSPEC_FAULTS_SIZE_MAX", &v, err, errlen)) return -1;
    cfg->size_max = v;
    cfg->in_library = env("ALLOCSPEC_FAULTS_IN_LIBRARY");
    cfg->in_module = env("ALLOCSPEC_FAULTS_IN_MODULE");
    v = 0;
    if (number("ALLOCSPEC_FAULTS_PERSISTENT", &v, err, errlen)) return -1;
    cfg->persistent = v != 0;
    v = 0;
    if (number("ALLOCSPEC_FAULTS_FAIL_AT", &v, err, errlen)) return -1;
    cfg->fail_at = v;
    if (cfg->mode == AS_FAULTS_FAIL && v == 0) {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_FAIL_AT must be >= 1 in fail mode");
        return -1;
    }
    v = 1;
    if (number("ALLOCSPEC_FAULTS_JOBS", &v, err, errlen)) return -1;
    cfg->jobs = (int)(v > AS_FAULTS_MAX_JOBS ? AS_FAULTS_MAX_JOBS : v);
    v = 0;
    if (number("ALLOCSPEC_FAULTS_TIMEOUT_MS", &v, err, errlen)) return -1;
    cfg->timeout_ms = (unsigned)v;
    v = 0;
    if (number("ALLOCSPEC_FAULTS_THOROUGH", &v, err, errlen)) return -1;
    if (v) cfg->flags |= AS_FAULTS_THOROUGH;
    const char *iso = env("ALLOCSPEC_FAULTS_ISOLATION");
    if (iso && strcmp(iso, "off") && strcmp(iso, "on")) {
        snprintf(err, errlen, "ALLOCSPEC_FAULTS_ISOLATION='%s': use on or off", iso);
        return -1;
    }
    if (iso && !strcmp(iso, "off")) cfg->flags |= AS_FAULTS_NO_ISOLATION;
    if (cfg->mode == AS_FAULTS_SWEEP) {
        const char *pts = env("ALLOCSPEC_FAULTS_POINTS");
        if (!pts) {
            snprintf(err, errlen, "ALLOCSPEC_FAULTS_POINTS is not set: sweep mode needs a file of points");
            return -1;
        }
        if (read_points(pts, cfg, err, errlen)) return -1;
    }
    return 0;
}
