/*
 * site.c: where the failing call was made, written by the process in which it fails (the sweep child, or
 * the FAIL-mode process) to <out_dir>/p<N>.site before the NULL is returned:
 *
 *   point N / domain mem / size 64 / kind malloc
 *   c <shared object path> 0x<offset of the return address from the object's load base>   (innermost first)
 *   py <line> <function> <file>                                                            (innermost first)
 *
 * The driver symbolizes `c` lines with addr2line and drops allocator/dispatch frames (debug/faults/site.ts).
 * Python frames are looked up through pyframe.c only with the GIL held (its rules); RAW calls made without
 * the GIL have C frames only. backtrace() was warmed up at install, so this path does not load libgcc_s.
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define AS_FAULTS_PY_FRAMES 32

static int py_frame(void *arg, void *code, int line) {
    int fd = *(int *)arg;
    dprintf(fd, "py %d %s %s\n", line, as_py_code_name(code), as_py_code_filename(code));
    return 0;
}

void as_faults_write_site(uint64_t point, int domain, size_t size, const char *kind) {
    char path[AS_FAULTS_PATH_MAX];
    snprintf(path, sizeof path, "%s/p%llu.site", as_fs.out_dir, (unsigned long long)point);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    dprintf(fd, "point %llu\ndomain %s\nsize %zu\n", (unsigned long long)point, kind, size);
    (void)domain;
    void *frames[AS_FAULTS_MAX_FRAMES];
    int n = backtrace(frames, AS_FAULTS_MAX_FRAMES);
    for (int i = 1; i < n; i++) { /* frame 0 is this function */
        Dl_info info;
        if (dladdr(frames[i], &info) && info.dli_fname) {
            dprintf(fd, "c %s 0x%lx\n", info.dli_fname,
                    (unsigned long)((char *)frames[i] - (char *)info.dli_fbase));
        } else {
            dprintf(fd, "c ? %p\n", frames[i]);
        }
    }
    if (as_py_can_walk()) as_py_walk(py_frame, &fd, AS_FAULTS_PY_FRAMES);
    dprintf(fd, "end\n");
    close(fd);
}
