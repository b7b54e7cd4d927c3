import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { TEST_MEM_OVERFLOW } from "../_cpython_text.ts";

export default defineCase({
  id: "debug_text/overflow_text_matches_test_mem",
  description:
    "The overflow diagnostic of PyMem_Malloc(16); buf[16]='x'; PyMem_Free matches CPython's test_buffer_overflow regex",
  spec: {
    section: "spec/cpython-facts.md §5 (test_mem.py)",
    quote:
      "`test_buffer_overflow`: `_testcapi.pymem_buffer_overflow()` (PyMem_Malloc(16); buf[16]='x'; PyMem_Free).",
  },
  features: ["debug-text", "debug-overflow"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: { violation: "bad_trailing_pad", func: "_PyMem_DebugRawFree", text: [TEST_MEM_OVERFLOW] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.write(p + 16, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
