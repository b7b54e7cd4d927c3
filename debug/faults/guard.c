/*
 * guard.c: the sweep child's seccomp guard. A child runs the program on from the point, and the program
 * may do things whose effect is outside the child: write a file the parent reads later, append to a log,
 * read the pipe a subprocess writes to (stealing the parent's data), write to a socket, start a process,
 * wait for the parent's subprocess (ECHILD in the child: subprocess then invents a return code), signal
 * another process. None of these can be undone or made private cheaply, and none may be allowed (the parent
 * would no longer run the dry run's program, or the child would not be the run a fresh process makes).
 * So the child installs a seccomp filter (SECCOMP_RET_TRAP) on exactly those system calls; the first one
 * raises SIGSYS, whose handler writes `rerun <syscall> <detail>` to the site file and _exit()s with
 * AS_FAULTS_RERUN_EXIT: the driver reruns that point in a fresh process, which is exact by definition.
 *
 * Trapped (each only if the kernel has it on this architecture):
 *  - path changes: open/openat with O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND, creat, openat2, unlink*,
 *    rename*, mkdir*, rmdir, link*, symlink*, mknod*, truncate, chmod/chown/utime families, xattr writes;
 *  - processes: fork, vfork, clone without CLONE_THREAD (threads are fine), execve*, wait4, waitid,
 *    kill/tkill/tgkill/sigqueue of anything but the child itself, ptrace, process_vm_writev;
 *    clone3 gets ENOSYS (its flags are behind a pointer), so glibc falls back to clone;
 *  - the network and IPC: socket() other than AF_UNIX, connect, bind, listen, accept*, SysV IPC, mq_*;
 *  - descriptors inherited from the parent (isolate.c): any I/O on an EXTERNAL one (pipe end of another
 *    process, socket, tty, eventfd, epoll...), any write to a regular file opened for writing (its content
 *    is shared), dup/fcntl(F_DUPFD/F_SETFL...) of those (a new number would escape the filter), locks.
 * Not trapped: reads of regular files (the child reopened them: private offsets), I/O on descriptors the
 * child opened itself (read-only, since opens for writing are trapped), pipes the child made, threads.
 *
 * Descriptors are matched by number in the filter (the snapshot's list). A number the child closes and
 * reuses stays trapped: at worst a rerun. Without seccomp (other architectures, kernels without it) the
 * guard is not installed and the site file says `warning guard-unavailable`.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <ucontext.h>

#if defined(__x86_64__)
#define AS_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define AS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* ---- a tiny BPF assembler with forward labels ---- */
#define MAX_INSNS 4000 /* BPF_MAXINSNS is 4096 */
#define MAX_LABELS 32
typedef struct {
    struct sock_filter insn[MAX_INSNS];
    int n;
    int label_at[MAX_LABELS];
    int fix_insn[MAX_INSNS]; /* for BPF_JA to a label: label index, else -1 */
    int overflow;
} prog;

enum { L_ALLOW, L_TRAP, L_ENOSYS, L_EXT0, L_WRITE0, L_TEE, L_FCNTL, L_MMAP, L_SPLICE, L_SENDFILE, L_COPYFR,
       L_OPEN, L_OPENAT, L_CLONE, L_KILL, L_SOCKET, L_COUNT };

static void emit(prog *p, struct sock_filter f) {
    if (p->n >= MAX_INSNS) {
        p->overflow = 1;
        return;
    }
    p->fix_insn[p->n] = -1;
    p->insn[p->n++] = f;
}
static void label(prog *p, int l) { p->label_at[l] = p->n; }
static void jump(prog *p, int l) {
    emit(p, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0));
    if (!p->overflow) p->fix_insn[p->n - 1] = l;
}
/* if (A == k) goto l */
static void jeq(prog *p, unsigned k, int l) {
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1));
    jump(p, l);
}
static void ret(prog *p, unsigned v) { emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, v)); }
static void ld_nr(prog *p) { emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))); }
static void ld_arg(prog *p, int i) {
    /* low 32 bits of args[i] (little-endian): descriptors, flags and pids are ints */
    emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args) + 8 * i));
}
static void resolve(prog *p) {
    for (int i = 0; i < p->n; i++) {
        if (p->fix_insn[i] < 0) continue;
        int target = p->label_at[p->fix_insn[i]];
        if (target <= i) p->overflow = 1; /* BPF jumps go forward only: a bug here, never a silent filter */
        p->insn[i].k = (unsigned)(target - i - 1);
    }
}

/* if arg i is one of the listed descriptors: trap, else allow */
static void fd_check(prog *p, int arg, const as_snapshot *s, int want_ext, int want_w, int want_file) {
    ld_arg(p, arg);
    for (int i = 0; i < s->nfds; i++) {
        const as_fd_info *e = &s->fds[i];
        if (e->fd <= 2) continue; /* stdin/stdout/stderr were replaced by the child's own */
        if ((want_ext && e->kind == AS_FD_EXTERNAL) || (want_w && e->kind == AS_FD_FILE_W) ||
            (want_file && (e->kind == AS_FD_FILE || e->kind == AS_FD_PIPE_COPY)))
            jeq(p, (unsigned)e->fd, L_TRAP);
    }
    jump(p, L_ALLOW);
}

#define TRAP_IF(nr) jeq(p, nr, L_TRAP)
#define GOTO_IF(nr, l) jeq(p, nr, l)

static void build(prog *p, const as_snapshot *s, pid_t self) {
    p->n = 0; /* no memset: in a forked child every page written is a page copied */
    p->overflow = 0;
    emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AS_AUDIT_ARCH, 1, 0));
    ret(p, SECCOMP_RET_TRAP); /* another ABI (x32, i386 int 0x80): not something a child should do */
    ld_nr(p);
#ifdef __x86_64__
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1)); /* x32 */
    ret(p, SECCOMP_RET_TRAP);
#endif
#ifdef __NR_clone3
    GOTO_IF(__NR_clone3, L_ENOSYS);
#endif
    /* always trapped */
    static const int always[] = {
#ifdef __NR_fork
        __NR_fork,
#endif
#ifdef __NR_vfork
        __NR_vfork,
#endif
        __NR_execve, __NR_execveat, __NR_wait4, __NR_waitid, __NR_ptrace, __NR_process_vm_writev,
#ifdef __NR_creat
        __NR_creat,
#endif
#ifdef __NR_openat2
        __NR_openat2,
#endif
#ifdef __NR_unlink
        __NR_unlink,
#endif
        __NR_unlinkat,
#ifdef __NR_rename
        __NR_rename,
#endif
#ifdef __NR_renameat
        __NR_renameat,
#endif
        __NR_renameat2,
#ifdef __NR_mkdir
        __NR_mkdir,
#endif
        __NR_mkdirat,
#ifdef __NR_rmdir
        __NR_rmdir,
#endif
#ifdef __NR_link
        __NR_link,
#endif
        __NR_linkat,
#ifdef __NR_symlink
        __NR_symlink,
#endif
        __NR_symlinkat,
#ifdef __NR_mknod
        __NR_mknod,
#endif
        __NR_mknodat, __NR_truncate,
#ifdef __NR_chmod
        __NR_chmod,
#endif
        __NR_fchmodat,
#ifdef __NR_fchmodat2
        __NR_fchmodat2,
#endif
#ifdef __NR_chown
        __NR_chown,
#endif
#ifdef __NR_lchown
        __NR_lchown,
#endif
        __NR_fchownat,
#ifdef __NR_utime
        __NR_utime,
#endif
#ifdef __NR_utimes
        __NR_utimes,
#endif
#ifdef __NR_futimesat
        __NR_futimesat,
#endif
        __NR_utimensat, __NR_setxattr, __NR_lsetxattr, __NR_fsetxattr, __NR_removexattr, __NR_lremovexattr,
        __NR_fremovexattr, __NR_fchmod, __NR_fchown, __NR_connect, __NR_bind, __NR_listen, __NR_accept,
        __NR_accept4, __NR_shmget, __NR_shmat, __NR_shmctl, __NR_semget, __NR_semop, __NR_semtimedop, __NR_semctl,
        __NR_msgget, __NR_msgsnd, __NR_msgrcv, __NR_msgctl, __NR_mq_open, __NR_mq_unlink, __NR_mq_timedsend,
        __NR_mq_timedreceive, __NR_mq_notify, __NR_mq_getsetattr, __NR_io_uring_setup, __NR_pidfd_send_signal,
        __NR_rt_sigqueueinfo, __NR_rt_tgsigqueueinfo, __NR_flock,
    };
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++) TRAP_IF((unsigned)always[i]);
#ifdef __NR_open
    GOTO_IF(__NR_open, L_OPEN);
#endif
    GOTO_IF(__NR_openat, L_OPENAT);
    GOTO_IF(__NR_clone, L_CLONE);
    GOTO_IF(__NR_kill, L_KILL);
    GOTO_IF(__NR_tgkill, L_KILL);
    GOTO_IF(__NR_tkill, L_KILL);
    GOTO_IF(__NR_socket, L_SOCKET);
    GOTO_IF(__NR_fcntl, L_FCNTL);
    GOTO_IF(__NR_mmap, L_MMAP);
    GOTO_IF(__NR_splice, L_SPLICE);
    GOTO_IF(__NR_tee, L_TEE);
    GOTO_IF(__NR_sendfile, L_SENDFILE);
    GOTO_IF(__NR_copy_file_range, L_COPYFR);
    /* I/O on an EXTERNAL descriptor (arg 0) */
    static const int ext0[] = {
        __NR_read, __NR_readv, __NR_pread64, __NR_preadv, __NR_preadv2, __NR_recvfrom, __NR_recvmsg,
        __NR_recvmmsg, __NR_sendto, __NR_sendmsg, __NR_sendmmsg, __NR_shutdown, __NR_ioctl, __NR_epoll_ctl,
        __NR_epoll_pwait,
#ifdef __NR_epoll_wait
        __NR_epoll_wait,
#endif
#ifdef __NR_epoll_pwait2
        __NR_epoll_pwait2,
#endif
        __NR_setsockopt, __NR_fsync, __NR_fdatasync,
    };
    for (size_t i = 0; i < sizeof ext0 / sizeof ext0[0]; i++) GOTO_IF((unsigned)ext0[i], L_EXT0);
    /* writes: EXTERNAL or a file opened for writing (arg 0) */
    static const int write0[] = {
        __NR_write, __NR_writev, __NR_pwrite64, __NR_pwritev, __NR_pwritev2, __NR_ftruncate, __NR_fallocate,
        __NR_dup, __NR_dup3,
#ifdef __NR_dup2
        __NR_dup2,
#endif
    };
    for (size_t i = 0; i < sizeof write0 / sizeof write0[0]; i++) GOTO_IF((unsigned)write0[i], L_WRITE0);
    jump(p, L_ALLOW);

    label(p, L_SPLICE); /* splice(fd_in, off_in, fd_out, ...) */
    ld_arg(p, 0);
    for (int i = 0; i < s->nfds; i++)
        if (s->fds[i].fd > 2 && s->fds[i].kind == AS_FD_EXTERNAL) jeq(p, (unsigned)s->fds[i].fd, L_TRAP);
    fd_check(p, 2, s, 1, 1, 0);
    label(p, L_TEE); /* tee(fd_in, fd_out, ...) */
    ld_arg(p, 0);
    for (int i = 0; i < s->nfds; i++)
        if (s->fds[i].fd > 2 && s->fds[i].kind == AS_FD_EXTERNAL) jeq(p, (unsigned)s->fds[i].fd, L_TRAP);
    fd_check(p, 1, s, 1, 1, 0);
    label(p, L_SENDFILE); /* sendfile(out, in, ...) */
    ld_arg(p, 1);
    for (int i = 0; i < s->nfds; i++)
        if (s->fds[i].fd > 2 && s->fds[i].kind == AS_FD_EXTERNAL) jeq(p, (unsigned)s->fds[i].fd, L_TRAP);
    fd_check(p, 0, s, 1, 1, 0);
    label(p, L_COPYFR); /* copy_file_range(in, off, out, ...) */
    ld_arg(p, 0);
    for (int i = 0; i < s->nfds; i++)
        if (s->fds[i].fd > 2 && s->fds[i].kind == AS_FD_EXTERNAL) jeq(p, (unsigned)s->fds[i].fd, L_TRAP);
    fd_check(p, 2, s, 1, 1, 0);
    label(p, L_FCNTL);
    ld_arg(p, 1);
    /* record locks on any descriptor are seen by other processes */
    jeq(p, F_SETLK, L_TRAP);
    jeq(p, F_SETLKW, L_TRAP);
    jeq(p, F_OFD_SETLK, L_TRAP);
    jeq(p, F_OFD_SETLKW, L_TRAP);
    /* a new number, or flags of a description shared with the parent */
    static const unsigned fcntl_cmds[] = {F_DUPFD, F_DUPFD_CLOEXEC, F_SETFL, F_SETOWN, F_SETSIG, F_SETLEASE,
                                          F_NOTIFY, F_SETPIPE_SZ};
    for (size_t i = 0; i < sizeof fcntl_cmds / sizeof fcntl_cmds[0]; i++) jeq(p, fcntl_cmds[i], L_WRITE0);
    jump(p, L_ALLOW);
    label(p, L_MMAP); /* MAP_SHARED + PROT_WRITE of a file opened for writing */
    ld_arg(p, 3);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_SHARED, 1, 0));
    jump(p, L_ALLOW);
    ld_arg(p, 2);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, 1, 0));
    jump(p, L_ALLOW);
    fd_check(p, 4, s, 1, 1, 0);
#ifdef __NR_open
    label(p, L_OPEN);
    ld_arg(p, 1);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0, 1));
    jump(p, L_TRAP);
    jump(p, L_ALLOW);
#endif
    label(p, L_OPENAT);
    ld_arg(p, 2);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0, 1));
    jump(p, L_TRAP);
    jump(p, L_ALLOW);
    label(p, L_CLONE); /* threads (CLONE_THREAD) only; the flags are arg 0 on x86_64 and aarch64 */
    ld_arg(p, 0);
    emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1));
    jump(p, L_ALLOW);
    jump(p, L_TRAP);
    label(p, L_KILL); /* kill(pid), tgkill(tgid, ...), tkill(tid): the child itself only */
    ld_arg(p, 0);
    jeq(p, (unsigned)self, L_ALLOW);
    jump(p, L_TRAP);
    label(p, L_SOCKET);
    ld_arg(p, 0);
    jeq(p, AF_UNIX, L_ALLOW);
    jump(p, L_TRAP);
    label(p, L_EXT0);
    fd_check(p, 0, s, 1, 0, 0);
    label(p, L_WRITE0);
    fd_check(p, 0, s, 1, 1, 0);
    label(p, L_ENOSYS);
    ret(p, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
    label(p, L_TRAP);
    ret(p, SECCOMP_RET_TRAP);
    label(p, L_ALLOW);
    ret(p, SECCOMP_RET_ALLOW);
    resolve(p);
}

/* ---- the SIGSYS handler: async-signal-safe, no allocation ---- */
static const struct {
    int nr;
    const char *name;
} names[] = {
#ifdef __NR_open
    {__NR_open, "open"},
#endif
#ifdef __NR_fork
    {__NR_fork, "fork"},
#endif
#ifdef __NR_vfork
    {__NR_vfork, "vfork"},
#endif
#ifdef __NR_unlink
    {__NR_unlink, "unlink"},
#endif
#ifdef __NR_rename
    {__NR_rename, "rename"},
#endif
#ifdef __NR_mkdir
    {__NR_mkdir, "mkdir"},
#endif
    {__NR_openat, "openat"},       {__NR_clone, "clone"},         {__NR_execve, "execve"},
    {__NR_wait4, "wait4"},         {__NR_waitid, "waitid"},       {__NR_kill, "kill"},
    {__NR_tgkill, "tgkill"},       {__NR_unlinkat, "unlinkat"},   {__NR_renameat2, "renameat2"},
    {__NR_mkdirat, "mkdirat"},     {__NR_write, "write"},         {__NR_writev, "writev"},
    {__NR_pwrite64, "pwrite64"},   {__NR_read, "read"},           {__NR_readv, "readv"},
    {__NR_recvfrom, "recvfrom"},   {__NR_recvmsg, "recvmsg"},     {__NR_sendto, "sendto"},
    {__NR_sendmsg, "sendmsg"},     {__NR_connect, "connect"},     {__NR_socket, "socket"},
    {__NR_bind, "bind"},           {__NR_ftruncate, "ftruncate"}, {__NR_fcntl, "fcntl"},
    {__NR_ioctl, "ioctl"},         {__NR_epoll_ctl, "epoll_ctl"}, {__NR_epoll_pwait, "epoll_pwait"},
    {__NR_dup, "dup"},             {__NR_dup3, "dup3"},           {__NR_mmap, "mmap"},
    {__NR_flock, "flock"},         {__NR_fsync, "fsync"},         {__NR_truncate, "truncate"},
    {__NR_utimensat, "utimensat"}, {__NR_fchmod, "fchmod"},       {__NR_fchmodat, "fchmodat"},
    {__NR_splice, "splice"},       {__NR_sendfile, "sendfile"},   {__NR_shutdown, "shutdown"},
#ifdef __NR_dup2
    {__NR_dup2, "dup2"},
#endif
#ifdef __NR_epoll_wait
    {__NR_epoll_wait, "epoll_wait"},
#endif
};

static size_t put(char *b, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap) b[at++] = *s++;
    b[at] = 0;
    return at;
}
static size_t put_num(char *b, size_t at, size_t cap, long long v) {
    char t[24];
    int n = 0;
    unsigned long long u = v < 0 ? (unsigned long long)-v : (unsigned long long)v;
    do t[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < 23);
    if (v < 0 && at + 1 < cap) b[at++] = '-';
    while (n && at + 1 < cap) b[at++] = t[--n];
    b[at] = 0;
    return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv) {
    (void)sig;
    ucontext_t *uc = ucv;
    long a0, a1, a2;
#if defined(__x86_64__)
    a0 = (long)uc->uc_mcontext.gregs[REG_RDI];
    a1 = (long)uc->uc_mcontext.gregs[REG_RSI];
    a2 = (long)uc->uc_mcontext.gregs[REG_RDX];
#else
    a0 = (long)uc->uc_mcontext.regs[0];
    a1 = (long)uc->uc_mcontext.regs[1];
    a2 = (long)uc->uc_mcontext.regs[2];
#endif
    char line[512];
    size_t at = put(line, 0, sizeof line, "rerun ");
    const char *name = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].nr == si->si_syscall) name = names[i].name;
    if (name) at = put(line, at, sizeof line, name);
    else {
        at = put(line, at, sizeof line, "syscall-");
        at = put_num(line, at, sizeof line, si->si_syscall);
    }
    const char *path = NULL;
#ifdef __NR_open
    if (si->si_syscall == __NR_open) path = (const char *)a0;
#endif
    if (si->si_syscall == __NR_openat || si->si_syscall == __NR_unlinkat || si->si_syscall == __NR_mkdirat)
        path = (const char *)a1;
    if (path) {
        at = put(line, at, sizeof line, " ");
        size_t room = sizeof line - at - 2;
        size_t i = 0;
        for (; path[i] && i < room && path[i] != '\n'; i++) line[at + i] = path[i];
        at += i;
        line[at] = 0;
    } else {
        at = put(line, at, sizeof line, " fd ");
        at = put_num(line, at, sizeof line, a0);
    }
    (void)a2;
    at = put(line, at, sizeof line, "\n");
    as_faults_site_line(line);
    syscall(SYS_exit_group, AS_FAULTS_RERUN_EXIT);
}

int as_faults_guard_install(const as_snapshot *s) {
    static prog p; /* large: not on the stack */
    build(&p, s, getpid());
    if (p.overflow) return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0) return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    struct sock_fprog fp = {(unsigned short)p.n, p.insn};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) return -1;
    return 0;
}

#else
int as_faults_guard_install(const as_snapshot *s) {
    (void)s;
    return -1;
}
#endif
