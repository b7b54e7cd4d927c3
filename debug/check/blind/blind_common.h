/*
 * blind_common.h: what every allocator of the blind set shares: the PEP 445 struct (from the project's
 * one definition), a lock, and the export macro. Each blind_*.c is a small third-party-style allocator
 * written from the rule list only (debug/check/rules.h), the way an allocator author would write one,
 * with ONE plausible bug. They were written and committed before any of them ran under the checking
 * layer (README.md says the commit), so the catch rate measured on them is not tuned.
 */
#ifndef ALLOCSPEC_BLIND_COMMON_H
#define ALLOCSPEC_BLIND_COMMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pep445.h"

#define BLIND_EXPORT(M, C, R, F)                                                                     \
    __attribute__((visibility("default"))) PyMemAllocatorEx pep445_allocator = {NULL, M, C, R, F}

#endif
