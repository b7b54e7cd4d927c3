/*
 * internal.h: what the checking layer's files share (check.h is the public side).
 *
 *     layer.c     the four wrappers per domain: decide what each call must satisfy, in call order
 *     blocks.c    the live-block map: exact table (address -> block) + coverage bitmap + large list
 *     contents.c  fingerprints (realloc), zero scans (calloc), the 1-byte writability probe (zero size)
 *     report.c    one violation -> stderr block / JSON line, C site, Python frame, crash description
 *     config.c    ALLOCSPEC_CHECK_* -> as_check_config, as_check_init, the process-wide state
 */
#ifndef ALLOCSPEC_CHECK_INTERNAL_H
#define ALLOCSPEC_CHECK_INTERNAL_H

#include "check.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

/* ---------------------------------------------------------------------------------------------- */
/* wraps (layer.c)                                                                                */

#define AS_CHECK_MAX_WRAPS 16
_Static_assert(AS_CHECK_MAX_WRAPS <= 256, "a block records its wrap in a uint8_t");

typedef struct {
    int domain;               /* AS_CHECK_RAW..OBJ */
    PyMemAllocatorEx below;   /* the allocator under test for this domain */
} as_wrap;

/* ---------------------------------------------------------------------------------------------- */
/* blocks (blocks.c)                                                                              */

enum {
    AS_BLOCK_ZERO = 1,     /* a zero-size request: checked as a 1-byte block */
    AS_BLOCK_SURVIVOR = 2, /* the old block of a failed realloc: handing it out again means it was freed */
};

typedef struct {
    uintptr_t addr; /* 0: empty slot */
    size_t size;    /* requested size (0 for a zero-size request) */
    uint32_t tid;   /* as_check_tid() of the thread the block was handed to */
    uint8_t wrap;   /* index into the wraps: its domain */
    uint8_t flags;  /* AS_BLOCK_* */
    uint16_t dups;  /* count mode: the same address handed out again while live (extra owners) */
} as_block;
_Static_assert(sizeof(as_block) == 24, "three words per live block");

/* Blocks larger than this are kept in the large list, not in the coverage bitmap. */
#define AS_CHECK_LARGE ((size_t)16 << 10)

/* Initialises the map (mmap'ed tables). 0, or -1 with errno. */
int as_blocks_init(void);

/* Records b as live. Returns 1 when a live block overlaps it (copied to *other, `at` = an address the
 * two share), 0 otherwise. The block is recorded in both cases. */
int as_blocks_admit(const as_block *b, as_block *other, uintptr_t *at);

/* The common case in one lock acquisition: a small block of n > 0 bytes starting 16-aligned, overlapping
 * nothing, no large block near. 0 when admitted; 1 (nothing changed) when the general path must decide. */
int as_blocks_admit_fast(uintptr_t addr, size_t n, unsigned wrap, uint32_t tid);

/* The common case of a release: a plain small 16-aligned live block with one owner. 0 when released
 * (its size and wrap returned); 1 (nothing changed) when the general path must decide. */
int as_blocks_release_fast(uintptr_t addr, size_t *size, unsigned *wrap);

/* Removes the live block at addr (copied to *out). 1 when found, 0 when addr is not a live block. */
int as_blocks_release(uintptr_t addr, as_block *out);

/* The same for the block of one wrap only: 1 removed, 0 not live, -1 live but another wrap's (left live,
 * copied to *out). A nested call (layer.c) gives back only what its own wrap handed out. */
int as_blocks_release_own(uintptr_t addr, unsigned wrap, as_block *out);

/* fork safety: every lock of the map taken / released (pthread_atfork). */
void as_blocks_lock_all(void);
void as_blocks_unlock_all(void);

/* Live blocks now (every domain). */
uint64_t as_blocks_live(void);

/* ---------------------------------------------------------------------------------------------- */
/* contents (contents.c)                                                                          */

/* Fingerprint of the n bytes at p: every byte up to full_bytes, sampled above (both ends + stride). */
uint64_t as_fingerprint(const void *p, size_t n, size_t full_bytes);

/* Offset of the first non-zero byte found in the n bytes at p (every byte up to full_bytes, sampled
 * above), or (size_t)-1 when none was found. */
size_t as_first_nonzero(const void *p, size_t n, size_t full_bytes);

/* 1 when the byte at p can be written (probed through a pipe: no signal, EFAULT otherwise). */
int as_byte_writable(void *p);

/* ---------------------------------------------------------------------------------------------- */
/* process-wide state (config.c)                                                                  */

typedef struct {
    as_check_config cfg;          /* strings point into the buffers below */
    char target[1024];
    char repro[2048];
    char conformance[512];
    char report_path[1024];
    int initialised;
    as_wrap wraps[AS_CHECK_MAX_WRAPS];
    _Atomic int nwraps;
    _Atomic uint64_t calls;
    _Atomic uint64_t violations[AS_CHECK_NRULES];
    _Atomic uint64_t total_violations;
    _Atomic uint64_t failed_calls;   /* NULL results for non-zero sizes (allocation failures seen) */
    _Atomic uint64_t strong_misses;  /* blocks only weakly aligned (informational in weak mode) */
    _Atomic int last_rule;           /* -1: none yet */
} as_check_state;

extern as_check_state as_cs;

/* This thread's small id (1, 2, ... in order of first use). */
uint32_t as_check_tid(void);

/* ---------------------------------------------------------------------------------------------- */
/* the call in progress on this thread (layer.c; read by report.c and the crash description)       */

typedef struct {
    const char *op; /* "malloc", "calloc", "realloc", "free"; NULL outside the allocator */
    int domain;
    uintptr_t a, b, c; /* the call's arguments */
    int depth;         /* checked calls in progress on this thread (> 0 inside one: a nested call) */
    /* nesting (layer.c): the block each call in progress gave up (a free's or a realloc's old block: the
       allocator may pass it on through a nested call), and the blocks nested calls returned since the
       outermost call began (the outermost may hand one of them out as its own result) */
    uintptr_t held[4];
    uintptr_t nested[8];
    size_t nested_size[8];
    int nnested;
    /* the layer reading a block after the call (a crash there is the allocator's): what, and the rule a
       crash breaks (-1: none in particular) */
    const char *reading;
    int reading_rule;
    uint64_t calls; /* calls checked on this thread; added to as_cs.calls every 1024 */
} as_call;

as_call *as_check_current(void);

/* ---------------------------------------------------------------------------------------------- */
/* reports (report.c)                                                                             */

typedef struct {
    as_check_rule rule;
    int domain;
    const char *call; /* "calloc(1, 64) -> 0x..." */
    const char *message;
} as_violation;

/* Reports one violation (stderr, JSON line) and, in stop mode, ends the process (exit 86). */
void as_check_report(const as_violation *v);

/* Escapes every byte outside printable ASCII as \xNN (and backslash as \\) into out (NUL-terminated,
 * truncated to outlen). Returns the length written. */
size_t as_check_escape(const char *in, char *out, size_t outlen);

/* Registers the exit summary (count mode) and warms up backtrace() (loads libgcc_s outside any call). */
void as_report_init(void);

const char *as_domain_name(int domain);

#endif
