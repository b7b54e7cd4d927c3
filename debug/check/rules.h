/*
 * rules.h: the rules the checking layer checks, one X-macro shared by C (check.h) and TypeScript
 * (rules.ts parses the X(...) lines of this file), in memray's style: one list both sides must agree on.
 *
 * Each rule is named by the id of the conformance case that checks the same observable in isolation
 * (conformance/cases/<id>.ts), so a violation found in a real program links to that case, its spec
 * section and its verbatim quote; rules_test.ts fails when an id is not an existing case.
 *
 *     X(NAME, "conformance case id", "what the layer saw, as a one-line summary")
 *
 * One entry per line, the id a plain string: rules.ts reads this file as text.
 */
#ifndef ALLOCSPEC_CHECK_RULES_H
#define ALLOCSPEC_CHECK_RULES_H

#define AS_CHECK_RULES(X)                                                                                    \
    X(MALLOC_ZERO_NULL, "zero_size/malloc_zero_distinct_non_null", "malloc(0) returned NULL or a live block")  \
    X(CALLOC_ZERO_NELEM, "zero_size/calloc_zero_nelem_non_null", "calloc(0, n) returned NULL")               \
    X(CALLOC_ZERO_ELSIZE, "zero_size/calloc_zero_elsize_non_null", "calloc(n, 0) returned NULL")             \
    X(REALLOC_TO_ZERO, "zero_size/realloc_to_zero_non_null", "realloc(p, 0) returned NULL")                  \
    X(REALLOC_NULL_ZERO, "zero_size/realloc_null_zero_acts_as_malloc_zero", "realloc(NULL, 0) returned NULL") \
    X(ZERO_NOT_WRITABLE, "zero_size/malloc_zero_byte_writable", "a zero-size block's byte is not writable")   \
    X(ZERO_OVERLAP, "zero_size/zero_size_block_usable_after_other_allocations",                              \
      "a zero-size block overlaps another live block")                                                       \
    X(REALLOC_NULL, "realloc/realloc_null_acts_as_malloc", "realloc(NULL, n) returned NULL, malloc(n) did not") \
    X(ALIGN_WEAK, "alignment/min16_or_power_of_two_below_size",                                              \
      "a malloc block is not aligned to min(16, largest power of two <= size)")                              \
    X(ALIGN_CALLOC_REALLOC, "alignment/calloc_and_realloc_results_aligned",                                  \
      "a calloc or realloc block is not aligned to min(16, largest power of two <= size)")                   \
    X(ALIGN_STRONG, "alignment/sixteen_for_every_size", "a block is not 16-byte aligned (strong rule)")       \
    X(CALLOC_DIRTY, "calloc/calloc_zeroes_recycled_memory", "calloc returned a block that is not all zero")   \
    X(REALLOC_GROW, "realloc/realloc_grow_keeps_prefix", "a growing realloc lost the old contents")           \
    X(REALLOC_SHRINK, "realloc/realloc_shrink_keeps_prefix",                                                 \
      "a shrinking or same-size realloc lost the kept contents")                                             \
    X(FAILED_REALLOC, "realloc/failed_realloc_keeps_old_block",                                              \
      "a failed realloc changed or released the old block")                                                  \
    X(OVERLAP, "no_overlap/live_blocks_never_overlap", "a block overlaps another live block")                \
    X(THREADS, "threads/raw_stress_hands_blocks_between_threads",                                            \
      "two threads were handed overlapping live blocks")                                                     \
    X(NOT_LIVE, "hook_forward/free_below_gets_pointers_from_below",                                          \
      "free or realloc of a pointer that is not a live block of this allocator")                             \
    X(CALLOC_OVERFLOW, "size_checks/allocator_calloc_overflow_called_directly",                              \
      "calloc(nelem, elsize) with an overflowing product returned a block")                                  \
    X(FREE_NULL, "free_null/free_null_is_noop", "free(NULL) did not return")                                 \
    X(RAW_FREED_BY_MEM, "debug_api_id/raw_block_freed_by_mem", "a RAW block was freed by MEM")               \
    X(RAW_FREED_BY_OBJ, "debug_api_id/raw_block_freed_by_obj", "a RAW block was freed by OBJ")               \
    X(MEM_FREED_BY_RAW, "debug_api_id/mem_block_freed_by_raw", "a MEM block was freed by RAW")               \
    X(MEM_FREED_BY_OBJ, "debug_api_id/mem_block_freed_by_obj", "a MEM block was freed by OBJ")               \
    X(OBJ_FREED_BY_RAW, "debug_api_id/obj_block_freed_by_raw", "an OBJ block was freed by RAW")              \
    X(OBJ_FREED_BY_MEM, "debug_api_id/obj_block_freed_by_mem", "an OBJ block was freed by MEM")              \
    X(RAW_REALLOCD_BY_MEM, "debug_api_id/raw_block_reallocd_by_mem", "a RAW block was reallocated by MEM")   \
    X(RAW_REALLOCD_BY_OBJ, "debug_api_id/raw_block_reallocd_by_obj", "a RAW block was reallocated by OBJ")   \
    X(MEM_REALLOCD_BY_RAW, "debug_api_id/mem_block_reallocd_by_raw", "a MEM block was reallocated by RAW")   \
    X(MEM_REALLOCD_BY_OBJ, "debug_api_id/mem_block_reallocd_by_obj", "a MEM block was reallocated by OBJ")   \
    X(OBJ_REALLOCD_BY_RAW, "debug_api_id/obj_block_reallocd_by_raw", "an OBJ block was reallocated by RAW")  \
    X(OBJ_REALLOCD_BY_MEM, "debug_api_id/obj_block_reallocd_by_mem", "an OBJ block was reallocated by MEM")

#endif
