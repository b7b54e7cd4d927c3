/*
 * diagnostics.c: CPython's diagnostic text for a debug-hook violation, byte for byte.
 *
 *     _PyMem_DebugCheckAddress (debug_hooks.c) fails
 *        --> as_dump_address:  _PyObject_DebugDumpAddress(p)  (+ "Enable tracemalloc ..." in cpython)
 *        --> as_fatal_lines:   _Py_FatalErrorFunc(func, msg) up to the Python frames we do not have
 *        --> violations.c:     handler (default: write to stderr, abort())
 *
 * Format (cpython-facts.md sections 2.4-2.6, transcripts A-F of section 3):
 *     Debug memory block at address p=%p: API '%c'
 *         %zu bytes originally requested
 *         The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.        | not all FORBIDDENBYTE (0x%02x):
 *                                                                           at p-%d: 0x%02x[ *** OUCH]  (7..1)
 *                                                                           + the two "Because memory ..." lines
 *         The 8 pad bytes at tail=%p are FORBIDDENBYTE, as expected.    | not all ...: at tail+%d (0..7)
 *         The block was made by call #%zu to debug malloc/realloc.      (pep445-2013 only: serial number)
 *         Data at p: xx ... (first 8, " ...", last 8; all when <= 16; no line when n == 0)
 *     <blank>
 *     Enable tracemalloc to get the memory block allocation traceback   (cpython only) + blank
 *     Fatal Python error: FUNC: MSG         (cpython; pep445-2013: "Fatal Python error: MSG")
 *     Python runtime state: initialized     (cpython only)
 *     <blank>
 * %p is glibc's: 0x + lowercase hex. Like CPython, the dump trusts the size field: a corrupted size may
 * make it read far past the block (CPython: SIGSEGV inside the dumper on a double free).
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tunables: initial text capacity; bytes of data shown at each end of the block. */
#define AS_TEXT_INITIAL 1024
#define AS_DATA_SHOWN 8
_Static_assert(AS_TEXT_INITIAL >= 64, "room for a line before growing");
_Static_assert(AS_DATA_SHOWN == 8, "CPython shows up to 8 bytes at each end");

void as_text_printf(as_text_t *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        if (t->cap - t->len < 2 || t->buf == NULL) {
            size_t ncap = t->cap ? t->cap * 2 : AS_TEXT_INITIAL;
            char *nb = realloc(t->buf, ncap);
            if (nb == NULL) return; /* out of memory: the text is truncated */
            t->buf = nb;
            t->cap = ncap;
        }
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t need = t->len + (size_t)n + 1, ncap = t->cap;
        while (ncap < need) ncap *= 2;
        char *nb = realloc(t->buf, ncap);
        if (nb == NULL) return;
        t->buf = nb;
        t->cap = ncap;
    }
}

static size_t read_size_t(const uint8_t *p)
{
    size_t result = 0;
    for (size_t i = 0; i < SST; i++) result = (result << 8) | p[i]; /* big-endian, any host */
    return result;
}

void as_dump_address(as_text_t *t, const void *p, int profile, uint8_t forbidden, bool serialno)
{
    const uint8_t *q = (const uint8_t *)p;
    as_text_printf(t, "Debug memory block at address p=%p:", p);
    if (p == NULL) {
        as_text_printf(t, "\n");
        return;
    }
    char id = (char)q[-(ptrdiff_t)SST];
    as_text_printf(t, " API '%c'\n", id);

    size_t nbytes = read_size_t(q - 2 * SST);
    as_text_printf(t, "    %zu bytes originally requested\n", nbytes);

    /* In case this is nuts, check the leading pad bytes first. */
    int pads = (int)SST - 1;
    as_text_printf(t, "    The %d pad bytes at p-%d are ", pads, pads);
    bool ok = true;
    for (int i = 1; i <= pads; ++i) {
        if (*(q - i) != forbidden) {
            ok = false;
            break;
        }
    }
    if (ok) {
        as_text_printf(t, "FORBIDDENBYTE, as expected.\n");
    } else {
        as_text_printf(t, "not all FORBIDDENBYTE (0x%02x):\n", forbidden);
        for (int i = pads; i >= 1; --i) {
            const uint8_t byte = *(q - i);
            as_text_printf(t, "        at p-%d: 0x%02x%s\n", i, byte, byte != forbidden ? " *** OUCH" : "");
        }
        as_text_printf(t, "    Because memory is corrupted at the start, the count of bytes requested\n"
                          "       may be bogus, and checking the trailing pad bytes may segfault.\n");
    }

    const uint8_t *tail = q + nbytes;
    as_text_printf(t, "    The %d pad bytes at tail=%p are ", (int)SST, (const void *)tail);
    ok = true;
    for (size_t i = 0; i < SST; ++i) {
        if (tail[i] != forbidden) {
            ok = false;
            break;
        }
    }
    if (ok) {
        as_text_printf(t, "FORBIDDENBYTE, as expected.\n");
    } else {
        as_text_printf(t, "not all FORBIDDENBYTE (0x%02x):\n", forbidden);
        for (int i = 0; i < (int)SST; ++i) {
            const uint8_t byte = tail[i];
            as_text_printf(t, "        at tail+%d: 0x%02x%s\n", i, byte, byte != forbidden ? " *** OUCH" : "");
        }
    }

    if (serialno) {
        size_t serial = read_size_t(tail + SST);
        as_text_printf(t, "    The block was made by call #%zu to debug malloc/realloc.\n", serial);
    }

    if (nbytes > 0) {
        int i = 0;
        as_text_printf(t, "    Data at p:");
        /* print up to 8 bytes at the start */
        while (q < tail && i < AS_DATA_SHOWN) {
            as_text_printf(t, " %02x", *q);
            ++i;
            ++q;
        }
        /* and up to 8 at the end */
        if (q < tail) {
            if (tail - q > AS_DATA_SHOWN) {
                as_text_printf(t, " ...");
                q = tail - AS_DATA_SHOWN;
            }
            while (q < tail) {
                as_text_printf(t, " %02x", *q);
                ++q;
            }
        }
        as_text_printf(t, "\n");
    }
    as_text_printf(t, "\n");
    /* _PyMem_DumpTraceback: 3.8+ prints this when tracemalloc is not tracing (it never is here) */
    if (profile == ALLOCSPEC_PROFILE_CPYTHON)
        as_text_printf(t, "Enable tracemalloc to get the memory block allocation traceback\n\n");
}

void as_fatal_lines(as_text_t *t, const char *func, const char *msg, int profile)
{
    if (profile == ALLOCSPEC_PROFILE_CPYTHON) {
        /* 3.9+: function prefix; 3.8+: runtime state; then the blank line before "Current thread" */
        as_text_printf(t, "Fatal Python error: %s: %s\nPython runtime state: initialized\n\n", func, msg);
    } else {
        as_text_printf(t, "Fatal Python error: %s\n\n", msg);
    }
}
