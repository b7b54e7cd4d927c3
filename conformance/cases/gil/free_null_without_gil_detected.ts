import { defineCase } from "../../case.ts";

export default defineCase({
  id: "gil/free_null_without_gil_detected",
  description:
    "The GIL check comes before the NULL check: PyObject_Free(NULL) without the GIL is reported by _PyMem_DebugFree",
  spec: {
    section: "spec/cpython-facts.md §2.3",
    quote: "free(NULL): returns at once, but only **after** the GIL check in the MEM and OBJ domains",
  },
  features: ["gil", "free-null"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "gil"],
  expect: {
    violation: "no_gil",
    func: "_PyMem_DebugFree",
    text: [/_PyMem_DebugFree: Python memory allocator called without holding the GIL/],
  },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    ctx.py.PyObject_Free(0);
  },
});
