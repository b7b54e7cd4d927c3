import { defineCase } from "../../case.ts";
import { debugByDefault, hex, nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/realloc_null_zero_acts_as_malloc_zero",
  description:
    "realloc(NULL, 0) acts as malloc(0): a distinct non-NULL block, usable and freeable like any other",
  spec: {
    section: "spec/cpython-facts.md §1.3 (realloc contract, zero size)",
    quote: "returns a distinct non-NULL pointer if possible, as if X_Malloc(1) had been called",
  },
  features: ["zero-size", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    const m = nonNull(ctx, ctx.malloc(0), "malloc(0)");
    const a = nonNull(ctx, ctx.realloc(0, 0), "realloc(NULL, 0)");
    const b = nonNull(ctx, ctx.realloc(0, 0), "a second realloc(NULL, 0)");
    if (a === b || a === m || b === m) {
      ctx.fail(`realloc(NULL, 0) twice and malloc(0) gave ${hex(a)}, ${hex(b)}, ${hex(m)}: not distinct`);
    }
    // under a Py_DEBUG build's default debug hooks a 0-byte block has no writable byte (writing it is an
    // overflow they report: debug_pads/zero_byte_block_overflow_detected); distinctness and growth remain
    const writable = !debugByDefault(ctx);
    if (writable) {
      ctx.write(a, [0x5a]);
      ctx.write(b, [0xa5]);
    }
    const got = writable ? [ctx.read(a, 1)[0], ctx.read(b, 1)[0]] : [0x5a, 0xa5];
    if (got[0] !== 0x5a || got[1] !== 0xa5) {
      ctx.fail(
        `the one byte of each realloc(NULL, 0) block reads back 0x${got[0].toString(16)}, 0x${
          got[1].toString(16)
        } (wrote 0x5a, 0xa5)`,
      );
    }
    const g = nonNull(ctx, ctx.realloc(a, 40), "realloc(realloc(NULL, 0), 40)");
    ctx.free(g);
    ctx.free(b);
    ctx.free(m);
  },
});
