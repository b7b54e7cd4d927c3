/*
 * contents.c: what the checking layer reads inside blocks.
 *
 *  - as_fingerprint: realloc keeps the first min(old, new) bytes (memory.rst, PyMem_RawRealloc: "the
 *    contents will be unchanged to the minimum of the old and the new sizes"). The kept bytes are
 *    fingerprinted before the call and again at the result; blocks up to full_bytes byte for byte,
 *    larger ones sampled: both ends (full_bytes / 4 each) and 64 bytes every 16 KiB in between, at the
 *    same offsets before and after, so a realloc that moves without copying (it copies nothing, or only
 *    a header) is caught on any size while a 100 MB realloc reads ~0.4 % of its bytes.
 *  - as_first_nonzero: calloc zeroes nelem * elsize bytes (cpython-facts.md §1.3: "calloc zeroes it"),
 *    every byte up to full_bytes, above it both ends and 64 bytes every 64 KiB (fresh pages read as the
 *    shared zero page: no RSS is added).
 *  - as_byte_writable: a zero-size block is "as if X_Malloc(1) had been called": its byte must be
 *    writable. Probed without a signal: process_vm_writev(2) on our own pid (EFAULT when not writable),
 *    and where that system call is refused, a read(2) from a pipe into the byte.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define STRIDE_HASH ((size_t)16 << 10)
#define STRIDE_ZERO ((size_t)64 << 10)
#define SAMPLE 64u

static inline uint64_t mixw(uint64_t h, uint64_t w) {
    h ^= w * 0x9E3779B97F4A7C15ULL;
    h = (h << 29) | (h >> 35);
    return h * 0xBF58476D1CE4E5B9ULL;
}

/* Four independent lanes of add-rotate-xor over 32 bytes per step (about a cycle per 8 bytes), folded
   with the multiplying mix: a lost, moved or changed word changes the result. */
static uint64_t hash_range(const unsigned char *p, size_t n, uint64_t h) {
    size_t i = 0;
    if (n >= 32) {
        uint64_t a = h ^ 0x243F6A8885A308D3ULL, b = h ^ 0x13198A2E03707344ULL, c = h ^ 0xA4093822299F31D0ULL,
                 d = h ^ 0x082EFA98EC4E6C89ULL;
        for (; i + 32 <= n; i += 32) {
            uint64_t w[4];
            memcpy(w, p + i, 32);
            a = ((a + w[0]) << 23 | (a + w[0]) >> 41) ^ (i + 1);
            b = ((b + w[1]) << 29 | (b + w[1]) >> 35) ^ (i + 2);
            c = ((c + w[2]) << 31 | (c + w[2]) >> 33) ^ (i + 3);
            d = ((d + w[3]) << 37 | (d + w[3]) >> 27) ^ (i + 4);
        }
        h = mixw(mixw(mixw(mixw(h, a), b), c), d);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mixw(h, w);
    }
    uint64_t t = 0;
    for (; i < n; i++) t = (t << 8) | p[i];
    return mixw(h, t ^ (uint64_t)n);
}

uint64_t as_fingerprint(const void *p, size_t n, size_t full_bytes) {
    const unsigned char *b = p;
    if (n <= full_bytes) return hash_range(b, n, n);
    size_t edge = full_bytes / 4 < SAMPLE ? SAMPLE : full_bytes / 4;
    uint64_t h = hash_range(b, edge, n);
    h = hash_range(b + n - edge, edge, h);
    for (size_t off = edge; off + SAMPLE <= n - edge; off += STRIDE_HASH) h = hash_range(b + off, SAMPLE, h);
    return h;
}

static size_t nonzero_in(const unsigned char *p, size_t n, size_t base) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w) break;
    }
    for (; i < n; i++) {
        if (p[i]) return base + i;
    }
    return (size_t)-1;
}

size_t as_first_nonzero(const void *p, size_t n, size_t full_bytes) {
    const unsigned char *b = p;
    if (n <= full_bytes) return nonzero_in(b, n, 0);
    size_t edge = full_bytes / 2 < SAMPLE ? SAMPLE : full_bytes / 2;
    size_t r = nonzero_in(b, edge, 0);
    if (r != (size_t)-1) return r;
    for (size_t off = edge; off + SAMPLE <= n - edge; off += STRIDE_ZERO) {
        r = nonzero_in(b + off, SAMPLE, off);
        if (r != (size_t)-1) return r;
    }
    return nonzero_in(b + n - edge, edge, n - edge);
}

static pthread_mutex_t pipe_lock = PTHREAD_MUTEX_INITIALIZER;
static int pipe_fd[2] = {-1, -1};
static pid_t pipe_pid;
static _Atomic int vm_refused;

static int writable_by_pipe(void *p) {
    int ok = 1;
    pthread_mutex_lock(&pipe_lock);
    pid_t me = getpid();
    if (pipe_pid != me) {
        if (pipe_fd[0] >= 0) close(pipe_fd[0]), close(pipe_fd[1]); /* the parent's, after a fork */
        if (pipe2(pipe_fd, O_CLOEXEC | O_NONBLOCK) != 0) pipe_fd[0] = pipe_fd[1] = -1;
        pipe_pid = me;
    }
    if (pipe_fd[0] >= 0) {
        const char zero = 0;
        if (write(pipe_fd[1], &zero, 1) == 1) {
            ssize_t r = read(pipe_fd[0], p, 1);
            if (r < 0 && errno == EFAULT) {
                char drain;
                ok = 0;
                r = read(pipe_fd[0], &drain, 1);
                (void)r;
            }
        }
    }
    pthread_mutex_unlock(&pipe_lock);
    return ok; /* no pipe: inconclusive, counted as writable */
}

int as_byte_writable(void *p) {
    int saved = errno;
    int ok = 1;
    if (!atomic_load_explicit(&vm_refused, memory_order_relaxed)) {
        char zero = 0;
        struct iovec local = {&zero, 1}, remote = {p, 1};
        ssize_t r = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
        if (r == 1) goto done;
        if (r < 0 && errno == EFAULT) {
            ok = 0;
            goto done;
        }
        atomic_store(&vm_refused, 1); /* ENOSYS, EPERM (seccomp), ...: the pipe from now on */
    }
    ok = writable_by_pipe(p);
done:
    errno = saved;
    return ok;
}
