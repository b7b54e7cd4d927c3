/*
 * test_engine.c: the fault engine's C API used from a plain C program (no Python), over liballocspec's
 * PEP 445 implementation (PyMem_GetAllocator/PyMem_SetAllocator): count per domain, transient and persistent
 * failure of the Nth matching call, domain and size filters, nested calls of the allocator not counted,
 * free never failing, the EXT domain through as_faults_should_fail, and a site file written for the failing call.
 * Built and run by faults_c_test.ts (release and ASan/UBSan); prints "N passed, N failed" last.
 *
 * usage: test_engine <mode> <out_dir>   with mode: count | transient | persistent
 * (one process per mode: the engine is process-global and installs once).
 */
#include "../../native/include/allocspec.h"
#include "../../native/test/check.h"
#include "faults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void get(int d, as_faults_allocator *a) { PyMem_GetAllocator((PyMemAllocatorDomain)d, a); }
static void set(int d, as_faults_allocator *a) { PyMem_SetAllocator((PyMemAllocatorDomain)d, a); }

static int file_has(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_engine count|transient|persistent OUT_DIR\n");
        return 2;
    }
    const char *mode = argv[1], *dir = argv[2];
    as_faults_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.out_dir = dir;
    if (!strcmp(mode, "count")) {
        cfg.mode = AS_FAULTS_COUNT;
        cfg.domains = (1u << AS_FAULTS_MEM) | (1u << AS_FAULTS_OBJ) | (1u << AS_FAULTS_EXT);
        cfg.size_max = 1000;
        CHECK("install (count)", as_faults_install(&cfg, get, set) == 0);
        void *raw = PyMem_RawMalloc(10);          /* RAW not selected */
        void *m1 = PyMem_Malloc(10);              /* 1 */
        void *m2 = PyMem_Calloc(2, 8);            /* 2 */
        void *big = PyObject_Malloc(4096);        /* > size_max: not counted (nor its RAW fallback) */
        void *o1 = PyObject_Malloc(100);          /* 3 */
        void *o2 = PyObject_Realloc(o1, 200);     /* 4 */
        PyMem_Free(m1);                           /* free: never counted */
        int ext = as_faults_should_fail(AS_FAULTS_EXT, 64); /* 5 */
        CHECK("count: nothing fails in count mode", raw && m2 && big && o2 && !ext);
        CHECK("count: total over the selected domains", as_faults_count(-1) == 5);
        CHECK("count: MEM", as_faults_count(AS_FAULTS_MEM) == 2);
        CHECK("count: OBJ (size filter)", as_faults_count(AS_FAULTS_OBJ) == 2);
        CHECK("count: RAW not selected", as_faults_count(AS_FAULTS_RAW) == 0);
        CHECK("count: EXT through as_faults_should_fail", as_faults_count(AS_FAULTS_EXT) == 1);
        PyMem_RawFree(raw);
        PyMem_Free(m2);
        PyObject_Free(big);
        PyObject_Free(o2);
        as_faults_finish();
        char path[4096];
        snprintf(path, sizeof path, "%s/counts", dir);
        CHECK("count: counts file written at finish", file_has(path, "total 5\n") && file_has(path, "mem 2\n"));
    } else {
        int persistent = !strcmp(mode, "persistent");
        cfg.mode = AS_FAULTS_FAIL;
        cfg.fail_at = 4;
        cfg.persistent = persistent;
        CHECK("install (fail)", as_faults_install(&cfg, get, set) == 0);
        void *big = PyObject_Malloc(4096); /* point 1; pymalloc's nested PyMem_RawMalloc is not a point */
        CHECK("fail: the allocator's nested call is not counted", big && as_faults_count(-1) == 1);
        PyObject_Free(big);
        void *p[6];
        for (int i = 0; i < 6; i++) p[i] = PyMem_Malloc(32);
        CHECK("fail: calls before the point succeed", p[0] && p[1]);
        CHECK("fail: the point fails", p[2] == NULL);
        if (persistent) {
            CHECK("persistent: every later call fails", !p[3] && !p[4] && !p[5]);
        } else {
            CHECK("transient: later calls succeed", p[3] && p[4] && p[5]);
        }
        void *r = PyMem_Realloc(p[0], 64);
        CHECK(persistent ? "persistent: realloc fails, block kept" : "transient: realloc succeeds",
              persistent ? (r == NULL) : (r != NULL));
        if (r) p[0] = r;
        for (int i = 0; i < 6; i++) PyMem_Free(p[i]); /* free(NULL) too: free never fails */
        char path[4096];
        snprintf(path, sizeof path, "%s/p4.site", dir);
        CHECK("fail: site file of the point (domain, size, C frames)",
              file_has(path, "point 4\n") && file_has(path, "domain mem\n") && file_has(path, "size 32\n") &&
                  file_has(path, "\nc ") && file_has(path, "end\n"));
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed;
}
