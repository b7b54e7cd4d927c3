import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { TEST_MEM_API_MISUSE } from "../_cpython_text.ts";

export default defineCase({
  id: "debug_text/api_misuse_text_matches_test_mem",
  description:
    "The diagnostic of PyMem_Malloc(16) then PyMem_RawFree matches CPython's test_api_misuse regex",
  spec: {
    section: "spec/cpython-facts.md §5 (test_mem.py)",
    quote: "`test_api_misuse`: `pymem_api_misuse()` (PyMem_Malloc(16), then PyMem_RawFree).",
  },
  features: ["debug-text", "debug-api-id"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks"],
  expect: { violation: "bad_id", func: "_PyMem_DebugRawFree", text: [TEST_MEM_API_MISUSE] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.py.PyMem_RawFree(p);
  },
});
