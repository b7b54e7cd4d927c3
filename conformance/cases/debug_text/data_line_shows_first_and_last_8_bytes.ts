import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_text/data_line_shows_first_and_last_8_bytes",
  description:
    "For blocks over 16 bytes the Data line shows the first 8 bytes, ' ...', and the last 8 (transcript D)",
  spec: {
    section: "spec/cpython-facts.md §3 (transcripts)",
    quote:
      "Transcript D — a 40-byte block with byte tail+3 hit: `Data at p: 00 01 02 03 04 05 06 07 ... 20 21 22 23 24 25 26 27`.",
  },
  features: ["debug-text"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_trailing_pad",
    func: "_PyMem_DebugRawFree",
    text: [
      / {8}at tail\+3: 0x78 \*\*\* OUCH\n/,
      / {4}Data at p: 00 01 02 03 04 05 06 07 \.\.\. 20 21 22 23 24 25 26 27\n/,
    ],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(40), "PyMem_Malloc(40)");
    ctx.write(p, Array.from({ length: 40 }, (_, i) => i));
    ctx.write(p + 43, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
