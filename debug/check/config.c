/*
 * config.c: the checking layer's configuration (ALLOCSPEC_CHECK_*, documented in check.h) and its
 * process-wide state: as_check_init maps the live-block map, registers the fork handlers (every lock of
 * the map is taken around fork(), so a child never inherits a lock held by a thread that does not exist
 * in it: fault sweeps fork at every point) and the exit summary.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

as_check_state as_cs = {.last_rule = -1};

static _Atomic uint32_t next_tid;
static __thread uint32_t my_tid __attribute__((tls_model("initial-exec")));

/* 1 .. 127, then again from 1 (the live-block map keeps 7 bits): two threads 127 apart are taken for
   one when their blocks overlap (the rule named is then no_overlap instead of threads). */
uint32_t as_check_tid(void) {
    if (!my_tid) my_tid = atomic_fetch_add(&next_tid, 1) % 127u + 1;
    return my_tid;
}

static int parse_size(const char *s, size_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || v > (1ULL << 40)) return -1;
    *out = (size_t)v;
    return 0;
}

int as_check_config_from_env(as_check_config *cfg, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    cfg->full_bytes = 1024;
    const char *v = getenv("ALLOCSPEC_CHECK_MODE");
    if (v && *v) {
        if (strcmp(v, "stop") == 0) cfg->mode = AS_CHECK_STOP;
        else if (strcmp(v, "count") == 0) cfg->mode = AS_CHECK_COUNT;
        else return snprintf(err, errlen, "ALLOCSPEC_CHECK_MODE=%.64s: use stop or count", v), -1;
    }
    v = getenv("ALLOCSPEC_CHECK_ALIGN");
    if (v && *v) {
        if (strcmp(v, "weak") == 0) cfg->align_strong = 0;
        else if (strcmp(v, "strong") == 0) cfg->align_strong = 1;
        else return snprintf(err, errlen, "ALLOCSPEC_CHECK_ALIGN=%.64s: use weak or strong", v), -1;
    }
    v = getenv("ALLOCSPEC_CHECK_FULL_BYTES");
    if (v && *v && (parse_size(v, &cfg->full_bytes) || cfg->full_bytes < 64)) {
        return snprintf(err, errlen, "ALLOCSPEC_CHECK_FULL_BYTES=%.64s: use a byte count >= 64", v), -1;
    }
    v = getenv("ALLOCSPEC_CHECK_ADOPT");
    cfg->adopt_unknown = v && strcmp(v, "1") == 0;
    cfg->target = getenv("ALLOCSPEC_CHECK_TARGET");
    cfg->repro = getenv("ALLOCSPEC_CHECK_REPRO");
    cfg->conformance = getenv("ALLOCSPEC_CHECK_CONFORMANCE");
    cfg->report_path = getenv("ALLOCSPEC_CHECK_REPORT");
    return 0;
}

static void copy(char *dst, size_t size, const char *src) {
    if (!src) src = "";
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void before_fork(void) { as_blocks_lock_all(); }
static void after_fork(void) { as_blocks_unlock_all(); }

int as_check_init(const as_check_config *cfg) {
    if (as_blocks_init() != 0) return -1;
    copy(as_cs.target, sizeof as_cs.target, cfg->target);
    copy(as_cs.repro, sizeof as_cs.repro, cfg->repro);
    copy(as_cs.conformance, sizeof as_cs.conformance,
         cfg->conformance && *cfg->conformance ? cfg->conformance : "npx allocspec conformance");
    /* "%p" in the report path: this process's pid (subprocesses inherit the variable) */
    char path[sizeof as_cs.report_path] = "";
    if (cfg->report_path && *cfg->report_path) {
        const char *pp = strstr(cfg->report_path, "%p");
        if (pp) {
            snprintf(path, sizeof path, "%.*s%ld%s", (int)(pp - cfg->report_path), cfg->report_path,
                     (long)getpid(), pp + 2);
        } else {
            copy(path, sizeof path, cfg->report_path);
        }
    }
    copy(as_cs.report_path, sizeof as_cs.report_path, path);
    as_cs.cfg = *cfg;
    if (as_cs.cfg.full_bytes < 64) as_cs.cfg.full_bytes = 64;
    as_cs.cfg.target = as_cs.target;
    as_cs.cfg.repro = as_cs.repro;
    as_cs.cfg.conformance = as_cs.conformance;
    as_cs.cfg.report_path = as_cs.report_path[0] ? as_cs.report_path : NULL;
    if (!as_cs.initialised) {
        as_cs.initialised = 1;
        pthread_atfork(before_fork, after_fork, after_fork);
        as_report_init();
    }
    return 0;
}

const char *as_check_rule_id(int rule) {
    static const char *const ids[] = {
#define AS_CHECK_RULE_ID(name, id, what) id,
        AS_CHECK_RULES(AS_CHECK_RULE_ID)
#undef AS_CHECK_RULE_ID
    };
    return rule >= 0 && rule < AS_CHECK_NRULES ? ids[rule] : NULL;
}

uint64_t as_check_violations(int rule) {
    if (rule < 0) return atomic_load(&as_cs.total_violations);
    return rule < AS_CHECK_NRULES ? atomic_load(&as_cs.violations[rule]) : 0;
}

/* Every thread adds its count in steps of 1024: the total is exact for this thread, within 1023 per
   other thread. */
uint64_t as_check_calls(void) { return atomic_load(&as_cs.calls) + (as_check_current()->calls & 1023); }
