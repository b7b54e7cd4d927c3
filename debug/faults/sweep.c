/*
 * sweep.c: forking at the point. The program runs once; when the matching-call counter reaches the next
 * chosen point, the parent takes a snapshot of what a child must not share with it (isolate.c) and
 * fork()s:
 *   child : rebuilds its own file descriptions and mappings from the snapshot (isolate.c), stdin from
 *           /dev/null, stdout/stderr to <out_dir>/p<N>.out/.err, opens p<N>.site, installs the guard
 *           (guard.c), then the call fails (transient or persistent) and the program goes on from exactly
 *           the state at the point until its consequence is settled (settle.c) or, thorough, to its end;
 *   parent: records the child, lets the call succeed and continues to the next point, keeping at most
 *           `jobs` children alive (it waits for a slot) and enforcing the per-child timeout (SIGABRT first,
 *           so faulthandler prints the Python stack of the hang, SIGKILL 2 s later).
 * Each reaped child is one line of <out_dir>/results: `point exit_status signal timed_out wall_ms cpu_us minor_faults`;
 * a point not forked is `point skip <reason>` (the driver reruns it in a fresh process).
 *
 * Children are invisible to the program: they are made with clone() and no exit signal (SIGCHLD), so the
 * program's waitpid(-1)/os.wait() (regrtest's reap_children after every test) never sees nor reaps them and
 * no SIGCHLD handler of the program runs; the engine waits for them by pid with __WALL. The clone sets
 * glibc's cached thread id (CLONE_CHILD_SETTID at its offset in the thread descriptor, found once by
 * looking for our own tid there: one match or we fall back to fork()). Each child has a pidfd
 * (CLONE_PIDFD), so the parent sleeps in poll() until a child ends or a timeout falls due; without pidfds
 * it polls every millisecond.
 *
 * The child then takes over its parent's TID in that field (tid.c): the locks the parent's thread held
 * at the point (SQLite's db mutex, OpenSSL's store rwlocks) stay the child's to release, as in a fresh
 * run; PR_SET_PDEATHSIG makes sure no child outlives the sweep.
 *
 * Threads: fork() keeps only the calling thread. A point reached while other threads are alive cannot be
 * continued faithfully in a child (a lock held by a vanished thread hangs it), so the parent does not fork
 * there: it writes `point skip threads` and the driver reruns that point in a fresh process (FAIL mode).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define AS_FAULTS_KILL_GRACE_MS 2000
#define AS_FAULTS_POLL_NS 1000000L

long long as_faults_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int as_faults_high_fd(int fd) {
    if (fd < 0) return fd;
    static int base;
    if (!base) {
        struct rlimit rl;
        long lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 1024;
        base = (int)(lim > 1024 ? 1024 : lim) - 96;
        if (base < 64) base = 64;
    }
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, base);
    if (hi < 0) return fd; /* keep the low one rather than fail */
    close(fd);
    return hi;
}

static int stat_fd = -1;
static unsigned long last_vsize;
int as_faults_stat_fd(void) { return stat_fd; }
unsigned long as_faults_vsize(void) { return last_vsize; }

/* Threads of this process, from /proc/self/stat (field 20; field 23, the virtual size, is kept for
 * isolate.c), without allocating; the file stays open (pread regenerates it). */
static int thread_count(void) {
    if (stat_fd < 0) stat_fd = as_faults_high_fd(open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
    if (stat_fd < 0) return 1;
    char buf[1024];
    ssize_t n = pread(stat_fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 1;
    /* after ") ": state(3) ppid(4) ... num_threads is field 20, vsize field 23 */
    int field = 2, threads = 1;
    last_vsize = 0;
    for (p++; *p && field <= 23; p++) {
        if (*p != ' ') continue;
        field++;
        if (field == 20) threads = atoi(p + 1);
        if (field == 23) last_vsize = strtoul(p + 1, NULL, 10);
    }
    return threads > 0 ? threads : 1;
}

/* Offset of glibc's cached tid in the thread descriptor (pthread_self()), -1 unknown (then fork()). */
static long tid_offset = -2;

static long find_tid_offset(void) {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    const char *self = (const char *)pthread_self();
    long found = -1;
    int matches = 0;
    for (long off = 0; off + (long)sizeof(pid_t) <= 1024; off += (long)sizeof(pid_t)) {
        if (*(const pid_t *)(self + off) == tid) {
            found = off;
            matches++;
        }
    }
    return matches == 1 ? found : -1;
}

/* A child without exit signal (see above): 0 in the child, its pid in the parent (*pidfd set), -1. */
static pid_t spawn_child(int *pidfd) {
    *pidfd = -1;
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__)) && defined(CLONE_PIDFD)
    if (tid_offset == -2) tid_offset = find_tid_offset();
    if (tid_offset >= 0) {
        char *ctid = (char *)pthread_self() + tid_offset;
        int pfd = -1;
        unsigned long flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PIDFD; /* exit signal 0 */
#if defined(__x86_64__)
        long r = syscall(SYS_clone, flags, NULL, &pfd, ctid, 0UL);
#else
        long r = syscall(SYS_clone, flags, NULL, &pfd, 0UL, ctid);
#endif
        if (r == 0) return 0;
        if (r > 0) {
            *pidfd = as_faults_high_fd(pfd);
            return (pid_t)r;
        }
        if (errno != EINVAL && errno != ENOSYS) return -1;
        tid_offset = -1; /* CLONE_PIDFD unknown to this kernel: fork() from now on */
    }
#endif
    pid_t pid = fork();
#ifdef SYS_pidfd_open
    if (pid > 0) *pidfd = as_faults_high_fd((int)syscall(SYS_pidfd_open, pid, 0));
#endif
    return pid;
}

static void record(uint64_t point, int status, int timed_out, long long ms, const struct rusage *ru) {
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    long long cpu_us = (long long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 + ru->ru_utime.tv_usec +
                       ru->ru_stime.tv_usec;
    dprintf(as_fs.results_fd, "%llu %d %d %d %lld %lld %ld\n", (unsigned long long)point, code, sig, timed_out, ms,
            cpu_us, ru->ru_minflt);
}

/* Milliseconds until the next timeout action is due (-1: none). */
static int next_deadline(long long now) {
    long long best = -1;
    for (int i = 0; i < as_fs.nchildren; i++) {
        as_child *c = &as_fs.children[i];
        if (!as_fs.cfg.timeout_ms) continue;
        long long due = c->started_ms + as_fs.cfg.timeout_ms + (c->abort_sent ? AS_FAULTS_KILL_GRACE_MS : 0);
        long long left = due > now ? due - now : 0;
        if (best < 0 || left < best) best = left;
    }
    return best > 60000 ? 60000 : (int)best;
}

/* Reaps finished children; enforces timeouts. block: wait until no child is left. */
void as_faults_reap(int block) {
    for (;;) {
        long long now = as_faults_now_ms();
        int all_pidfds = 1;
        for (int i = 0; i < as_fs.nchildren;) {
            as_child *c = &as_fs.children[i];
            int status;
            struct rusage ru;
            memset(&ru, 0, sizeof ru);
            pid_t r = wait4(c->pid, &status, WNOHANG | __WALL, &ru);
            if (r == c->pid || (r < 0 && errno == ECHILD)) {
                if (r < 0) status = 0;
                record(c->point, status, c->abort_sent, now - c->started_ms, &ru);
                if (c->pidfd >= 0) close(c->pidfd);
                as_fs.children[i] = as_fs.children[--as_fs.nchildren];
                continue;
            }
            long long age = now - c->started_ms;
            if (as_fs.cfg.timeout_ms && age > (long long)as_fs.cfg.timeout_ms) {
                if (!c->abort_sent) {
                    kill(c->pid, SIGABRT);
                    c->abort_sent = 1;
                } else if (age > (long long)as_fs.cfg.timeout_ms + AS_FAULTS_KILL_GRACE_MS) {
                    kill(c->pid, SIGKILL);
                }
            }
            if (c->pidfd < 0) all_pidfds = 0;
            i++;
        }
        int full = as_fs.nchildren >= as_fs.cfg.jobs;
        if (as_fs.nchildren == 0 || (!block && !full)) return;
        if (all_pidfds) {
            struct pollfd pfd[AS_FAULTS_MAX_JOBS];
            for (int i = 0; i < as_fs.nchildren; i++) pfd[i] = (struct pollfd){as_fs.children[i].pidfd, POLLIN, 0};
            int r = poll(pfd, (nfds_t)as_fs.nchildren, next_deadline(as_faults_now_ms()));
            if (r < 0 && errno != EINTR) all_pidfds = 0;
        }
        if (!all_pidfds) {
            struct timespec ts = {0, AS_FAULTS_POLL_NS};
            nanosleep(&ts, NULL);
        }
    }
}

/* <out_dir>/p<point>.<ext> without printf (a forked child copies every page it writes, vfprintf's too). */
static void point_path(char *path, size_t cap, uint64_t point, const char *ext) {
    size_t n = 0;
    for (const char *s = as_fs.out_dir; *s && n < cap - 32; s++) path[n++] = *s;
    path[n++] = '/';
    path[n++] = 'p';
    char digits[24];
    int k = 0;
    do digits[k++] = (char)('0' + point % 10);
    while ((point /= 10) && k < 23);
    while (k) path[n++] = digits[--k];
    path[n++] = '.';
    for (const char *s = ext; *s && n < cap - 1; s++) path[n++] = *s;
    path[n] = 0;
}

static void redirect(int fd, uint64_t point, const char *ext, int flags) {
    char path[AS_FAULTS_PATH_MAX];
    if (ext) point_path(path, sizeof path, point, ext);
    else strcpy(path, "/dev/null");
    int f = open(path, flags, 0644);
    if (f >= 0 && f != fd) {
        dup2(f, fd);
        close(f);
    }
}

static as_snapshot snap; /* static: large, and the child reads the parent's copy */

static void skip(uint64_t point, const char *why, uint64_t *counter) {
    dprintf(as_fs.results_fd, "%llu skip %s\n", (unsigned long long)point, why);
    (*counter)++;
}

int as_faults_fork_point(uint64_t point) {
    as_faults_reap(0); /* returns with a free slot */
    if (thread_count() > 1) {
        skip(point, "threads", &as_fs.skipped_threads);
        return 0;
    }
    int isolate = !(as_fs.cfg.flags & AS_FAULTS_NO_ISOLATION);
    if (isolate) {
        as_faults_snapshot(&snap);
        if (snap.unforkable) {
            as_faults_snapshot_parent_after(&snap);
            skip(point, snap.unforkable, &as_fs.skipped_other);
            return 0;
        }
    }
    fflush(stdout);
    fflush(stderr);
    int pidfd;
    as_faults_tid_prepare();
    pid_t parent = getpid();
    pid_t pid = spawn_child(&pidfd);
    if (pid < 0) {
        if (isolate) as_faults_snapshot_parent_after(&snap);
        char why[64];
        snprintf(why, sizeof why, "fork-errno-%d", errno);
        skip(point, why, &as_fs.skipped_other);
        return 0;
    }
    if (pid == 0) {
        as_faults_tid_adopt(); /* before anything takes a lock: the parent's locks stay ours (tid.c) */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the sweep */
        if (getppid() != parent) _exit(127);
        as_fs.is_child = 1;
        for (int i = 0; i < as_fs.nchildren; i++)
            if (as_fs.children[i].pidfd >= 0) close(as_fs.children[i].pidfd);
        as_fs.nchildren = 0;
        close(as_fs.results_fd);
        as_fs.results_fd = -1;
        if (isolate) as_faults_isolate_child(&snap);
        redirect(0, point, NULL, O_RDONLY);
        redirect(1, point, "out", O_WRONLY | O_CREAT | O_TRUNC);
        redirect(2, point, "err", O_WRONLY | O_CREAT | O_TRUNC);
        as_faults_open_site(point);
        if (isolate && snap.unforkable) {
            char line[128];
            snprintf(line, sizeof line, "rerun isolation %s\n", snap.unforkable);
            as_faults_site_line(line);
            _exit(AS_FAULTS_RERUN_EXIT);
        }
        if (isolate && as_faults_guard_install(&snap) != 0) as_faults_site_line("warning guard-unavailable\n");
        atomic_store(&as_fs.active, 1); /* the atfork handler switched it off */
        return 1;
    }
    if (isolate) as_faults_snapshot_parent_after(&snap);
    as_child *c = &as_fs.children[as_fs.nchildren++];
    c->pid = pid;
    c->pidfd = pidfd;
    c->point = point;
    c->started_ms = as_faults_now_ms();
    c->abort_sent = 0;
    return 0;
}
