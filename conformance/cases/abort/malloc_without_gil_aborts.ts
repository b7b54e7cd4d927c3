import { defineCase } from "../../case.ts";
import { TEST_MEM_NO_GIL } from "../_cpython_text.ts";

export default defineCase({
  id: "abort/malloc_without_gil_aborts",
  description:
    "In violation mode abort, PyMem_Malloc without the GIL dies by SIGABRT with the no-GIL fatal line",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote: "PyMem_Malloc or PyObject_Free(NULL) without the GIL (debug, malloc_debug) | −6 |",
  },
  features: ["gil", "debug-text"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "gil", "death"],
  death: { expect: { signal: "SIGABRT", stderr: [TEST_MEM_NO_GIL] } },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    ctx.py.PyMem_Malloc(10);
  },
});
