/*
 * driver.c: libs-driver, the one process that runs an external library's workload on a target (PEP 445
 * "External libraries": "configure external libraries like zlib or OpenSSL to allocate memory using
 * PyMem_RawMalloc()").
 *
 *     libs-driver HARNESS.so OPTIONS         environment: the launcher's contract (CONTRACT.md) + faults
 *        1. libpython opened and pre-initialised, the allocator under test installed into its domains
 *           with the launcher's own resolution (targets/launcher/allocator.c: ALLOCSPEC_ALLOCATOR,
 *           ALLOCSPEC_DEBUG_HOOKS), exactly as `python --allocator` runs it
 *           (with ALLOCSPEC_CHECK=1 the checking layer directly above the allocator, below the debug hooks:
 *           targets/launcher/check.c), and the launcher's one line on a signal death (signals.c)
 *        2. the target's C entry points are libpython's PyMem_RawMalloc/RawCalloc/RawRealloc/RawFree (what a
 *           C extension routing a library calls); liballocspec's violation handler when its debug hooks are on
 *        3. HARNESS.so's libs_run(): the library's hooks -> libs_common.c -> the entry points; the fault
 *           engine compiled into the harness reads ALLOCSPEC_FAULTS_* (count / fail / sweep)
 *        4. one line on stdout: RESULT_PREFIX + {"rc":N,"result":{...}}
 *
 * Why a C process and not a runtime child: the fault engine's SWEEP mode forks at each allocation point,
 * and fork() is only exact in a single-threaded process (a Deno/Bun child always runs several threads).
 * This process starts no thread of its own and CPython's pre-initialisation starts none, so a sweep forks
 * here at every point, and the child continues from exactly the parent's state (the libraries' whole
 * state, the random stream, the live-block table). Only pre-initialisation: the RAW domain needs no
 * interpreter (PyMem_RawMalloc is usable before Py_Initialize), and the process stays small and fast to fork.
 *
 * Determinism: allocation point K must be the same call in the dry run, in the sweep's parent and in a
 * fresh `--fail-at K` rerun. libxml2 2.9 seeds its dictionary and hash-table randomisation with time(NULL)
 * (dict.c xmlInitializeDict), and the dictionaries' growth depends on collisions, so this executable
 * exports a fixed time() that the libraries bind to (the executable comes first in the global scope).
 * OpenSSL's random stream is seeded by its harness (openssl.c). Nothing here needs a real clock: the only
 * timestamps are those of the certificates the OpenSSL workload makes and verifies in the same run.
 */
#include "launcher.h"

#include <dlfcn.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libs_common.h"

/* The result line's prefix (clients/libs/run.ts reads the line that starts with it). */
#define RESULT_PREFIX "@@libs@@"
/* The harness's JSON result. */
#define RESULT_CAP (1u << 20)
/* 2026-01-01T00:00:00Z: the fixed clock (see "Determinism" above). */
#define LIBS_FIXED_TIME ((time_t)1767225600)

__attribute__((visibility("default"))) time_t time(time_t *t)
{
    if (t) *t = LIBS_FIXED_TIME;
    return LIBS_FIXED_TIME;
}

static alignas(16) unsigned char preconfig[LAUNCHER_PRECONFIG_BYTES];

static void *need(void *handle, const char *lib, const char *name)
{
    void *p = dlsym(handle, name);
    if (!p) {
        fprintf(stderr, "libs-driver: %s does not export %s\n", lib, name);
        exit(LAUNCHER_EXIT_USAGE);
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: libs-driver HARNESS.so OPTIONS (environment: ALLOCSPEC_LIBPYTHON, "
                        "ALLOCSPEC_ALLOCATOR, ALLOCSPEC_DEBUG_HOOKS, ALLOCSPEC_FAULTS_*)\n");
        return LAUNCHER_EXIT_USAGE;
    }
    launcher_cpython py;
    char *pre_argv[] = {argv[0], NULL};
    /* PYTHONMALLOC never wins here: the allocator asked for is the one under test */
    launcher_start(&py, preconfig, 1, pre_argv, 0);

    libs_target t;
    memset(&t, 0, sizeof t);
    static const char *const RAW[4] = {"PyMem_RawMalloc", "PyMem_RawCalloc", "PyMem_RawRealloc", "PyMem_RawFree"};
    t.entries.malloc[0] = need(py.handle, py.path, RAW[0]);
    t.entries.calloc[0] = need(py.handle, py.path, RAW[1]);
    t.entries.realloc[0] = need(py.handle, py.path, RAW[2]);
    t.entries.free[0] = need(py.handle, py.path, RAW[3]);
    /* liballocspec's debug hooks report to the harness (collected, the run goes on); CPython's abort */
    t.set_violation_handler = launcher_native_symbol("allocspec_set_violation_handler");

    void *harness = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!harness) {
        fprintf(stderr, "libs-driver: cannot load the harness: %s\n", dlerror());
        return LAUNCHER_EXIT_USAGE;
    }
    int (*run)(const libs_target *, const char *, char *, size_t);
    *(void **)&run = need(harness, argv[1], "libs_run");
    char *out = calloc(1, RESULT_CAP);
    if (!out) return 1;
    int rc = run(&t, argv[2], out, RESULT_CAP);
    printf("\n%s{\"rc\":%d,\"result\":%s}\n", RESULT_PREFIX, rc, out);
    fflush(stdout);
    return 0;
}
