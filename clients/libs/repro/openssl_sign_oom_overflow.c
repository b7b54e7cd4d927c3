/*
 * openssl_sign_oom_overflow.c: standalone reproducer for a heap overflow the libs fault sweep found in
 * OpenSSL 3.0 (clients/libs/README.md): when one allocation inside X509_sign() fails while the ECDSA
 * signature is encoded, X509_sign() still succeeds, and a later DER encoding of the certificate
 * (i2d_X509, as X509_digest -> X509_check_purpose -> SSL_CTX_use_certificate do) writes one byte past the
 * buffer it sized itself.
 *
 *   cc -O2 -o /tmp/openssl_sign_oom_overflow clients/libs/repro/openssl_sign_oom_overflow.c -lcrypto
 *   /tmp/openssl_sign_oom_overflow        # each allocation made by X509_sign failed in turn
 *
 * The memory functions (CRYPTO_set_mem_functions, before OpenSSL's first allocation) put 16 guard bytes
 * after every block and check them on free, and fail the k-th allocation made while X509_sign() runs. For
 * each k the program makes a fresh P-256 key and certificate, signs it with that failure, then encodes the
 * certificate into a buffer of exactly the size i2d_X509(x, NULL) announced and checks the guard bytes
 * there. Prints each k whose encoding overran its buffer; exit status 1 when there is one.
 */
#define _GNU_SOURCE
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16   /* size header; keeps 16-byte alignment */
#define GUARD 16 /* guard bytes after the block */
#define GUARD_BYTE 0xfd

static long armed_calls, fail_at; /* fail_at > 0: fail the fail_at-th allocation while armed */
static int armed;

static void *m(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    if (armed && ++armed_calls == fail_at) return NULL;
    unsigned char *p = malloc(HDR + n + GUARD);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    memset(p + HDR + n, GUARD_BYTE, GUARD);
    return p + HDR;
}

static int guard_ok(const unsigned char *q)
{
    size_t n;
    memcpy(&n, q - HDR, sizeof n);
    for (int i = 0; i < GUARD; i++)
        if (q[n + (size_t)i] != GUARD_BYTE) return 0;
    return 1;
}

static void f(void *q, const char *file, int line)
{
    (void)line;
    if (!q) return;
    if (!guard_ok(q)) fprintf(stderr, "  heap overflow detected when %s freed a block\n", file ? file : "?");
    free((unsigned char *)q - HDR);
}

static void *r(void *q, size_t n, const char *file, int line)
{
    if (!q) return m(n, file, line);
    void *p = m(n, file, line);
    if (!p) return NULL;
    size_t old;
    memcpy(&old, (unsigned char *)q - HDR, sizeof old);
    memcpy(p, q, old < n ? old : n);
    f(q, file, line);
    return p;
}

/* 1 when the DER encoding of a certificate signed with allocation k of X509_sign failed overruns its buffer. */
static int overruns(long k, int *signed_ok)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 445);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"overflow.test", -1, -1, 0);
    X509_set_issuer_name(x, nm);
    armed_calls = 0, fail_at = k, armed = 1;
    int rc = X509_sign(x, key, EVP_sha256()); /* documented: the signature's size, 0 on failure */
    *signed_ok = rc != 0;
    armed = 0;
    if (rc < 0) printf("k=%ld: X509_sign returned %d (documented: the signature's size, or 0 on failure)\n", k, rc);
    ERR_clear_error();
    int over = 0;
    int len = i2d_X509(x, NULL);
    if (*signed_ok && len > 0) {
        unsigned char *buf = m((size_t)len, __FILE__, __LINE__), *p = buf;
        if (buf) {
            int wrote = i2d_X509(x, &p);
            over = !guard_ok(buf) || wrote != len;
            if (over) printf("k=%ld: i2d_X509 announced %d bytes and wrote %d (guard %s)\n", k, len, wrote,
                             guard_ok(buf) ? "intact" : "overwritten");
            f(buf, __FILE__, __LINE__);
        }
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return over;
}

int main(void)
{
    if (!CRYPTO_set_mem_functions(m, r, f)) {
        fprintf(stderr, "CRYPTO_set_mem_functions failed: OpenSSL allocated before main\n");
        return 2;
    }
    int found = 0, signed_ok = 0;
    long k = 1;
    for (;; k++) { /* until X509_sign makes fewer than k allocations (nothing failed: it signed normally) */
        armed_calls = 0;
        found |= overruns(k, &signed_ok);
        if (armed_calls < k) break;
    }
    printf("%ld allocation(s) of X509_sign failed in turn: %s\n", k - 1,
           found ? "the certificate's encoding overran its buffer (above)" : "no overrun");
    return found;
}
