import { defineCase } from "../../case.ts";
import { TEST_MEM_NO_GIL } from "../_cpython_text.ts";

export default defineCase({
  id: "gil/malloc_without_gil_detected",
  description:
    "CPython 3.6+: PyMem_Malloc / PyObject_Malloc without the GIL under the debug hooks is reported by _PyMem_DebugMalloc",
  spec: {
    section: "spec/cpython-facts.md §5 (test_mem.py)",
    quote: "`test_pymem_malloc_without_gil` and `test_pyobject_malloc_without_gil`",
  },
  features: ["gil"],
  profiles: ["cpython"],
  domains: ["MEM", "OBJ"],
  needs: ["debug-hooks", "gil"],
  expect: { violation: "no_gil", func: "_PyMem_DebugMalloc", text: [TEST_MEM_NO_GIL] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    ctx.malloc(10);
  },
});
