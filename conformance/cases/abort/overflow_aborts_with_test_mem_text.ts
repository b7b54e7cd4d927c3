import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";
import { TEST_MEM_OVERFLOW } from "../_cpython_text.ts";

export default defineCase({
  id: "abort/overflow_aborts_with_test_mem_text",
  description:
    "In violation mode abort, a buffer overflow kills the process with SIGABRT and CPython's test_buffer_overflow text on stderr",
  spec: {
    section: "spec/cpython-facts.md §2.4",
    quote:
      "On the first failure it calls `_PyObject_DebugDumpAddress(p)` and then `Py_FatalError`, which calls abort(): **SIGABRT**",
  },
  features: ["debug-text", "debug-overflow"],
  profiles: ["cpython"],
  domains: [],
  needs: ["debug-hooks", "death"],
  death: { expect: { signal: "SIGABRT", stderr: [TEST_MEM_OVERFLOW, /Python runtime state: initialized/] } },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.py.PyMem_Malloc(16), "PyMem_Malloc(16)");
    ctx.write(p + 16, [0x78]);
    ctx.py.PyMem_Free(p);
  },
});
