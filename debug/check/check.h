/*
 * check.h: the checking layer's public C API (libas_check.so): a PEP 445 layer that sits DIRECTLY above
 * the allocator under test (below CPython's or liballocspec's debug hooks when those are on) and checks
 * every call a real program makes against the rules the conformance cases check one by one
 * (rules.h: each rule is named by its conformance case id).
 *
 *     program / CPython / C library
 *        |  (debug hooks, faults, leaks, hook: layers ...)
 *     as_check_wrap(domain, below)      <- this layer: one wrapper per domain, one live-block map
 *        |
 *     the allocator under test          (a vtable:, libc:, native or CPython's own allocator)
 *
 * What it checks, per call (PEP 445 "API changes"; CPython docs, memory.rst; cpython-facts.md §1.3):
 *  - zero-size requests (malloc(0), calloc(0, n), calloc(n, 0), realloc(p, 0), realloc(NULL, 0)) give a
 *    non-NULL block, distinct from every live block and writable for 1 byte;
 *  - realloc(NULL, n) that gives NULL while malloc(n) succeeds;
 *  - alignment: the weak rule min(16, largest power of two <= size) always, the strong rule (16 for
 *    every size) when asked (AS_CHECK_ALIGN_STRONG): jemalloc, mimalloc and tcmalloc keep only the weak one;
 *  - calloc zeroes nelem * elsize bytes (every byte up to full_bytes, sampled above);
 *  - realloc keeps the first min(old, new) bytes (a fingerprint before the call, compared after: grow,
 *    shrink and same size); a failed realloc leaves the old block intact and live;
 *  - live blocks never overlap (an interval map over every domain wrapped in the process); an overlap
 *    between blocks handed to two threads, one of them RAW, is a RAW thread-safety violation;
 *  - free and realloc only of live blocks, in the domain that allocated them; free(NULL) is accepted
 *    (and must return: a crash inside free(NULL) is named by the crash description).
 * Nested calls (an allocator that calls PyMem_RawMalloc from its own malloc, as CPython's pymalloc does
 * above 512 bytes) pass through unchecked: the outer call is the one the program made.
 *
 * Each violation is reported on stderr (write(2), one block, non-printable bytes escaped as \xNN):
 *
 *     allocspec check: violation of <rule id> [<RAW|MEM|OBJ>] <one-line message>
 *       allocator: <target>
 *       call: <op>(<args>) -> <result>
 *       C site: <first frame outside the allocation machinery>
 *       C stack: <frame> <- <frame> <- ...
 *       Python: <file>:<line> in <function>        ("Python: none (...)" without the GIL)
 *       reproduce: <one command line>
 *       conformance: <command> --target <target> --filter '^<rule id>$'
 *   then, in stop mode,
 *     allocspec check: stopped at the first violation (exit 86; ALLOCSPEC_CHECK_MODE=count goes on)
 *   In count mode the first 3 violations of each rule are reported in full, then one line
 *     allocspec check: further violations of <rule id> are counted, not printed (summary at exit)
 *   and the exit summary has every count; the JSON file gets the first 100 of each rule.
 *
 * and, when report_path is set, appended to that file as one JSON object per line (O_APPEND):
 *     {"event":"violation","pid":N,"rule":"...","domain":"RAW","op":"...","message":"...",
 *      "c_site":"...","python":"...","repro":"...","conformance":"..."}
 * plus {"event":"summary",...} at exit when anything was found (count mode).
 *
 * Environment (as_check_config_from_env; the launcher installs the layer when ALLOCSPEC_CHECK=1):
 *     ALLOCSPEC_CHECK            1: install the layer (launcher)
 *     ALLOCSPEC_CHECK_MODE       stop (default: the first violation ends the process, exit 86) | count
 *     ALLOCSPEC_CHECK_ALIGN      weak (default) | strong
 *     ALLOCSPEC_CHECK_FULL_BYTES calloc/realloc contents compared byte for byte up to this size (1024);
 *                                larger blocks are sampled (both ends and a stride in between)
 *     ALLOCSPEC_CHECK_TARGET     the target as the user wrote it (reports, conformance hint)
 *     ALLOCSPEC_CHECK_REPRO      command prefix that reruns this program (this process's argv is appended)
 *     ALLOCSPEC_CHECK_CONFORMANCE command that runs the suite (default "npx allocspec conformance")
 *     ALLOCSPEC_CHECK_REPORT     file for the JSON lines ("%p" is replaced by the pid)
 *     ALLOCSPEC_CHECK_ADOPT      1: free/realloc of blocks never seen pass through (a layer installed
 *                                after blocks exist; pep445_hook_install sets it)
 */
#ifndef ALLOCSPEC_CHECK_H
#define ALLOCSPEC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "pep445.h" /* PyMemAllocatorEx, PyMemAllocatorDomain: the project's one C definition of the ABI */
#include "rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from libas_check.so (built with -fvisibility=hidden). */
#define AS_CHECK_API __attribute__((visibility("default")))

/* Rule numbers, in rules.h order. */
typedef enum {
#define AS_CHECK_RULE_ENUM(name, id, what) AS_CHECK_##name,
    AS_CHECK_RULES(AS_CHECK_RULE_ENUM)
#undef AS_CHECK_RULE_ENUM
        AS_CHECK_NRULES
} as_check_rule;

/* Domains: PEP 445's PyMemAllocatorDomain values. */
enum { AS_CHECK_RAW = 0, AS_CHECK_MEM = 1, AS_CHECK_OBJ = 2, AS_CHECK_NDOMAINS = 3 };

/* Exit status of a process stopped at its first violation. */
#define AS_CHECK_EXIT_STATUS 86

typedef enum { AS_CHECK_STOP = 0, AS_CHECK_COUNT = 1 } as_check_mode;

typedef struct {
    as_check_mode mode;
    int align_strong;          /* 1: the strong rule (16 for every size) is a violation too */
    int adopt_unknown;         /* 1: free/realloc of never-seen blocks pass through unchecked */
    size_t full_bytes;         /* calloc/realloc contents checked byte for byte up to this size */
    const char *target;        /* the target's name in reports (may be NULL) */
    const char *repro;         /* command prefix that reruns the program (may be NULL) */
    const char *conformance;   /* command that runs the conformance suite (may be NULL) */
    const char *report_path;   /* JSON lines file (may be NULL); "%p" becomes the pid */
} as_check_config;

/* Reads ALLOCSPEC_CHECK_* (see above). Returns 0, or -1 with a one-line reason in err. */
AS_CHECK_API int as_check_config_from_env(as_check_config *cfg, char *err, size_t errlen);

/* Configures the layer (strings are copied). Call once before the first as_check_wrap; later calls
 * replace the configuration. Returns 0, or -1 when the internal tables cannot be mapped (errno). */
AS_CHECK_API int as_check_init(const as_check_config *cfg);

/* Fills *out with the checking allocator over *below for PEP 445 domain `domain` (AS_CHECK_RAW..OBJ).
 * *below is copied. Every wrapped allocator of the process shares one live-block map. Up to 16 wraps
 * per process. Returns 0, or -1 (bad domain, too many wraps). */
AS_CHECK_API int as_check_wrap(int domain, const PyMemAllocatorEx *below, PyMemAllocatorEx *out);

/* The conformance case id of a rule, or NULL. */
AS_CHECK_API const char *as_check_rule_id(int rule);

/* Violations found so far for one rule, or over all rules for rule < 0. */
AS_CHECK_API uint64_t as_check_violations(int rule);

/* Calls checked so far (every domain). */
AS_CHECK_API uint64_t as_check_calls(void);

/* Async-signal-safe: one line (no newline) describing what the layer knows at a crash: the allocator
 * call running on this thread if any ("inside the allocator's calloc(1, 64) [RAW]"), the last
 * violation seen, the number of calls checked. Returns the length written (0 when not installed). */
AS_CHECK_API size_t as_check_describe_crash(char *buf, size_t len);

/* Writes the per-rule counts as one line to fd (nothing when no violation was found). */
AS_CHECK_API void as_check_summary(int fd);

/* PEP 445 Get/Set (libpython's, liballocspec's, or a test's own). */
typedef void (*as_check_get_fn)(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);
typedef void (*as_check_set_fn)(PyMemAllocatorDomain domain, PyMemAllocatorEx *allocator);

/* Reads ALLOCSPEC_CHECK_*, then wraps RAW, MEM and OBJ over what get() returns and installs the result
 * with set(): what the launcher calls between the allocator and the debug hooks (every block freed later
 * must come from the allocator below: ALLOCSPEC_CHECK_ADOPT is honoured as set). 0, or -1 with one line
 * in err. */
AS_CHECK_API int as_check_install_env(as_check_get_fn get, as_check_set_fn set, char *err, size_t errlen);

/* Launcher layer contract (CONTRACT.md "Layers"): wraps RAW, MEM and OBJ over the current allocators
 * found by symbol name, after initialisation, with adopt_unknown on. 0 = ok, non-zero = one line. */
AS_CHECK_API int pep445_hook_install(void);

#ifdef __cplusplus
}
#endif
#endif
