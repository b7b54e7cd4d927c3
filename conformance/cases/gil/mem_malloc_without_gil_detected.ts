import { defineCase } from "../../case.ts";
import { TEST_MEM_NO_GIL } from "../_cpython_text.ts";

export default defineCase({
  id: "gil/mem_malloc_without_gil_detected",
  description: "CPython 3.6+: PyMem_Malloc without the GIL under the debug hooks is reported by _PyMem_DebugMalloc",
  spec: { section: "cpython-facts.md §2.6", quote: "Message: `Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL`" },
  features: ["gil"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "gil"],
  expect: { violation: "no_gil", func: "_PyMem_DebugMalloc", text: [TEST_MEM_NO_GIL] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    ctx.py.PyMem_Malloc(10);
  },
});
