import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_text/zero_byte_block_has_no_data_line",
  description:
    "The dump of an overflowed 0-byte block says 0 bytes and has no 'Data at p' line (transcript E)",
  spec: {
    section: "spec/cpython-facts.md §3 (transcripts)",
    quote:
      "Transcript E — a 0-byte block overflowed: `0 bytes originally requested`, **no Data line**, then a blank line.",
  },
  features: ["debug-text", "zero-size"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_trailing_pad",
    func: "_PyMem_DebugRawFree",
    text: [
      / {4}0 bytes originally requested\n/,
      / {8}at tail\+7: 0xfd\n\nEnable tracemalloc/,
      /^(?![\s\S]*Data at p)/,
    ],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(0), "PyMem_Malloc(0)");
    ctx.write(p, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
