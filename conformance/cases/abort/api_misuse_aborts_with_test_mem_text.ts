import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { TEST_MEM_API_MISUSE } from "../_cpython_text.ts";

export default defineCase({
  id: "abort/api_misuse_aborts_with_test_mem_text",
  description:
    "In violation mode abort, PyMem_Malloc then PyMem_RawFree dies by SIGABRT with test_api_misuse's text",
  spec: {
    section: "spec/cpython-facts.md §7 (guidance)",
    quote: "Status: debug-hook violations give SIGABRT (−6, shell status 134; Windows exit code 3).",
  },
  features: ["debug-text", "debug-api-id"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "death"],
  death: { expect: { signal: "SIGABRT", stderr: [TEST_MEM_API_MISUSE] } },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.py.PyMem_RawFree(p);
  },
});
