import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_pads/zero_byte_block_overflow_detected",
  description: "Writing the first byte of a 0-byte debug block hits the trailing pad and is reported",
  spec: {
    section: "spec/cpython-facts.md §3 (transcripts)",
    quote:
      "Transcript E — a 0-byte block overflowed: `0 bytes originally requested`, **no Data line**, then a blank line.",
  },
  features: ["debug-overflow", "zero-size"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  expect: { violation: "bad_trailing_pad", func: "_PyMem_DebugRawFree" },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(0), "malloc(0)");
    ctx.write(p, [0x78]);
    ctx.free(p);
  },
});
