/*
 * sweep.c: forking at the point. The program runs once; when the matching-call counter reaches the next
 * chosen point, the parent fork()s:
 *   child : stdin from /dev/null, stdout/stderr to <out_dir>/p<N>.out/.err, then the call fails (transient
 *           or persistent) and the program runs to its end from exactly the state at the point;
 *   parent: records the child, lets the call succeed and continues to the next point, keeping at most
 *           `jobs` children alive (it waits for a slot) and enforcing the per-child timeout (SIGABRT first,
 *           so faulthandler prints the Python stack of the hang, SIGKILL 2 s later).
 * Each reaped child is one line of <out_dir>/results: `point exit_status signal timed_out wall_ms cpu_us minor_faults`.
 *
 * Threads: fork() keeps only the calling thread. A point reached while other threads are alive cannot be
 * continued faithfully in a child (a lock held by a vanished thread hangs it), so the parent does not fork
 * there: it writes `point skip threads` and the driver reruns that point in a fresh process (FAIL mode).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return 1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void record(uint64_t point, int status, int timed_out, long long ms, const struct rusage *ru) {
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    long long cpu_us = (long long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 + ru->ru_utime.tv_usec +
                       ru->ru_stime.tv_usec;
    dprintf(as_fs.results_fd, "%llu %d %d %d %lld %lld %ld\n", (unsigned long long)point, code, sig, timed_out, ms,
            cpu_us, ru->ru_minflt);
}

/* Reaps finished children; enforces timeouts. block: wait until no child is left. */
void as_faults_reap(int block) {
    for (;;) {
        long long now = as_faults_now_ms();
        for (int i = 0; i < as_fs.nchildren;) {
            as_child *c = &as_fs.children[i];
            int status;
            struct rusage ru;
            memset(&ru, 0, sizeof ru);
            pid_t r = wait4(c->pid, &status, WNOHANG, &ru);
            if (r == c->pid || (r < 0 && errno == ECHILD)) {
                if (r < 0) status = 0;
                record(c->point, status, c->abort_sent, now - c->started_ms, &ru);
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
            i++;
        }
        int full = as_fs.nchildren >= as_fs.cfg.jobs;
        if (as_fs.nchildren == 0 || (!block && !full)) return;
        struct timespec ts = {0, AS_FAULTS_POLL_NS};
        nanosleep(&ts, NULL);
    }
}

static void redirect(int fd, uint64_t point, const char *ext, int flags) {
    char path[AS_FAULTS_PATH_MAX];
    if (ext) snprintf(path, sizeof path, "%s/p%llu.%s", as_fs.out_dir, (unsigned long long)point, ext);
    else snprintf(path, sizeof path, "/dev/null");
    int f = open(path, flags, 0644);
    if (f >= 0 && f != fd) {
        dup2(f, fd);
        close(f);
    }
}

int as_faults_fork_point(uint64_t point) {
    as_faults_reap(0); /* returns with a free slot */
    if (thread_count() > 1) {
        dprintf(as_fs.results_fd, "%llu skip threads\n", (unsigned long long)point);
        as_fs.skipped_threads++;
        return 0;
    }
    fflush(stdout);
    fflush(stderr);
    as_faults_tid_prepare();
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        dprintf(as_fs.results_fd, "%llu skip fork-errno-%d\n", (unsigned long long)point, errno);
        return 0;
    }
    if (pid == 0) {
        as_faults_tid_adopt(); /* before anything takes a lock: the parent's locks stay ours (tid.c) */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the sweep */
        if (getppid() != parent) _exit(127);
        as_fs.is_child = 1;
        as_fs.nchildren = 0;
        close(as_fs.results_fd);
        as_fs.results_fd = -1;
        redirect(0, point, NULL, O_RDONLY);
        redirect(1, point, "out", O_WRONLY | O_CREAT | O_TRUNC);
        redirect(2, point, "err", O_WRONLY | O_CREAT | O_TRUNC);
        atomic_store(&as_fs.active, 1); /* the atfork handler switched it off */
        return 1;
    }
    as_child *c = &as_fs.children[as_fs.nchildren++];
    c->pid = pid;
    c->point = point;
    c->started_ms = as_faults_now_ms();
    c->abort_sent = 0;
    return 0;
}
