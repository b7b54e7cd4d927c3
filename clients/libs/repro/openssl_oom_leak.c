/*
 * openssl_oom_leak.c: standalone reproducer for the OpenSSL findings of the libs fault sweep
 * (clients/libs): a failed allocation during the first digest, DRBG and cipher fetches (which load the default
 * provider and fill the name map) either crashes the process or leaves blocks live after OPENSSL_cleanup().
 *
 *   cc -O2 -o /tmp/openssl_oom_leak clients/libs/repro/openssl_oom_leak.c -lcrypto
 *   /tmp/openssl_oom_leak            # every point, one forked child each
 *   /tmp/openssl_oom_leak 2900 5200  # a range of points
 *   /tmp/openssl_oom_leak 4          # one point in this process (for gdb)
 *
 * Each child installs CRYPTO_set_mem_functions (before OpenSSL's first allocation) with a header that links
 * every live block into a list (O(1) tracking, file:line kept), fails allocation N, computes SHA-256("abc")
 * and runs one AES-256-GCM encryption (either may fail: that is allowed), calls OPENSSL_cleanup() and
 * reports the blocks still live with the file:line that allocated them. Prints every N that leaks or
 * crashes; exit status 1 when there is one.
 */
#define _GNU_SOURCE
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct blk {
    struct blk *prev, *next;
    const char *file;
    int line;
    size_t size;
} blk; /* 40 bytes; the payload follows at a 16-byte boundary */
#define HDR 48
_Static_assert(sizeof(blk) <= HDR && HDR % 16 == 0, "header keeps 16-byte alignment");

static blk live = {&live, &live, NULL, 0, 0};
static long calls, fail_at, nlive;

static void link_blk(blk *b)
{
    b->next = live.next, b->prev = &live;
    live.next->prev = b, live.next = b;
    nlive++;
}
static void unlink_blk(blk *b)
{
    b->prev->next = b->next, b->next->prev = b->prev;
    nlive--;
}
static void *m(size_t n, const char *file, int line)
{
    if (++calls == fail_at) return NULL;
    blk *b = malloc(HDR + n);
    if (!b) return NULL;
    b->file = file, b->line = line, b->size = n;
    link_blk(b);
    return (char *)b + HDR;
}
static void f(void *p, const char *file, int line)
{
    (void)file, (void)line;
    if (!p) return;
    blk *b = (blk *)((char *)p - HDR);
    unlink_blk(b);
    free(b);
}
static void *r(void *p, size_t n, const char *file, int line)
{
    if (!p) return m(n, file, line);
    if (++calls == fail_at) return NULL;
    blk *b = (blk *)((char *)p - HDR);
    unlink_blk(b);
    blk *q = realloc(b, HDR + n);
    if (!q) {
        link_blk(b);
        return NULL;
    }
    q->file = file, q->line = line, q->size = n;
    link_blk(q);
    return (char *)q + HDR;
}

static int child(void)
{
    if (!CRYPTO_set_mem_functions(m, r, f)) return 3;
    unsigned char md[32], key[32] = {1}, iv[12] = {2}, out[64];
    unsigned len = 0;
    int ok = EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL);
    ok &= RAND_bytes(key, sizeof key) == 1; /* instantiates the DRBGs (EVP_RAND fetches) */
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int olen = 0;
    ok &= c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) &&
          EVP_EncryptUpdate(c, out, &olen, (const unsigned char *)"plaintext", 9);
    EVP_CIPHER_CTX_free(c);
    long used = calls;
    OPENSSL_cleanup();
    if (nlive) {
        printf("allocation %ld of %ld failed (work %s): %ld block(s) live after OPENSSL_cleanup:", fail_at, used,
               ok ? "ok" : "failed", nlive);
        int shown = 0;
        for (blk *b = live.next; b != &live && shown < 4; b = b->next, shown++)
            printf(" %zu B at %s:%d", b->size, b->file, b->line);
        printf("\n");
        return 1;
    }
    return fail_at > used ? 2 : 0; /* 2: past the last allocation */
}

int main(int argc, char **argv)
{
    if (argc == 2) { /* one point, in this process */
        fail_at = atol(argv[1]);
        int rc = child();
        return rc == 2 ? 0 : rc;
    }
    long from = argc > 2 ? atol(argv[1]) : 1, to = argc > 2 ? atol(argv[2]) : 1000000;
    int bad = 0;
    long tried = 0;
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    fflush(stdout);
    for (fail_at = from; fail_at <= to; fail_at++, tried++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child());
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFSIGNALED(st)) printf("allocation %ld failed: child killed by signal %d\n", fail_at, WTERMSIG(st)), bad = 1;
        else if (WEXITSTATUS(st) == 1) bad = 1;
        else if (WEXITSTATUS(st) == 2) break;
        else if (WEXITSTATUS(st) == 3) return printf("CRYPTO_set_mem_functions refused\n"), 2;
        fflush(stdout);
    }
    printf("%ld allocation points tried\n", tried);
    return bad;
}
