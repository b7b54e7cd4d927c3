/*
 * openssl_oom_leak.c: standalone reproducer for the OpenSSL findings of the libs fault sweep
 * (clients/libs): allocations that stay live after OPENSSL_cleanup() when one allocation of a SHA-256
 * digest (the first fetch, which loads the default provider and fills the name map) failed.
 *
 *   cc -O2 -o /tmp/openssl_oom_leak clients/libs/repro/openssl_oom_leak.c -lcrypto && /tmp/openssl_oom_leak
 *
 * For N = 1, 2, ... a forked child installs CRYPTO_set_mem_functions (before OpenSSL's first allocation)
 * with a 16-byte size header, fails allocation N, computes SHA-256("abc") (which may fail: that is allowed),
 * calls OPENSSL_cleanup() and reports the blocks still live with the file:line that allocated them. Prints
 * every N that leaves blocks behind or crashes; exit status 1 when there is one. `openssl_oom_leak N` runs
 * point N alone in this process (for gdb).
 */
#define _GNU_SOURCE
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXLIVE 65536
static long calls, fail_at, live;
static struct {
    void *p;
    const char *file;
    int line;
} tab[MAXLIVE];

static void track(void *p, const char *file, int line)
{
    for (int i = 0; i < MAXLIVE; i++)
        if (!tab[i].p) {
            tab[i].p = p, tab[i].file = file, tab[i].line = line;
            live++;
            return;
        }
}
static void untrack(void *p)
{
    for (int i = 0; p && i < MAXLIVE; i++)
        if (tab[i].p == p) {
            tab[i].p = NULL;
            live--;
            return;
        }
}
static void *m(size_t n, const char *file, int line)
{
    if (++calls == fail_at) return NULL;
    void *p = malloc(n ? n : 1);
    if (p) track(p, file, line);
    return p;
}
static void *r(void *p, size_t n, const char *file, int line)
{
    if (++calls == fail_at) return NULL;
    void *q = realloc(p, n ? n : 1);
    if (q) {
        untrack(p);
        track(q, file, line);
    }
    return q;
}
static void f(void *p, const char *file, int line)
{
    (void)file, (void)line;
    untrack(p);
    free(p);
}

static int child(void)
{
    if (!CRYPTO_set_mem_functions(m, r, f)) return 3;
    unsigned char md[32];
    unsigned len = 0;
    int ok = EVP_Digest("abc", 3, md, &len, EVP_sha256(), NULL);
    long used = calls;
    OPENSSL_cleanup();
    if (live) {
        printf("allocation %ld of %ld failed (digest %s): %ld block(s) live after OPENSSL_cleanup:", fail_at, used,
               ok ? "ok" : "failed", live);
        int shown = 0;
        for (int i = 0; i < MAXLIVE && shown < 4; i++)
            if (tab[i].p) printf(" %s:%d", tab[i].file, tab[i].line), shown++;
        printf("\n");
        return 1;
    }
    return fail_at > used ? 2 : 0; /* 2: every allocation has been failed once */
}

int main(int argc, char **argv)
{
    if (argc > 1) { /* one point, in this process (for a debugger): openssl_oom_leak N */
        fail_at = atol(argv[1]);
        return child();
    }
    int bad = 0;
    printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    fflush(stdout);
    for (fail_at = 1; fail_at < 100000; fail_at++) {
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
    printf("%ld allocation points tried\n", fail_at - 1);
    return bad;
}
