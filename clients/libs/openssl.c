/*
 * openssl.c: OpenSSL 3 (libcrypto + libssl) through the target's PyMem_RawMalloc (PEP 445 "External
 * libraries": "OpenSSL: CRYPTO_set_mem_functions() to set memory management functions globally").
 *
 * Hooks: CRYPTO_set_mem_functions(m, r, f) with (size, file, line) signatures, called before OpenSSL's
 * first allocation (it returns 0 and keeps libc afterwards: checked). OpenSSL has no context pointer; the
 * file:line it passes is kept (interned) as the block's site, so a leak names the OpenSSL source line.
 * malloc(0), realloc(p, 0) and free(NULL) reach the hooks unchanged (counted); PEP 445 answers them.
 * Workload, every result verified:
 *   SHA-256: the FIPS 180-2 "abc" vector, and streaming (4 KiB updates) equal to one-shot over 8 MiB
 *     (quick: 1 MiB);
 *   AES-256-GCM: encrypt + decrypt of the same data, plaintext equal, tag accepted; a flipped tag bit refused;
 *   RSA-2048 and P-256: key generation, SHA-256 signature, verify OK, verify of a changed message refused;
 *   TLS 1.3: a self-signed P-256 certificate made in-process, server and client SSL_CTX (TLS 1.3 only,
 *     client verifies the certificate), handshake over a BIO pair in memory, 256 KiB each way, data equal;
 *   threads: 4 threads at once doing SHA-256, AES-256-GCM and P-256 sign/verify.
 * Then everything is freed and OPENSSL_cleanup() runs: afterwards no block may stay live.
 * Options: "quick", "tiny" (16 KiB of data, 16 KiB each way over TLS and an RSA-512 key: the same code
 * paths with fewer rounds; a fault sweep forks once per allocation point and each child runs the rest of
 * the workload), "nothreads",
 * "seeded" (fault sweeps and their reruns: OpenSSL's random stream is a fixed xorshift stream installed with
 * RAND_set_rand_method, so prime search, nonces and key shares take the same allocations in every run and
 * allocation point K is the same call in the sweep and in a fresh `--fail-at K`; RAND_bytes_ex and
 * RAND_priv_bytes_ex consult the legacy method first in OpenSSL 3.0, crypto/rand/rand_lib.c; and no
 * configuration file is read, OPENSSL_INIT_NO_LOAD_CONFIG, so the points do not depend on the machine's
 * openssl.cnf).
 */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED /* RAND_set_rand_method: the "seeded" option */
#include "libs_common.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "file:line" strings for the sites OpenSSL passes, interned once each (the harness's own memory):
   a leak then names the exact OpenSSL source line. Open addressing over (file pointer, line). */
#define SITES 8192
_Static_assert((SITES & (SITES - 1)) == 0, "SITES is a power of two");
static struct {
    const char *file;
    int line;
    char text[120];
} sites[SITES];
static pthread_mutex_t sites_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *site(const char *file, int line)
{
    if (!file) return "openssl:?";
    size_t h = ((uintptr_t)file * 31u + (unsigned)line) & (SITES - 1);
    pthread_mutex_lock(&sites_lock);
    for (size_t i = 0; i < SITES; i++, h = (h + 1) & (SITES - 1)) {
        if (sites[h].file == file && sites[h].line == line) break;
        if (!sites[h].file) {
            sites[h].file = file, sites[h].line = line;
            snprintf(sites[h].text, sizeof sites[h].text, "%s:%d", file, line);
            break;
        }
    }
    const char *t = sites[h].file == file && sites[h].line == line ? sites[h].text : file;
    pthread_mutex_unlock(&sites_lock);
    return t;
}

static void *o_malloc(size_t n, const char *file, int line)
{
    return lr_malloc(n, site(file, line));
}
static void *o_realloc(void *p, size_t n, const char *file, int line)
{
    return lr_realloc(p, n, site(file, line));
}
static void o_free(void *p, const char *file, int line)
{
    (void)line;
    lr_free(p, file);
}

/* Moves OpenSSL's error queue into the result (ERR_R_MALLOC_FAILURE is "malloc failure"). */
static void harvest_errors(void)
{
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        const char *r = ERR_reason_error_string(e);
        lr_error("%s: %s", ERR_lib_error_string(e) ? ERR_lib_error_string(e) : "openssl", r ? r : "?");
    }
}

static int sha256(const unsigned char *d, size_t n, size_t step, unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned len = 0;
    int ok = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i += step) ok = EVP_DigestUpdate(c, d + i, n - i < step ? n - i : step);
    ok = ok && EVP_DigestFinal_ex(c, out, &len) && len == 32;
    EVP_MD_CTX_free(c);
    return ok;
}

/* AES-256-GCM round trip; tamper flips a tag bit before decrypting. Returns 1 when decrypt succeeded. */
static int gcm(const unsigned char *d, size_t n, int tamper, int *equal)
{
    unsigned char key[32], iv[12], tag[16];
    RAND_bytes(key, sizeof key);
    RAND_bytes(iv, sizeof iv);
    unsigned char *ct = malloc(n + 16), *pt = malloc(n + 16);
    int len = 0, ok = ct && pt;
    size_t clen = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    ok = ok && c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
    for (size_t i = 0; ok && i < n; i += 65536) {
        ok = EVP_EncryptUpdate(c, ct + clen, &len, d + i, (int)(n - i < 65536 ? n - i : 65536));
        clen += (size_t)len;
    }
    ok = ok && EVP_EncryptFinal_ex(c, ct + clen, &len) && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(c);
    if (tamper) tag[3] ^= 1;
    size_t plen = 0;
    c = EVP_CIPHER_CTX_new();
    int dok = ok && c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv);
    dok = dok && EVP_DecryptUpdate(c, pt, &len, ct, (int)clen);
    plen = (size_t)len;
    dok = dok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
    dok = dok && EVP_DecryptFinal_ex(c, pt + plen, &len) > 0;
    EVP_CIPHER_CTX_free(c);
    *equal = dok && plen == n && memcmp(pt, d, n) == 0;
    free(ct);
    free(pt);
    harvest_errors();
    return dok;
}

/* Sign msg with key, verify it, verify a changed message; 1 when sign+verify ok and the change refused. */
static int sign_verify(EVP_PKEY *k, const char *what)
{
    const unsigned char msg[] = "PEP 445: customizable memory allocators";
    unsigned char sig[512];
    size_t slen = sizeof sig;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) &&
             EVP_DigestSign(c, sig, &slen, msg, sizeof msg);
    EVP_MD_CTX_free(c);
    c = EVP_MD_CTX_new();
    int v = ok && c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k) &&
            EVP_DigestVerify(c, sig, slen, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(c);
    harvest_errors();
    unsigned char bad[sizeof msg];
    memcpy(bad, msg, sizeof msg);
    bad[0] ^= 1;
    c = EVP_MD_CTX_new();
    int refused = c && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k) &&
                  EVP_DigestVerify(c, sig, slen, bad, sizeof bad) != 1;
    EVP_MD_CTX_free(c);
    ERR_clear_error(); /* the refusal queues "bad signature": expected, not a library error */
    lr_check(ok && v, "%s: sign/verify failed", what);
    lr_check(refused, "%s: a changed message verified", what);
    return ok && v && refused;
}

static X509 *self_signed(EVP_PKEY *k)
{
    X509 *x = X509_new();
    if (!x) return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 445);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, k);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"allocspec.test", -1, -1, 0);
    X509_set_issuer_name(x, nm);
    if (!X509_sign(x, k, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Moves pending bytes between the two BIO pairs' network ends (SSL_set_bio with BIO_new_bio_pair). */
static void tls(const unsigned char *d, size_t n)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = k ? self_signed(k) : NULL;
    lr_check(cert != NULL, "TLS: self-signed certificate not made");
    SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = SSL_CTX_new(TLS_client_method());
    int ok = cert && sc && cc && SSL_CTX_use_certificate(sc, cert) && SSL_CTX_use_PrivateKey(sc, k) &&
             SSL_CTX_set_min_proto_version(sc, TLS1_3_VERSION) &&
             SSL_CTX_set_min_proto_version(cc, TLS1_3_VERSION) &&
             X509_STORE_add_cert(SSL_CTX_get_cert_store(cc), cert);
    SSL_CTX_set_verify(cc, SSL_VERIFY_PEER, NULL);
    SSL *s = ok ? SSL_new(sc) : NULL, *c = ok ? SSL_new(cc) : NULL;
    BIO *sb = NULL, *cb = NULL;
    ok = ok && s && c && BIO_new_bio_pair(&sb, 1 << 17, &cb, 1 << 17);
    if (ok) {
        SSL_set_bio(s, sb, sb);
        SSL_set_bio(c, cb, cb);
        SSL_set_accept_state(s);
        SSL_set_connect_state(c);
        SSL_set1_host(c, "allocspec.test");
        int done_s = 0, done_c = 0;
        for (int i = 0; i < 100 && !(done_s && done_c); i++) {
            if (!done_c) done_c = SSL_do_handshake(c) == 1;
            if (!done_s) done_s = SSL_do_handshake(s) == 1;
        }
        ok = done_s && done_c;
        lr_check(ok, "TLS: handshake did not complete");
        lr_check(!ok || SSL_version(c) == TLS1_3_VERSION, "TLS: not TLS 1.3 (%s)", ok ? SSL_get_version(c) : "");
        lr_check(!ok || SSL_get_verify_result(c) == X509_V_OK, "TLS: client did not verify the certificate");
        /* data both ways, 16 KiB records, interleaved so the BIO pair never fills */
        unsigned char *got_s = malloc(n), *got_c = malloc(n);
        size_t ws = 0, rs = 0, wc = 0, rc = 0;
        /* a round in which no byte moved means a broken connection (a BIO pair has no latency) */
        for (int moved = 1; ok && got_s && got_c && (rs < n || rc < n) && moved;) {
            moved = 0;
            if (wc < n) {
                int w = SSL_write(c, d + wc, (int)(n - wc < 16384 ? n - wc : 16384));
                if (w > 0) wc += (size_t)w, moved = 1;
            }
            if (ws < n) {
                int w = SSL_write(s, d + ws, (int)(n - ws < 16384 ? n - ws : 16384));
                if (w > 0) ws += (size_t)w, moved = 1;
            }
            int r = SSL_read(s, got_s + rs, (int)(n - rs));
            if (r > 0) rs += (size_t)r, moved = 1;
            r = SSL_read(c, got_c + rc, (int)(n - rc));
            if (r > 0) rc += (size_t)r, moved = 1;
        }
        lr_check(ok && rs == n && rc == n && memcmp(got_s, d, n) == 0 && memcmp(got_c, d, n) == 0,
                 "TLS: data differs (server got %zu, client got %zu of %zu)", rs, rc, n);
        free(got_s);
        free(got_c);
        SSL_shutdown(c);
        SSL_shutdown(s);
    } else {
        lr_check(0, "TLS: contexts or BIO pair not made");
    }
    SSL_free(s);
    SSL_free(c);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
    X509_free(cert);
    EVP_PKEY_free(k);
    harvest_errors();
}

/* ---- "seeded": a deterministic random stream (tests only: it is not random) ---- */
static pthread_mutex_t seeded_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seeded_state = 0x5045503434350001ull; /* "PEP445" */

static int seeded_bytes(unsigned char *buf, int num)
{
    pthread_mutex_lock(&seeded_lock);
    for (int i = 0; i < num; i++) buf[i] = (unsigned char)(lr_rand(&seeded_state) >> 56);
    pthread_mutex_unlock(&seeded_lock);
    return 1;
}
static int seeded_status(void) { return 1; }
static const RAND_METHOD seeded_method = {NULL, seeded_bytes, NULL, NULL, seeded_bytes, seeded_status};

typedef struct {
    int id;
    size_t n;
    int ok;
} job_t;

static void *thread_job(void *arg)
{
    job_t *j = arg;
    unsigned char *d = malloc(j->n), a[32], b[32];
    if (!d) return NULL;
    uint64_t st = (uint64_t)j->id * 77 + 1;
    for (size_t i = 0; i < j->n; i++) d[i] = (unsigned char)lr_rand(&st);
    int eq = 0;
    int ok = sha256(d, j->n, 4096, a) && sha256(d, j->n, j->n, b) && memcmp(a, b, 32) == 0;
    ok = ok && gcm(d, j->n, 0, &eq) && eq;
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    ok = ok && k && sign_verify(k, "thread P-256");
    EVP_PKEY_free(k);
    harvest_errors();
    OPENSSL_thread_stop();
    j->ok = ok;
    free(d);
    return NULL;
}

int libs_run(const libs_target *t, const char *options, char *out, size_t cap)
{
    lr_begin(t);
    int set = CRYPTO_set_mem_functions(o_malloc, o_realloc, o_free);
    lr_check(set == 1, "CRYPTO_set_mem_functions returned %d: OpenSSL allocated before the hooks", set);
    if (lr_opt(options, "seeded")) {
        /* no configuration file either: the same points on every machine, whatever openssl.cnf says */
        lr_check(OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1, "OPENSSL_init_crypto failed");
        lr_check(RAND_set_rand_method(&seeded_method) == 1, "RAND_set_rand_method failed");
    }
    int quick = lr_opt(options, "quick"), tiny = lr_opt(options, "tiny");
    size_t n = tiny ? (16u << 10) : quick ? (1u << 20) : (8u << 20);
    unsigned char *d = malloc(n), h1[32], h2[32];
    uint64_t st = 445;
    for (size_t i = 0; i < n; i++) d[i] = (unsigned char)lr_rand(&st);

    static const unsigned char abc_sha[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                              0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                              0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    lr_check(sha256((const unsigned char *)"abc", 3, 3, h1) && memcmp(h1, abc_sha, 32) == 0,
             "SHA-256(\"abc\") differs from FIPS 180-2");
    lr_check(sha256(d, n, 4096, h1) && sha256(d, n, n, h2) && memcmp(h1, h2, 32) == 0,
             "SHA-256 streaming != one-shot over %zu bytes", n);
    int eq = 0;
    lr_check(gcm(d, n, 0, &eq) && eq, "AES-256-GCM round trip of %zu bytes failed", n);
    lr_check(!gcm(d, 4096, 1, &eq), "AES-256-GCM accepted a tampered tag");

    int bits = tiny ? 512 : 2048;
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    lr_check(rsa && EVP_PKEY_get_bits(rsa) == bits, "RSA-%d key generation failed", bits);
    if (rsa) sign_verify(rsa, bits == 512 ? "RSA-512" : "RSA-2048");
    EVP_PKEY_free(rsa);
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    lr_check(ec != NULL, "P-256 key generation failed");
    if (ec) sign_verify(ec, "P-256");
    EVP_PKEY_free(ec);

    tls(d, tiny ? (16u << 10) : quick ? (64u << 10) : (256u << 10));

    if (!lr_opt(options, "nothreads")) {
        job_t jobs[4];
        for (int i = 0; i < 4; i++) jobs[i] = (job_t){i, quick ? (128u << 10) : (1u << 20), 0};
        lr_threads(4, thread_job, jobs, sizeof(job_t));
        for (int i = 0; i < 4; i++) lr_check(jobs[i].ok, "thread %d: crypto work failed", i);
        lr_extra("threads", "4");
    }
    lr_extra("version", "\"%s\"", OpenSSL_version(OPENSSL_VERSION));
    free(d);
    harvest_errors();
    OPENSSL_cleanup();
    lr_settle();
    return lr_end("openssl", out, cap);
}
