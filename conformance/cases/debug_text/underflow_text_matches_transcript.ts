import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_text/underflow_text_matches_transcript",
  description:
    "The underflow diagnostic lists p-7 .. p-1 with OUCH at p-1 and warns that the size may be bogus (transcript B)",
  spec: {
    section: "spec/cpython-facts.md §3 (transcript B)",
    quote: "Because memory is corrupted at the start, the count of bytes requested",
  },
  features: ["debug-text", "debug-underflow"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: {
    violation: "bad_leading_pad",
    func: "_PyMem_DebugRawFree",
    text: [
      new RegExp(
        "Debug memory block at address p=(?:0x)?[0-9a-fA-F]+: API 'm'\\n    16 bytes originally requested\\n" +
          "    The 7 pad bytes at p-7 are not all FORBIDDENBYTE \\(0xfd\\):\\n" +
          "        at p-7: 0xfd\\n        at p-6: 0xfd\\n        at p-5: 0xfd\\n        at p-4: 0xfd\\n        at p-3: 0xfd\\n        at p-2: 0xfd\\n" +
          "        at p-1: 0x78 \\*\\*\\* OUCH\\n" +
          "    Because memory is corrupted at the start, the count of bytes requested\\n" +
          "       may be bogus, and checking the trailing pad bytes may segfault.\\n" +
          "    The 8 pad bytes at tail=(?:0x)?[0-9a-fA-F]+ are FORBIDDENBYTE, as expected.\\n" +
          "    Data at p: cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd cd\\n\\n" +
          "Enable tracemalloc to get the memory block allocation traceback\\n\\n" +
          "Fatal Python error: _PyMem_DebugRawFree: bad leading pad byte\\n",
      ),
    ],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.write(p - 1, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
