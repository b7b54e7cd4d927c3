/**
 * The teeth table: for each deliberately broken target, the cases that MUST FAIL on it.
 *
 * Data-driven on purpose: a row is `{ target, kills }` where `target` is any `--target` spec (a TS mutant
 * `mutant:<name>` from conformance/fixtures/ts/, or a C fixture such as `vtable:<path>.so` from
 * conformance/fixtures/c/ with an optional `setup` that builds it). `conformance/teeth_test.ts` checks
 * that every listed case FAILs on its target (at least one run) and that the rows together kill every
 * normative case (informational cases, known ref gaps and cases needing capabilities ref lacks are
 * listed by the test with their reason). To add fixtures from another module, push rows onto
 * {@link TEETH} from a file imported by the test, or add them here.
 *
 * @example
 * ```ts
 * import { TEETH } from "./teeth_table.ts";
 * TEETH.find((r) => r.target === "mutant:malloc_zero_null")!.kills; // ["zero_size/malloc_zero_distinct_non_null", ...]
 * ```
 * @module
 */
import { buildFixtures, fixturePath } from "./fixtures/c/build.ts";
import { buildHooks, hookPath } from "./fixtures/c/hooks/build.ts";

/** One fixture and the cases it must fail. */
export interface TeethRow {
  /** a --target spec */
  target: string;
  /** case ids that must FAIL (in at least one run) on the target */
  kills: readonly string[];
  /** prepares the target (e.g. compiles a C fixture); runs before the row is checked */
  setup?: () => void | Promise<void>;
  /** capabilities the row needs from the machine (e.g. a C compiler); documented in the test output */
  note?: string;
}

export const TEETH: TeethRow[] = [
  {
    target: "mutant:malloc_zero_null",
    kills: [
      "zero_size/malloc_zero_distinct_non_null",
      "hook_args/malloc_zero_reaches_hook_as_zero",
      "debug_pads/zero_byte_block_overflow_detected",
    ],
  },
  {
    target: "mutant:malloc_zero_shared_block",
    kills: [
      "zero_size/malloc_zero_distinct_non_null",
      "zero_size/zero_size_block_usable_after_other_allocations",
    ],
  },
  {
    target: "mutant:calloc_zero_null",
    kills: [
      "zero_size/calloc_zero_nelem_non_null",
      "zero_size/calloc_zero_elsize_non_null",
    ],
  },
  {
    target: "mutant:realloc_zero_frees",
    kills: [
      "zero_size/realloc_to_zero_non_null",
      "debug_fill/realloc_to_zero_keeps_block",
    ],
  },
  {
    target: "mutant:free_null_throws",
    kills: [
      "free_null/free_null_is_noop",
    ],
  },
  {
    target: "mutant:free_null_filtered",
    kills: [
      "free_null/free_null_reaches_hook",
    ],
  },
  {
    target: "mutant:no_size_check",
    kills: [
      "size_checks/malloc_above_ssize_max_null_without_call",
      "size_checks/realloc_above_ssize_max_null_without_call",
    ],
  },
  {
    target: "mutant:calloc_no_overflow_check",
    kills: [
      "size_checks/calloc_product_overflow_null_without_call",
    ],
  },
  {
    target: "mutant:size_check_off_by_one",
    kills: [
      "size_checks/ssize_max_itself_reaches_allocator",
    ],
  },
  {
    target: "mutant:ssize_max_throws",
    kills: [
      "size_checks/ssize_max_request_returns_null",
    ],
  },
  {
    target: "mutant:calloc_check_too_strict",
    kills: [
      "size_checks/calloc_product_at_limit_not_refused_early",
    ],
  },
  {
    target: "mutant:malloc_rounds_size",
    kills: [
      "hook_args/malloc_42_passes_exactly",
      "hook_args/realloc_passes_pointer_and_size",
    ],
  },
  {
    target: "mutant:calloc_as_product",
    kills: [
      "hook_args/calloc_2_5_passes_exactly",
    ],
  },
  {
    target: "mutant:free_via_realloc_zero",
    kills: [
      "hook_args/free_passes_same_pointer",
      "hook_args/ctx_reaches_every_function",
    ],
  },
  {
    target: "mutant:malloc_zero_rounded_at_entry",
    kills: [
      "hook_args/malloc_zero_reaches_hook_as_zero",
    ],
  },
  {
    target: "mutant:realloc_null_as_malloc_at_entry",
    kills: [
      "hook_args/realloc_null_reaches_hook_as_realloc",
    ],
  },
  {
    target: "mutant:realloc_null_returns_null",
    kills: [
      "realloc/realloc_null_acts_as_malloc",
    ],
  },
  {
    target: "mutant:realloc_loses_prefix",
    kills: [
      "realloc/realloc_grow_keeps_prefix",
      "realloc/realloc_shrink_keeps_prefix",
      "no_overlap/live_blocks_never_overlap",
    ],
  },
  {
    target: "mutant:failed_realloc_damages_old_block",
    kills: [
      "realloc/failed_realloc_keeps_old_block",
      "debug_setup/failed_realloc_restores_debug_block",
    ],
  },
  {
    target: "mutant:pymalloc_realloc_always_moves",
    kills: [
      "realloc/pymalloc_shrink_within_class_in_place",
    ],
  },
  {
    target: "mutant:pymalloc_shrink_always_in_place",
    kills: [
      "realloc/pymalloc_shrink_below_three_quarters_moves",
    ],
  },
  {
    target: "mutant:calloc_not_zeroed",
    kills: [
      "calloc/calloc_zeroes_recycled_memory",
      "calloc/calloc_2013_domain_zeroes_via_malloc",
      "debug_fill/calloc_leaves_zero",
      "debug_setup/debug_calloc_passes_calloc_one_total",
    ],
  },
  {
    target: "mutant:double_handout",
    kills: [
      "no_overlap/live_blocks_never_overlap",
    ],
  },
  {
    target: "mutant:get_returns_copy",
    kills: [
      "get_set/get_returns_what_set_stored",
      "get_set/default_allocator_roundtrip",
    ],
  },
  {
    target: "mutant:set_keeps_reference",
    kills: [
      "get_set/set_copies_the_struct",
    ],
  },
  {
    target: "mutant:realloc_gets_wrong_ctx",
    kills: [
      "hook_args/ctx_reaches_every_function",
    ],
  },
  {
    target: "mutant:get2013_drops_ctx",
    kills: [
      "get_set/get_returns_what_set_stored_2013_api",
    ],
  },
  {
    target: "mutant:set2013_fills_calloc",
    kills: [
      "get_set/set_2013_api_has_no_calloc",
    ],
  },
  {
    target: "mutant:set2013_wrong_ctx",
    kills: [
      "hook_args/ctx_reaches_hook_2013_api",
    ],
  },
  {
    target: "mutant:get_unknown_domain_returns_raw",
    kills: [
      "unknown_domain/get_unknown_domain_all_null",
    ],
  },
  {
    target: "mutant:set_unknown_domain_sets_raw",
    kills: [
      "unknown_domain/set_unknown_domain_ignored",
    ],
  },
  {
    target: "mutant:set_obj_ignored",
    kills: [
      "use_case/hooks_on_all_allocators_shipped_api",
    ],
  },
  {
    target: "mutant:set2013_obj_ignored",
    kills: [
      "use_case/hooks_on_all_allocators",
      "use_case/replace_allocators_override_pymalloc",
    ],
  },
  {
    target: "mutant:arena_set_2013_ignored",
    kills: [
      "use_case/replace_allocators_keep_pymalloc",
      "arena/arena_get_returns_what_set_stored_2013_api",
    ],
  },
  {
    target: "mutant:arena_size_doubled",
    kills: [
      "arena/arena_alloc_called_with_arena_size",
    ],
  },
  {
    target: "mutant:arena_free_wrong_size",
    kills: [
      "arena/arena_freed_with_same_pointer_and_size",
    ],
  },
  {
    target: "mutant:arena_get_returns_copy",
    kills: [
      "arena/arena_get_returns_what_set_stored",
    ],
  },
  {
    target: "mutant:mem_default_swapped",
    kills: [
      "pymalloc/mem_defaults_to_pymalloc",
      "pymalloc/mem_defaults_to_raw_malloc",
    ],
  },
  {
    target: "mutant:obj_default_raw",
    kills: [
      "pymalloc/small_obj_request_does_not_reach_raw",
    ],
  },
  {
    target: "mutant:fallback_swapped",
    kills: [
      "fallback/obj_above_threshold_reaches_raw",
      "fallback/obj_above_threshold_reaches_mem",
      "fallback/obj_realloc_of_large_block_reaches_raw",
      "fallback/obj_realloc_of_large_block_reaches_mem",
    ],
  },
  {
    target: "mutant:obj_zero_rounded",
    kills: [
      "fallback/obj_zero_reaches_raw_malloc_zero",
    ],
  },
  {
    target: "mutant:threshold_511",
    kills: [
      "fallback/obj_threshold_512_served_by_pymalloc",
    ],
  },
  {
    target: "mutant:wrong_clean_byte",
    kills: [
      "debug_fill/malloc_fills_clean_byte",
      "debug_setup/block_header_and_tail_layout",
    ],
  },
  {
    target: "mutant:realloc_growth_not_filled",
    kills: [
      "debug_fill/realloc_growth_fills_clean_byte",
    ],
  },
  {
    target: "mutant:free_no_dead_fill",
    kills: [
      "debug_fill/free_fills_dead_byte",
    ],
  },
  {
    target: "mutant:setup_debug_noop",
    kills: [
      "debug_setup/custom_allocator_sees_n_plus_overhead",
    ],
  },
  {
    target: "mutant:setup_debug_not_idempotent",
    kills: [
      "debug_setup/setup_debug_hooks_is_idempotent",
    ],
  },
  {
    target: "mutant:no_tail_check",
    kills: [
      "debug_pads/trailing_pad_overflow_detected",
      "debug_pads/trailing_pad_overflow_detected_by_realloc",
      "debug_pads/zero_byte_block_overflow_detected",
      "abort/overflow_aborts_with_test_mem_text",
      "debug_text/overflow_text_matches_test_mem",
    ],
  },
  {
    target: "mutant:no_lead_check",
    kills: [
      "debug_pads/leading_pad_underflow_detected",
      "debug_text/underflow_text_matches_transcript",
      "abort/underflow_aborts_2013_text",
    ],
  },
  {
    target: "mutant:no_id_check",
    kills: [
      "debug_api_id/corrupted_api_id_detected",
      "debug_api_id/raw_block_freed_by_mem",
      "debug_api_id/raw_block_reallocd_by_mem",
      "debug_api_id/raw_block_freed_by_obj",
      "debug_api_id/raw_block_reallocd_by_obj",
      "debug_api_id/mem_block_freed_by_raw",
      "debug_api_id/mem_block_reallocd_by_raw",
      "debug_api_id/mem_block_freed_by_obj",
      "debug_api_id/mem_block_reallocd_by_obj",
      "debug_api_id/obj_block_freed_by_raw",
      "debug_api_id/obj_block_reallocd_by_raw",
      "debug_api_id/obj_block_freed_by_mem",
      "debug_api_id/obj_block_reallocd_by_mem",
      "debug_text/api_misuse_text_matches_test_mem",
      "abort/api_misuse_aborts_with_test_mem_text",
    ],
  },
  {
    target: "mutant:debug_no_overhead_check",
    kills: [
      "debug_setup/debug_size_check_leaves_room_for_overhead",
    ],
  },
  {
    target: "mutant:malloc_writes_past_end",
    kills: [
      "debug_pads/intact_block_frees_without_report",
    ],
  },
  {
    target: "mutant:text_no_tracemalloc_hint",
    kills: [
      "debug_text/overflow_text_matches_test_mem",
      "debug_text/api_misuse_text_matches_test_mem",
      "debug_text/underflow_text_matches_transcript",
      "debug_text/zero_byte_block_has_no_data_line",
      "abort/overflow_aborts_with_test_mem_text",
      "abort/api_misuse_aborts_with_test_mem_text",
    ],
  },
  {
    target: "mutant:text_fatal_prefix_toggled",
    kills: [
      "debug_text/overflow_text_2013_profile",
      "debug_text/fatal_line_followed_by_runtime_state",
      "abort/underflow_aborts_2013_text",
    ],
  },
  {
    target: "mutant:text_data_line_full",
    kills: [
      "debug_text/data_line_shows_first_and_last_8_bytes",
    ],
  },
  {
    target: "mutant:text_no_runtime_state",
    kills: [
      "debug_text/fatal_line_followed_by_runtime_state",
      "abort/overflow_aborts_with_test_mem_text",
    ],
  },
  {
    target: "mutant:no_gil_check",
    kills: [
      "gil/malloc_without_gil_detected",
      "gil/free_null_without_gil_detected",
      "gil/mem_realloc_without_gil_detected",
      "abort/malloc_without_gil_aborts",
    ],
  },
  {
    target: "mutant:free_null_before_gil_check",
    kills: [
      "gil/free_null_without_gil_detected",
    ],
  },
  {
    target: "mutant:gil_check_everywhere",
    kills: [
      "gil/raw_not_checked_without_gil",
      "gil/no_gil_check_in_2013_profile",
    ],
  },
  {
    target: "mutant:misaligned_by_8",
    kills: [
      "alignment/sixteen_for_every_size",
      "alignment/min16_or_power_of_two_below_size",
    ],
  },
  {
    target: "mutant:misaligned_by_4",
    kills: [
      "alignment/eight_for_every_size",
      "alignment/sixteen_for_every_size",
      "alignment/min16_or_power_of_two_below_size",
    ],
  },
];

// issue #8's blind spots: each new case is killed by a fixture made for it
TEETH.push(
  {
    target: "mutant:calloc_realloc_misaligned_by_8",
    kills: ["alignment/calloc_and_realloc_results_aligned"],
  },
  {
    target: "mutant:realloc_null_zero_returns_null",
    kills: ["zero_size/realloc_null_zero_acts_as_malloc_zero"],
  },
  {
    target: "mutant:malloc_zero_byte_read_only",
    kills: ["zero_size/malloc_zero_byte_writable"],
  },
  {
    target: "mutant:calloc_zeroes_whole_words_only",
    kills: ["calloc/calloc_zeroes_odd_sizes_on_dirty_memory"],
  },
  {
    target: "mutant:huge_request_returns_block",
    kills: ["size_checks/impossible_size_gives_null"],
  },
  {
    target: "mutant:shrink_copies_old_size",
    kills: ["realloc/shrink_leaves_neighbours_intact"],
  },
  {
    // informational: its FAIL is reported, never fails a run
    target: "mutant:allocator_calloc_wraps_product",
    kills: ["size_checks/allocator_calloc_overflow_called_directly"],
  },
);

/** A valid alternative implementation and the cases that must PASS on it (no false FAIL). */
export interface ValidRow {
  /** a --target spec */
  target: string;
  /** why it is valid, and what it does differently from ref */
  why: string;
  /** case ids that must have zero FAIL and zero ERROR on it (and at least one PASS each) */
  passes: readonly string[];
}

/**
 * Valid implementations that differ from CPython's: each must pass the cases listed, and the teeth
 * test also runs every normative case on them and requires zero FAIL.
 */
export const VALID: ValidRow[] = [
  {
    target: "mutant:debug_realloc_by_malloc_copy_free",
    why:
      "a debug realloc that grows by debug malloc + copy + debug free never calls the realloc below (as valid as CPython's save-and-mark)",
    passes: ["debug_setup/failed_realloc_restores_debug_block", "realloc/failed_realloc_keeps_old_block"],
  },
];

/** C vtable fixtures (conformance/fixtures/c/): compiled on demand, installed into the native library. */
function cFixture(name: string, kills: string[]): TeethRow {
  return {
    target: `vtable:${fixturePath(name)}`,
    kills,
    setup: () => void buildFixtures({ names: [name], quiet: true }),
    note: "needs a C compiler",
  };
}

TEETH.push(
  cFixture("not_thread_safe", ["threads/raw_stress_hands_blocks_between_threads"]),
  cFixture("not_thread_safe_malloc", ["threads/raw_stress_hands_blocks_between_threads"]),
  cFixture("not_thread_safe_calloc", ["threads/raw_stress_hands_blocks_between_threads"]),
  cFixture("not_thread_safe_realloc", ["threads/raw_stress_hands_blocks_between_threads"]),
  cFixture("not_thread_safe_free", ["threads/raw_stress_hands_blocks_between_threads"]),
  cFixture("malloc0_null", ["zero_size/malloc_zero_distinct_non_null"]),
  cFixture("realloc0_frees", ["zero_size/realloc_to_zero_non_null"]),
  cFixture("calloc_dirty", ["calloc/calloc_zeroes_recycled_memory"]),
  cFixture("realloc_loses_prefix", ["realloc/realloc_grow_keeps_prefix"]),
  cFixture("align8", ["alignment/sixteen_for_every_size"]),
  cFixture("overlap", ["no_overlap/live_blocks_never_overlap"]),
);

/**
 * C fixture hooks (conformance/fixtures/c/hooks/, one rule broken each), judged as `hook:` targets over
 * native. Rows run in this process, so hooks that corrupt the heap (size_wrap) are judged only by
 * fixtures/c/hooks/hooks_test.ts, in worker processes.
 */
function hookFixture(name: string, kills: string[]): TeethRow {
  return {
    target: `hook:${hookPath(name)}`,
    kills,
    setup: () => void buildHooks({ names: [name], quiet: true }),
    note: "needs a C compiler",
  };
}

TEETH.push(
  hookFixture("fallback_on_null", [
    "hook_failure/malloc_null_from_below_gives_null",
    "hook_failure/calloc_null_from_below_gives_null",
    "hook_failure/realloc_null_from_below_gives_null",
  ]),
  hookFixture("realloc_frees", ["hook_failure/failed_realloc_does_not_free_below"]),
  hookFixture("realloc_poisons", [
    "hook_failure/failed_realloc_keeps_old_block_intact",
    "hook_size/own_requests_keep_size_up_to_ssize_max",
  ]),
  hookFixture("size32", ["hook_size/own_requests_keep_size_up_to_ssize_max"]),
  hookFixture("wrong_domain", [
    "hook_forward/each_domain_forwards_to_its_own_allocator",
    "hook_compose/api_misuse_detected_with_debug_hooks_below",
  ]),
  hookFixture("own_ctx", ["hook_forward/below_ctx_unchanged"]),
  hookFixture("assumes_header", ["hook_forward/blocks_from_before_install_pass_through"]),
  hookFixture("free_null", ["hook_forward/free_below_gets_pointers_from_below"]),
  hookFixture("rounds_up", ["hook_compose/overflow_detected_with_debug_hooks_below"]),
);
