/*
 * site.c: where the failing call was made, written by the process in which it fails (the sweep child, or
 * the FAIL-mode process) to <out_dir>/p<N>.site before the NULL is returned:
 *
 *   point N / domain mem / size 64 / kind malloc
 *   c <shared object path> 0x<offset of the return address from the object's load base>   (innermost first)
 *   py <line> <function> <file>                                                            (innermost first)
 *
 *   x <signal> / x <shared object path> 0x<offset>   (appended by the crash handler, innermost first)
 *   exc <type>: <message> / settled <how> <status> / rerun <reason>   (settle.c, guard.c)
 *
 * The driver symbolizes `c` and `x` lines with addr2line and drops allocator/dispatch frames (site.ts).
 * After writing the site, the failing process installs a handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGABRT that appends the C backtrace of the crash (where the program died, as opposed to where the failing
 * call was made), then restores the previous handler (faulthandler's, which prints the Python stack) and
 * re-raises. backtrace() and dladdr() in a handler of a dying process: the same bargain faulthandler makes.
 * Python frames are looked up through pyframe.c only with the GIL held (its rules); RAW calls made without
 * the GIL have C frames only. backtrace() was warmed up at install, so this path does not load libgcc_s.
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define AS_FAULTS_PY_FRAMES 32

static int py_frame(void *arg, void *code, int line) {
    int fd = *(int *)arg;
    char buf[1200];
    int w = snprintf(buf, sizeof buf, "py %d %s %s\n", line, as_py_code_name(code), as_py_code_filename(code));
    if (w > 0) (void)!write(fd, buf, (size_t)w < sizeof buf ? (size_t)w : sizeof buf - 1);
    return 0;
}

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define AS_FAULTS_NSIG (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction previous[AS_FAULTS_NSIG];

/* One write() for all frames, formatted on the stack: no stdio buffer (a forked child pays for every page
 * it writes). */
static void write_frames(int fd, const char *tag, void *const *frames, int n) {
    char buf[8192];
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t base;
        const char *name;
        int w;
        if (as_faults_module_of(frames[i], &base, &name) == 0) {
            w = snprintf(buf + at, sizeof buf - at, "%s %s 0x%lx\n", tag, name, (unsigned long)((uintptr_t)frames[i] - base));
        } else {
            w = snprintf(buf + at, sizeof buf - at, "%s ? %p\n", tag, frames[i]);
        }
        if (w < 0 || (size_t)w >= sizeof buf - at) break;
        at += (size_t)w;
    }
    for (size_t off = 0; off < at;) {
        ssize_t k = write(fd, buf + off, at - off);
        if (k <= 0) break;
        off += (size_t)k;
    }
}

static void on_crash(int sig) {
    int fd = as_fs.site_fd;
    if (fd >= 0) {
        void *frames[AS_FAULTS_MAX_FRAMES];
        int n = backtrace(frames, AS_FAULTS_MAX_FRAMES);
        dprintf(fd, "signal %d\n", sig);
        write_frames(fd, "x", frames + 1, n > 1 ? n - 1 : 0);
    }
    for (size_t i = 0; i < AS_FAULTS_NSIG; i++) {
        if (crash_signals[i] == sig) sigaction(sig, &previous[i], NULL);
    }
    raise(sig); /* SA_NODEFER: delivered now, to faulthandler's handler or the default action */
}

static void install_crash_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < AS_FAULTS_NSIG; i++) sigaction(crash_signals[i], &sa, &previous[i]);
}

int as_faults_open_site(uint64_t point) {
    if (as_fs.site_fd >= 0) return 0;
    char path[AS_FAULTS_PATH_MAX];
    snprintf(path, sizeof path, "%s/p%llu.site", as_fs.out_dir, (unsigned long long)point);
    /* O_APPEND: the settle and crash lines written later go to the end */
    as_fs.site_fd = as_faults_high_fd(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
    return as_fs.site_fd >= 0 ? 0 : -1;
}

void as_faults_write_site_fd(int fd, uint64_t point, int domain, size_t size, const char *kind) {
    char head[128];
    int w = snprintf(head, sizeof head, "point %llu\ndomain %s\nsize %zu\n", (unsigned long long)point, kind, size);
    if (w > 0) (void)!write(fd, head, (size_t)w);
    (void)domain;
    void *frames[AS_FAULTS_MAX_FRAMES];
    int n = backtrace(frames, AS_FAULTS_MAX_FRAMES);
    write_frames(fd, "c", frames + 1, n > 1 ? n - 1 : 0); /* frame 0 is this function */
    if (as_py_can_walk()) as_py_walk(py_frame, &fd, AS_FAULTS_PY_FRAMES);
    (void)!write(fd, "end\n", 4);
}

void as_faults_write_site(uint64_t point, int domain, size_t size, const char *kind) {
    if (as_faults_open_site(point) != 0) return;
    as_faults_write_site_fd(as_fs.site_fd, point, domain, size, kind);
    install_crash_handler();
}
