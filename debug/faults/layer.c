/*
 * layer.c: libas_faults.so as a launcher layer (launcher contract, "Layers"): PyMem_GetAllocator and
 * PyMem_SetAllocator are reached by symbol name, as real hooks do (PEP 445 use case 3), and the
 * configuration comes from ALLOCSPEC_FAULTS_* (config.c). Mode off: nothing is installed.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

__attribute__((visibility("default"))) int pep445_hook_install(void) {
    as_faults_config cfg;
    char err[512];
    if (as_faults_config_from_env(&cfg, err, sizeof err)) {
        fprintf(stderr, "allocspec faults: %s\n", err);
        return 1;
    }
    if (cfg.mode == AS_FAULTS_OFF) return 0;
    as_faults_get_fn get = (as_faults_get_fn)dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    as_faults_set_fn set = (as_faults_set_fn)dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    if (!get || !set) {
        fprintf(stderr, "allocspec faults: PyMem_GetAllocator/PyMem_SetAllocator not found in the process: "
                        "load libpython RTLD_GLOBAL first\n");
        return 1;
    }
    int rc = as_faults_install(&cfg, get, set);
    if (rc < 0) {
        fprintf(stderr, "allocspec faults: cannot install in '%s': %s\n", cfg.out_dir, strerror(errno));
        return 1;
    }
    return 0; /* rc 1: another process owns this run; stay passive */
}
