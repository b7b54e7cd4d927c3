/**
 * The C struct layouts TypeScript reads and writes through FFI, in bytes (LP64): the TS half of the
 * `_Static_assert`s in native/include/allocspec.h. layouts_test.ts compiles a probe against that header
 * and checks every size and offset here against the C compiler's; the loader (native.ts) and the
 * benchmarks' trace reader (bench/trace.ts) take their offsets from here or are checked against it.
 *
 * See docs/contracts.md section 5 (FFI structs) and section 4 (the A445TRC1 trace).
 *
 * @example
 * ```ts
 * import { C_LAYOUTS } from "./layouts.ts";
 * const out = new BigUint64Array(C_LAYOUTS.allocspec_replay_result.size / 8);
 * const ops = out[C_LAYOUTS.allocspec_replay_result.fields.ops / 8];
 * ```
 * @module
 */

/** One struct: its sizeof and the offsetof of each field. */
export interface CLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

/** Pointer size the FFI side assumes (64-bit slots; pointers cross as 8 bytes). */
export const POINTER_SIZE = 8;

/** Every struct shared with C, by its C name. */
export const C_LAYOUTS = {
  PyMemAllocatorEx: { size: 40, fields: { ctx: 0, malloc: 8, calloc: 16, realloc: 24, free: 32 } },
  allocspec_replay_result: {
    size: 40,
    fields: { ns: 0, ops: 8, failed: 16, peak_live_bytes: 24, checksum: 32 },
  },
  allocspec_entry_table: { size: 96, fields: { malloc: 0, calloc: 24, realloc: 48, free: 72 } },
  allocspec_trace_header: { size: 32, fields: { magic: 0, version: 8, nslots: 12, nops: 16, reserved: 24 } },
  allocspec_trace_record: {
    size: 20,
    fields: { op: 0, domain: 1, flags: 2, slot: 4, src: 8, size: 12, elsize: 16 },
  },
} as const satisfies Record<string, CLayout>;

/** The constants of the trace format shared with C (ALLOCSPEC_TRACE_* in allocspec.h). */
export const C_TRACE = { magic: "A445TRC1", version: 1, noSlot: 0xffffffff } as const;
