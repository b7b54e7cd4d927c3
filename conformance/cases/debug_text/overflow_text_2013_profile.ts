import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_text/overflow_text_2013_profile",
  description:
    "CPython <= 3.7 text: 0xfb pads, cb data, a serial-number line, no tracemalloc/runtime-state lines, no function prefix",
  spec: {
    section: "spec/cpython-facts.md §2.5",
    quote:
      '**3.6 and 3.7** also had no "Enable tracemalloc" line and no runtime-state line, always printed the serial-number line, and printed fill bytes `0xfb`/`cb`',
  },
  features: ["debug-text", "debug-overflow"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_trailing_pad",
    func: "_PyMem_DebugRawFree",
    text: [
      / {4}The 8 pad bytes at tail=(?:0x)?[0-9a-fA-F]+ are not all FORBIDDENBYTE \(0xfb\):\n {8}at tail\+0: 0x78 \*\*\* OUCH\n {8}at tail\+1: 0xfb\n/,
      / {4}The block was made by call #[0-9]+ to debug malloc\/realloc.\n {4}Data at p: cb cb cb/,
      /Fatal Python error: bad trailing pad byte/,
      /^(?![\s\S]*(?:Enable tracemalloc|Python runtime state))/,
    ],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.write(p + 16, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
