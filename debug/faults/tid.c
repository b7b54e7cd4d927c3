/*
 * tid.c: a sweep child keeps the locks its parent's thread held at the point.
 *
 * glibc records the owner of a recursive or error-checking mutex, and the writer of a write-locked rwlock,
 * as the TID kept in the thread's descriptor (struct pthread, field `tid`): pthread_mutex_unlock of such a
 * mutex by another TID fails with EPERM, a re-lock blocks, and pthread_rwlock_unlock by another TID is taken
 * for a reader's unlock. A point is often reached with a lock held: a library calls its allocator inside
 * its own critical section (SQLite's db mutex around sqlite3_step, OpenSSL's store rwlocks around a fetch).
 * fork() gives the child a new TID, so the child could neither release nor re-take those locks and hung at
 * the next one, where a fresh run of the same point goes on. The child therefore writes the parent's TID
 * into its own descriptor, and continues as the owner of what its parent owned, as the process under test
 * would have. glibc 2.34+ signals the calling thread with the kernel's TID (pthread_kill.c: gettid), so
 * raise() and abort() are unaffected; nothing else single-threaded reads the field.
 *
 * struct pthread's layout is private, so the field is found, not assumed: at install the engine records
 * every aligned offset in the first AS_FAULTS_TID_SCAN bytes of the descriptor that holds the thread's TID;
 * in the child the field is the one candidate that glibc changed to the child's TID. Unless exactly one
 * candidate changed, nothing is written (and the child behaves as before).
 */
#define _GNU_SOURCE
#include "internal.h"

#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct pthread is larger than this on every glibc (the tid field sits near 0x2d0 on x86-64). */
#define AS_FAULTS_TID_SCAN 1024
#define AS_FAULTS_TID_MAX_CANDIDATES 8

static size_t candidates[AS_FAULTS_TID_MAX_CANDIDATES];
static int ncandidates = -1; /* -1: not prepared */
static pid_t parent_tid;

static pid_t kernel_tid(void) { return (pid_t)syscall(SYS_gettid); }

void as_faults_tid_prepare(void) {
    const unsigned char *self = (const unsigned char *)pthread_self();
    pid_t tid = kernel_tid();
    int n = 0;
    for (size_t off = 0; off + sizeof(pid_t) <= AS_FAULTS_TID_SCAN; off += sizeof(pid_t)) {
        pid_t v;
        memcpy(&v, self + off, sizeof v);
        if (v == tid) {
            if (n == AS_FAULTS_TID_MAX_CANDIDATES) {
                n = 0; /* ambiguous: adopt nothing */
                break;
            }
            candidates[n++] = off;
        }
    }
    ncandidates = n;
    parent_tid = tid;
}

int as_faults_tid_adopt(void) {
    if (ncandidates <= 0 || kernel_tid() == parent_tid) return 0;
    unsigned char *self = (unsigned char *)pthread_self();
    pid_t child = kernel_tid();
    int found = -1;
    for (int i = 0; i < ncandidates; i++) {
        pid_t v;
        memcpy(&v, self + candidates[i], sizeof v);
        if (v == child) {
            if (found >= 0) return 0; /* two fields changed: not the one we know */
            found = i;
        }
    }
    if (found < 0) return 0;
    memcpy(self + candidates[found], &parent_tid, sizeof parent_tid);
    return 1;
}
