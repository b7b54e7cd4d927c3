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

static int py_frame(void *arg, void *code, int line);

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
#define AS_FAULTS_NSIG (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction previous[AS_FAULTS_NSIG];

/* Line building without printf (vfprintf's frame and locale data are pages a forked child would copy). */
typedef struct {
    char b[600];
    size_t n;
} line_buf;
static void lb_str(line_buf *l, const char *s) {
    while (s && *s && l->n < sizeof l->b - 2) l->b[l->n++] = *s++;
}
static void lb_num(line_buf *l, unsigned long long v, int base) {
    char t[24];
    int k = 0;
    do t[k++] = "0123456789abcdef"[v % (unsigned)base];
    while ((v /= (unsigned)base) && k < 23);
    while (k && l->n < sizeof l->b - 2) l->b[l->n++] = t[--k];
}
static void lb_write(int fd, line_buf *l) {
    l->b[l->n++] = '\n';
    (void)!write(fd, l->b, l->n);
    l->n = 0;
}

/* One write() per frame from a small stack buffer: no stdio, few stack pages. */
static void write_frames(int fd, const char *tag, void *const *frames, int n) {
    line_buf l = {.n = 0};
    for (int i = 0; i < n; i++) {
        uintptr_t base;
        const char *name;
        lb_str(&l, tag);
        if (as_faults_module_of(frames[i], &base, &name) == 0) {
            lb_str(&l, " ");
            lb_str(&l, name);
            lb_str(&l, " 0x");
            lb_num(&l, (uintptr_t)frames[i] - base, 16);
        } else {
            lb_str(&l, " ? 0x");
            lb_num(&l, (uintptr_t)frames[i], 16);
        }
        lb_write(fd, &l);
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

static int py_frame(void *arg, void *code, int line) {
    line_buf l = {.n = 0};
    lb_str(&l, "py ");
    if (line < 0) lb_str(&l, "-");
    lb_num(&l, (unsigned long long)(line < 0 ? -(long long)line : line), 10);
    lb_str(&l, " ");
    lb_str(&l, as_py_code_name(code));
    lb_str(&l, " ");
    lb_str(&l, as_py_code_filename(code));
    lb_write(*(int *)arg, &l);
    return 0;
}

void as_faults_write_site_fd(int fd, uint64_t point, int domain, size_t size, const char *kind) {
    line_buf l = {.n = 0};
    lb_str(&l, "point ");
    lb_num(&l, point, 10);
    lb_write(fd, &l);
    lb_str(&l, "domain ");
    lb_str(&l, kind);
    lb_write(fd, &l);
    lb_str(&l, "size ");
    lb_num(&l, size, 10);
    lb_write(fd, &l);
    (void)domain;
    void *frames[AS_FAULTS_MAX_FRAMES];
    int n = backtrace(frames, AS_FAULTS_MAX_FRAMES);
    write_frames(fd, "c", frames + 1, n > 1 ? n - 1 : 0); /* frame 0 is this function */
    if (as_py_can_walk()) {
        void *ids[AS_FAULTS_PY_FRAMES], *codes[AS_FAULTS_PY_FRAMES];
        int lines[AS_FAULTS_PY_FRAMES];
        int n = as_py_stack_light(ids, codes, lines, AS_FAULTS_PY_FRAMES);
        if (n < 0) as_py_walk(py_frame, &fd, AS_FAULTS_PY_FRAMES);
        for (int i = 0; i < n; i++) py_frame(&fd, codes[i], lines[i]);
    }
    (void)!write(fd, "end\n", 4);
}

void as_faults_write_site(uint64_t point, int domain, size_t size, const char *kind) {
    if (as_faults_open_site(point) != 0) return;
    as_faults_write_site_fd(as_fs.site_fd, point, domain, size, kind);
    install_crash_handler();
}
