/*
 * filter.c: stack filters of the fault engine.
 *  - in_library L: the call matches when a frame's return address lies in a shared object whose file name
 *    contains L (backtrace() + the segment table of modules.c; the last object looked up is cached by load base);
 *  - in_module M: the call matches when a Python frame's code comes from module M or a submodule: its
 *    co_filename ends with /M.py or contains /M/ (dots of M read as slashes). Only where frames may be
 *    looked up (pyframe.h rules); elsewhere (RAW without the GIL) the module filter does not match.
 * Both run inside the engine's reentrancy guard: allocations they cause are not counted.
 */
#define _GNU_SOURCE
#include "../common/pyframe.h"
#include "internal.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <string.h>

static __thread uintptr_t cached_base;
static __thread int cached_match;

static int library_on_stack(const char *lib) {
    static uintptr_t self_base;
    const char *name;
    if (!self_base) as_faults_module_of((void *)as_faults_should_fail, &self_base, &name);
    void *frames[AS_FAULTS_MAX_FRAMES];
    int n = backtrace(frames, AS_FAULTS_MAX_FRAMES);
    for (int i = 1; i < n; i++) {
        uintptr_t base;
        if (as_faults_module_of(frames[i], &base, &name) != 0 || base == self_base) continue;
        if (base != cached_base) {
            const char *slash = strrchr(name, '/');
            cached_base = base;
            cached_match = strstr(slash ? slash + 1 : name, lib) != NULL;
        }
        if (cached_match) return 1;
    }
    return 0;
}

typedef struct {
    char slash[300]; /* "/a/b/" */
    char file[300];  /* "/a/b.py" */
    int found;
} module_probe;

static int module_frame(void *arg, void *code, int line) {
    (void)line;
    module_probe *m = arg;
    const char *f = as_py_code_filename(code);
    size_t lf = strlen(f), lm = strlen(m->file);
    if (strstr(f, m->slash) || (lf >= lm && strcmp(f + lf - lm, m->file) == 0)) m->found = 1;
    return m->found;
}

static int module_on_stack(const char *mod) {
    if (!as_py_can_walk()) return 0;
    static __thread module_probe m;
    static __thread const char *made_for;
    if (made_for != mod) {
        char dotted[256];
        snprintf(dotted, sizeof dotted, "%s", mod);
        for (char *p = dotted; *p; p++)
            if (*p == '.') *p = '/';
        snprintf(m.slash, sizeof m.slash, "/%s/", dotted);
        snprintf(m.file, sizeof m.file, "/%s.py", dotted);
        made_for = mod;
    }
    m.found = 0;
    as_py_walk(module_frame, &m, 256);
    return m.found;
}

int as_faults_stack_matches(void) {
    if (as_fs.cfg.in_library && !library_on_stack(as_fs.cfg.in_library)) return 0;
    if (as_fs.cfg.in_module && !module_on_stack(as_fs.cfg.in_module)) return 0;
    return 1;
}
