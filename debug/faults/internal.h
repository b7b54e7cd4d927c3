/*
 * internal.h: state shared by the fault engine's files (engine.c decides, sweep.c forks and reaps,
 * site.c writes where a call failed, filter.c matches the stack, config.c reads the environment).
 */
#ifndef ALLOCSPEC_FAULTS_INTERNAL_H
#define ALLOCSPEC_FAULTS_INTERNAL_H

#include "faults.h"

#include <stdatomic.h>
#include <sys/types.h>

#define AS_FAULTS_PATH_MAX 4096
/* out_dir leaves room for "/p<20 digits>.site" in a path buffer. */
#define AS_FAULTS_DIR_MAX (AS_FAULTS_PATH_MAX - 64)
/* Frames captured per site and scanned by the in-library filter. */
#define AS_FAULTS_MAX_FRAMES 64
/* Bounded child table: jobs beyond this are clamped (each child is a whole process anyway). */
#define AS_FAULTS_MAX_JOBS 64
_Static_assert(AS_FAULTS_MAX_JOBS >= 1 && AS_FAULTS_MAX_FRAMES >= 8, "tunables");

typedef struct {
    pid_t pid;
    uint64_t point;
    long long started_ms;
    int abort_sent; /* timeout: SIGABRT sent (faulthandler dumps the Python stack), SIGKILL after a grace */
} as_child;

typedef struct {
    as_faults_config cfg; /* copied; strings and points owned below */
    char out_dir[AS_FAULTS_DIR_MAX];
    char in_library[256];
    char in_module[256];
    uint64_t *points;
    size_t next_point; /* index into points of the next fork point (parent) */
    _Atomic int active;   /* 0 after a fork made by the program itself, or before install */
    int is_child;         /* 1 in a sweep child */
    _Atomic int failed_once; /* FAIL/child transient: the point has been failed */
    _Atomic uint64_t total;
    _Atomic uint64_t per_domain[AS_FAULTS_NDOMAINS];
    as_child children[AS_FAULTS_MAX_JOBS];
    int nchildren;
    int results_fd;    /* parent: <out_dir>/results, one line per reaped child */
    int finished;
    uint64_t skipped_threads; /* points not forked because other threads were alive */
    as_faults_allocator below[3];
} as_faults_state;

extern as_faults_state as_fs;

/* filter.c: 1 when the current call's stack satisfies in_library / in_module (each if set). */
int as_faults_stack_matches(void);
/* site.c: writes <out_dir>/p<point>.site for the call failing now. */
void as_faults_write_site(uint64_t point, int domain, size_t size, const char *kind);
/* sweep.c */
int as_faults_fork_point(uint64_t point); /* 1 in the child (fail the call), 0 in the parent */
void as_faults_reap(int block);
long long as_faults_now_ms(void);
/* tid.c: the forking thread's TID field (parent, just before fork), taken over by the child after it */
void as_faults_tid_prepare(void);
int as_faults_tid_adopt(void);

#endif
