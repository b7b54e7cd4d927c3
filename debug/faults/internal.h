/*
 * internal.h: state shared by the fault engine's files (engine.c decides, sweep.c forks and reaps,
 * isolate.c and guard.c keep a child from touching what its parent or siblings see, settle.c stops the
 * failing process early, trace.c compares the sweep run with the dry run, site.c writes where a call
 * failed, filter.c matches the stack, config.c reads the environment).
 */
#ifndef ALLOCSPEC_FAULTS_INTERNAL_H
#define ALLOCSPEC_FAULTS_INTERNAL_H

#include "faults.h"

#include <stdatomic.h>
#include <sys/time.h>
#include <sys/types.h>

#define AS_FAULTS_PATH_MAX 4096
/* out_dir leaves room for "/p<20 digits>.site" in a path buffer. */
#define AS_FAULTS_DIR_MAX (AS_FAULTS_PATH_MAX - 64)
/* Frames captured per site and scanned by the in-library filter. */
#define AS_FAULTS_MAX_FRAMES 64
/* Bounded child table: jobs beyond this are clamped (each child is a whole process anyway). */
#define AS_FAULTS_MAX_JOBS 64
/* Open file descriptors the isolation snapshot handles; a process with more is not forked (fresh rerun). */
#define AS_FAULTS_MAX_FDS 256
/* Shared writable mappings copied into a child; more: the point is rerun fresh. */
#define AS_FAULTS_MAX_SHARED_MAPS 32
/* Settle hooks (as_faults_at_settle). */
#define AS_FAULTS_MAX_SETTLE_HOOKS 8
_Static_assert(AS_FAULTS_MAX_JOBS >= 1 && AS_FAULTS_MAX_FRAMES >= 8, "tunables");

typedef struct {
    pid_t pid;
    int pidfd; /* -1 when pidfd_open is unavailable (then the reaper polls) */
    uint64_t point;
    long long started_ms;
    int abort_sent; /* timeout: SIGABRT sent (faulthandler dumps the Python stack), SIGKILL after a grace */
} as_child;

/* What a descriptor is, for the child's isolation (isolate.c) and the guard (guard.c). */
typedef enum {
    AS_FD_PRIVATE = 0, /* needs nothing: /dev/null, /dev/zero, /dev/urandom... */
    AS_FD_FILE,        /* regular file or directory: reopened at `off` in the child */
    AS_FD_FILE_W,      /* the same, opened for writing: writes trapped (the content is shared) */
    AS_FD_PIPE_COPY,   /* pipe or FIFO whose both ends are in the process: replaced by a copy */
    AS_FD_EXTERNAL,    /* pipe end, socket, tty, event fd...: any I/O in the child is trapped */
} as_fd_kind;

typedef struct {
    int fd;
    as_fd_kind kind;
    int flags;   /* F_GETFL */
    int cloexec; /* FD_CLOEXEC set */
    off_t off;   /* AS_FD_FILE*: offset at the fork */
    ino_t ino;   /* pipes: the pipe's inode (pairs read and write ends) */
    dev_t dev;
    int copy_rd, copy_wr; /* AS_FD_PIPE_COPY: the copy's ends, made by the parent before fork */
} as_fd_info;

typedef struct {
    void *addr;
    size_t len;
    int prot;
} as_shared_map;

/* The parent's state at the fork that the child rebuilds (isolate.c). */
typedef struct {
    int nfds;
    as_fd_info fds[AS_FAULTS_MAX_FDS];
    int nmaps;
    as_shared_map maps[AS_FAULTS_MAX_SHARED_MAPS];
    int sync_rd, sync_wr; /* shared mappings: the parent waits until the child copied them */
    struct itimerval timers[3];
    int has_timer;
    const char *unforkable; /* non-NULL: the point is not forked, the driver reruns it fresh (reason) */
} as_snapshot;

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
    int failed;           /* this process's point has failed (child, FAIL mode after its point) */
    uint64_t failed_point;
    int site_fd;          /* the failing process: p<N>.site, kept open (appends after the guard is on) */
    _Atomic uint64_t total;
    _Atomic uint64_t per_domain[AS_FAULTS_NDOMAINS];
    as_child children[AS_FAULTS_MAX_JOBS];
    int nchildren;
    int results_fd;    /* parent: <out_dir>/results, one line per reaped child */
    int finished;
    uint64_t skipped_threads; /* points not forked because other threads were alive */
    uint64_t skipped_other;   /* points not forked for another reason (too many fds...) */
    int settle_gc;     /* generation collected before the early-stop exit (-1: none) */
    pid_t parent_pid;  /* the sweep parent (guard: kill/wait of any other process is trapped) */
    as_faults_allocator below[3];
} as_faults_state;

extern as_faults_state as_fs;

/* config.c: an ALLOCSPEC_FAULTS_* setting, from the ALLOCSPEC_FAULTS_CONFIG file first, then the environment
 * (NULL when unset or empty). */
const char *as_faults_getenv(const char *name);
/* filter.c: 1 when the current call's stack satisfies in_library / in_module (each if set). */
int as_faults_stack_matches(void);
/* site.c: opens <out_dir>/p<point>.site (as_fs.site_fd) unless open, writes the failing call's site. */
void as_faults_write_site(uint64_t point, int domain, size_t size, const char *kind);
/* site.c: opens the failing process's site file (before the guard forbids opening files for writing). */
int as_faults_open_site(uint64_t point);
/* site.c: the failing call's site written to an arbitrary fd (divergence reports). */
void as_faults_write_site_fd(int fd, uint64_t point, int domain, size_t size, const char *kind);
/* sweep.c */
int as_faults_fork_point(uint64_t point); /* 1 in the child (fail the call), 0 in the parent */
void as_faults_reap(int block);
long long as_faults_now_ms(void);
/* Moves fd to a high descriptor number (CLOEXEC) so the engine's own fds never shift the program's. */
int as_faults_high_fd(int fd);
/* sweep.c: the parent's /proc/self/stat descriptor (an engine fd), -1 before the first fork. */
int as_faults_stat_fd(void);
/* sweep.c: the virtual size read with the thread count before this fork (0 unknown). */
unsigned long as_faults_vsize(void);
/* isolate.c: parent, right before fork / after fork; child, right after fork. */
void as_faults_snapshot(as_snapshot *s);
void as_faults_snapshot_parent_after(as_snapshot *s);
void as_faults_isolate_child(as_snapshot *s);
/* guard.c: the child's seccomp guard over the snapshot's inherited descriptors. 0 ok, -1 unavailable. */
int as_faults_guard_install(const as_snapshot *s);
/* settle.c: the failing process. arm: right after the point's call failed; observe: every later call
 * of the hooks (domain); exception evidence and early stop. */
void as_faults_settle_init(void);
void as_faults_settle_arm(void);
void as_faults_settle_observe(int domain);
/* trace.c: the dry run's call log (COUNT) and the sweep parent's comparison with it (SWEEP). */
void as_faults_trace_open(void);
void as_faults_trace_call(uint64_t n, int domain, int kind, size_t size);
void as_faults_trace_finish(void);
/* heapcheck.c: the allocator check before an early stop (aborts on a corrupted heap); the failing process
 * reports each block handed out and released after its point. */
void as_faults_heap_init(void);
void as_faults_heap_alloc(void *p);
void as_faults_heap_free(void *p);
void as_faults_heap_check(void);
/* modules.c: the shared object holding a code address (file name and load base), without dladdr. */
int as_faults_module_of(const void *addr, uintptr_t *base, const char **name);
void as_faults_modules_init(void);
/* engine.c: appends one line to the failing process's site file (async-signal-safe). */
void as_faults_site_line(const char *line);

/* engine.c: ALLOCSPEC_FAULTS_PROFILE: a `prof <phase>` line (page faults, CPU time) in the site file. */
void as_faults_prof(const char *tag);
enum { AS_KIND_MALLOC = 0, AS_KIND_CALLOC = 1, AS_KIND_REALLOC = 2, AS_KIND_EXT = 3 };
/* tid.c: the forking thread's TID field (parent, just before fork), taken over by the child after it */
void as_faults_tid_prepare(void);
int as_faults_tid_adopt(void);

#endif
