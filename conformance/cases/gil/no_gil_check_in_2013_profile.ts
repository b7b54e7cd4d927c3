import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "gil/no_gil_check_in_2013_profile",
  description: "Before CPython 3.6 (the PEP's hooks) the debug hooks did not check the GIL in MEM or OBJ",
  spec: {
    section: "spec/cpython-facts.md §1.1",
    quote: "The debug hooks check the GIL for MEM and OBJ, and dumps show the tracemalloc traceback.",
  },
  features: ["gil"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["debug-hooks", "gil"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    ctx.py.setGilHeld(false);
    ctx.py.PyMem_Free(nonNull(ctx, ctx.py.PyMem_Malloc(10), "PyMem_Malloc(10) without the GIL"));
    ctx.py.PyObject_Free(nonNull(ctx, ctx.py.PyObject_Malloc(10), "PyObject_Malloc(10) without the GIL"));
    ctx.py.setGilHeld(true);
  },
});
