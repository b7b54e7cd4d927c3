/*
 * pythonmalloc.c: does CPython's pre-initialisation apply PYTHONMALLOC in this process?
 *
 * Pre-init allocator setup (PYTHONMALLOC or PyPreConfig.allocator) overwrites any allocator installed
 * earlier (cpython-facts.md 1.3). The launcher installs its allocator AFTER pre-init, so it would in turn
 * overwrite PYTHONMALLOC. Rule chosen (CONTRACT.md "PYTHONMALLOC"): an explicit PYTHONMALLOC that CPython
 * honours wins, exactly as for python3 itself: the launcher then installs neither allocator nor debug
 * hooks (layers still load). This keeps test_capi's PyMemDebugTests meaningful: their children set
 * PYTHONMALLOC=debug/pymalloc/malloc and check CPython's allocators, not ours.
 *
 * CPython ignores PYTHON* variables under -E and -I, so those are looked for among the interpreter
 * options, which end at -c, -m, "-", "--" or the first non-option (the script). Short options taking an
 * argument ("cmWX") consume the rest of their word or the next one; long options with an argument
 * (--check-hash-based-pycs) the next word.
 */
#include "launcher.h"

#include <stdlib.h>
#include <string.h>


int launcher_pythonmalloc_applies(int argc, char **argv)
{
    const char *v = getenv("PYTHONMALLOC");
    if (!v || !*v) return 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') return 1; /* script or "-" (stdin): end of options */
        if (a[1] == '-') {
            if (a[2] == '\0') return 1; /* "--" */
            if (strcmp(a, "--check-hash-based-pycs") == 0) i++;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'E' || *c == 'I') return 0;
            if (*c == 'c' || *c == 'm') return 1; /* the rest is the program */
            if (*c == 'W' || *c == 'X') {
                if (c[1] == '\0') i++;
                break;
            }
        }
    }
    return 1;
}
