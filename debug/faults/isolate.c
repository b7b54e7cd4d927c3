/*
 * isolate.c: a sweep child must start from exactly the parent's state at the point, and nothing it does
 * may reach the parent or a sibling (issue 18, item 1). fork() copies memory but SHARES three things:
 *
 *  1. open file descriptions: the file offset, O_APPEND/O_NONBLOCK flags, pipe and socket buffers. A child
 *     reading the script moved the parent's offset: the parent compiled an empty script (zipimport). So the
 *     parent records each descriptor's offset right before fork(), and the child reopens every regular file
 *     and directory through /proc/self/fd/N (a new description of the same file), seeks it to that offset
 *     and dup3()s it over N. A pipe whose both ends are in the process (a self-pipe) is copied: the parent
 *     tee()s its buffered bytes into a new pipe before fork() (tee does not consume them) and the child
 *     puts the copy's ends over the old ones. Everything else (a pipe end whose other end is another
 *     process, a socket, a tty, an event fd) is EXTERNAL: the guard (guard.c) stops the child at its first
 *     I/O on it, and the point is rerun in a fresh process. Writes to files (content is shared even with
 *     a private offset) are trapped the same way.
 *  2. shared memory mappings (MAP_SHARED: mmap of a file for writing, multiprocessing's shared values,
 *     SysV/POSIX shm): the child replaces each writable one with a private anonymous copy at the same
 *     address (mremap MREMAP_FIXED); the parent waits until the copies are made (one byte on a pipe), so
 *     the child copies the state at the point, not a later one.
 *  3. nothing else of the process state, but fork() drops interval timers: the child re-arms the parent's
 *     ITIMER_REAL/VIRTUAL/PROF (signal.setitimer, signal.alarm).
 *
 * No allocation anywhere here (we are inside an allocator hook): /proc is read with raw read()/getdents64
 * into stack buffers.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

/* /proc files of the parent, opened once and re-read with pread/lseek (the kernel regenerates them):
 * three system calls fewer per fork. */
static int proc_fd_dir = -1, proc_maps = -1;

static int proc_open(int *fd, const char *path, int flags) {
    if (*fd < 0) *fd = as_faults_high_fd(open(path, flags | O_CLOEXEC));
    return *fd;
}

/* the engine's own descriptors are not the program's */
static int engine_fd(int fd) {
    if (fd == as_fs.results_fd || fd == as_fs.site_fd || fd == proc_fd_dir || fd == proc_maps ||
        fd == as_faults_stat_fd())
        return 1;
    for (int i = 0; i < as_fs.nchildren; i++)
        if (as_fs.children[i].pidfd == fd) return 1;
    return 0;
}

static as_fd_kind char_kind(dev_t rdev) {
    /* /dev/null 1:3, /dev/zero 1:5, /dev/full 1:7, /dev/random 1:8, /dev/urandom 1:9 */
    if (major(rdev) == 1) {
        unsigned m = minor(rdev);
        if (m == 3 || m == 5 || m == 7 || m == 8 || m == 9) return AS_FD_PRIVATE;
    }
    return AS_FD_EXTERNAL;
}

static void add_fd(as_snapshot *s, int fd) {
    if (s->nfds >= AS_FAULTS_MAX_FDS) {
        s->unforkable = "too-many-fds";
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    as_fd_info *e = &s->fds[s->nfds];
    memset(e, 0, sizeof *e);
    e->fd = fd;
    e->flags = fcntl(fd, F_GETFL);
    int fdfl = fcntl(fd, F_GETFD);
    e->cloexec = fdfl >= 0 && (fdfl & FD_CLOEXEC);
    e->ino = st.st_ino;
    e->dev = st.st_dev;
    e->copy_rd = e->copy_wr = -1;
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
    case S_IFDIR:
        e->off = lseek(fd, 0, SEEK_CUR);
        e->kind = (e->flags & O_ACCMODE) == O_RDONLY ? AS_FD_FILE : AS_FD_FILE_W;
        if (e->off < 0) e->kind = AS_FD_EXTERNAL;
        break;
    case S_IFIFO:
        e->kind = AS_FD_EXTERNAL; /* until its other end is found in the process (pair_pipes) */
        break;
    case S_IFCHR:
        e->kind = char_kind(st.st_rdev);
        break;
    default: /* sockets, block devices, anonymous inodes (eventfd, epoll, timerfd, signalfd, pidfd...) */
        e->kind = AS_FD_EXTERNAL;
        break;
    }
    s->nfds++;
}

/* Pipes whose read and write ends are both open here: the parent makes the copy now (before fork). */
static void pair_pipes(as_snapshot *s) {
    for (int i = 0; i < s->nfds; i++) {
        as_fd_info *a = &s->fds[i];
        if (a->kind != AS_FD_EXTERNAL || a->copy_rd >= 0) continue;
        struct stat st;
        if (fstat(a->fd, &st) != 0 || !S_ISFIFO(st.st_mode)) continue;
        int rd = -1, wr = -1;
        for (int j = 0; j < s->nfds; j++) {
            as_fd_info *b = &s->fds[j];
            if (b->ino != a->ino || b->dev != a->dev) continue;
            if ((b->flags & O_ACCMODE) == O_RDONLY) rd = b->fd;
            else if ((b->flags & O_ACCMODE) == O_WRONLY) wr = b->fd;
        }
        if (rd < 0 || wr < 0) continue; /* the other end is another process's: EXTERNAL */
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) continue;
        int size = fcntl(rd, F_GETPIPE_SZ);
        if (size > 0) fcntl(p[1], F_SETPIPE_SZ, size);
        int queued = 0;
        if (ioctl(rd, FIONREAD, &queued) != 0) queued = 0;
        ssize_t copied = queued > 0 ? tee(rd, p[1], (size_t)queued, SPLICE_F_NONBLOCK) : 0;
        if (copied != queued) {
            close(p[0]);
            close(p[1]);
            continue; /* cannot copy it exactly: leave it EXTERNAL (trapped) */
        }
        p[0] = as_faults_high_fd(p[0]);
        p[1] = as_faults_high_fd(p[1]);
        for (int j = 0; j < s->nfds; j++) {
            as_fd_info *b = &s->fds[j];
            if (b->ino != a->ino || b->dev != a->dev) continue;
            b->kind = AS_FD_PIPE_COPY;
            b->copy_rd = p[0];
            b->copy_wr = p[1];
        }
    }
}

static void scan_fds(as_snapshot *s) {
    int dfd = proc_open(&proc_fd_dir, "/proc/self/fd", O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || lseek(dfd, 0, SEEK_SET) != 0) {
        s->unforkable = "no-proc-fd";
        return;
    }
    char buf[8192];
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
            int fd = atoi(d->d_name);
            if (engine_fd(fd)) continue;
            add_fd(s, fd);
        }
    }
    pair_pipes(s);
}

/* /proc/self/maps, line by line, without allocating: shared writable mappings. */
static void scan_maps(as_snapshot *s) {
    int fd = proc_open(&proc_maps, "/proc/self/maps", O_RDONLY);
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0) return;
    char buf[16384];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0) break;
        have += (size_t)n;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
            *nl = 0;
            unsigned long lo, hi;
            char perms[8];
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && perms[1] == 'w' && perms[3] == 's') {
                if (s->nmaps >= AS_FAULTS_MAX_SHARED_MAPS) {
                    s->unforkable = "too-many-shared-mappings";
                } else {
                    int prot = (perms[0] == 'r' ? PROT_READ : 0) | PROT_WRITE | (perms[2] == 'x' ? PROT_EXEC : 0);
                    s->maps[s->nmaps++] = (as_shared_map){(void *)lo, hi - lo, prot};
                }
            }
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have >= sizeof buf - 1) have = 0; /* a line longer than the buffer: skip it */
    }
}

void as_faults_snapshot(as_snapshot *s) {
    s->nfds = 0;
    s->nmaps = 0;
    s->unforkable = NULL;
    s->sync_rd = s->sync_wr = -1;
    scan_fds(s);
    scan_maps(s);
    if (s->nmaps && !s->unforkable) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) == 0) {
            s->sync_rd = as_faults_high_fd(p[0]);
            s->sync_wr = as_faults_high_fd(p[1]);
        } else {
            s->unforkable = "no-sync-pipe";
        }
    }
    s->has_timer = 0;
    static const int which[3] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
    for (int i = 0; i < 3; i++) {
        if (getitimer(which[i], &s->timers[i]) != 0) memset(&s->timers[i], 0, sizeof s->timers[i]);
        if (s->timers[i].it_value.tv_sec || s->timers[i].it_value.tv_usec) s->has_timer = 1;
    }
}

static void close_copies(as_snapshot *s) {
    for (int i = 0; i < s->nfds; i++) {
        as_fd_info *e = &s->fds[i];
        if (e->kind != AS_FD_PIPE_COPY) continue;
        int rd = e->copy_rd, wr = e->copy_wr;
        if (rd < 0) continue;
        close(rd);
        close(wr);
        for (int j = i; j < s->nfds; j++)
            if (s->fds[j].copy_rd == rd) s->fds[j].copy_rd = s->fds[j].copy_wr = -1;
    }
}

void as_faults_snapshot_parent_after(as_snapshot *s) {
    close_copies(s);
    if (s->sync_wr >= 0) close(s->sync_wr);
    if (s->sync_rd >= 0) {
        char b;
        while (read(s->sync_rd, &b, 1) < 0 && errno == EINTR) {
        }
        close(s->sync_rd);
    }
    s->sync_rd = s->sync_wr = -1;
}

static int reopen(as_fd_info *e) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", e->fd);
    int flags = (e->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_CLOEXEC;
    int n = open(path, flags);
    if (n < 0) return -1;
    if (lseek(n, e->off, SEEK_SET) != e->off || dup3(n, e->fd, e->cloexec ? O_CLOEXEC : 0) < 0) {
        close(n);
        return -1;
    }
    close(n);
    return 0;
}

static int copy_map(const as_shared_map *m) {
    void *p = mmap(NULL, m->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return -1;
    if (!(m->prot & PROT_READ) && mprotect(m->addr, m->len, m->prot | PROT_READ) != 0) {
        munmap(p, m->len);
        return -1;
    }
    memcpy(p, m->addr, m->len);
    if (mprotect(p, m->len, m->prot) != 0 ||
        mremap(p, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, m->addr) == MAP_FAILED) {
        munmap(p, m->len);
        return -1;
    }
    return 0;
}

void as_faults_isolate_child(as_snapshot *s) {
    for (int i = 0; i < s->nfds; i++) {
        as_fd_info *e = &s->fds[i];
        if (e->kind == AS_FD_FILE || e->kind == AS_FD_FILE_W) {
            /* not reopened: its offset stays shared, so any I/O on it is trapped */
            if (reopen(e) != 0) e->kind = AS_FD_EXTERNAL;
        } else if (e->kind == AS_FD_PIPE_COPY) {
            int src = (e->flags & O_ACCMODE) == O_RDONLY ? e->copy_rd : e->copy_wr;
            if (dup3(src, e->fd, e->cloexec ? O_CLOEXEC : 0) < 0) e->kind = AS_FD_EXTERNAL;
            else fcntl(e->fd, F_SETFL, e->flags & (O_NONBLOCK | O_APPEND | O_ASYNC));
        }
    }
    close_copies(s);
    int maps_ok = 1;
    for (int i = 0; i < s->nmaps; i++)
        if (copy_map(&s->maps[i]) != 0) maps_ok = 0;
    if (!maps_ok) s->unforkable = "shared-mapping-copy";
    if (s->sync_rd >= 0) close(s->sync_rd);
    if (s->sync_wr >= 0) {
        (void)!write(s->sync_wr, "1", 1);
        close(s->sync_wr);
    }
    s->sync_rd = s->sync_wr = -1;
    static const int which[3] = {ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF};
    for (int i = 0; s->has_timer && i < 3; i++)
        if (s->timers[i].it_value.tv_sec || s->timers[i].it_value.tv_usec) setitimer(which[i], &s->timers[i], NULL);
}
