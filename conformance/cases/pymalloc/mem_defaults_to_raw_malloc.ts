import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "pymalloc/mem_defaults_to_raw_malloc",
  description:
    "PEP 2013 text: PyMem_Malloc and PyMem_Realloc call the system malloc()/realloc() (not pymalloc)",
  spec: {
    section: "PEP 445, Make usage of these new APIs",
    quote:
      "``PyMem_Malloc()`` and ``PyMem_Realloc()`` always call ``malloc()`` and ``realloc()``, instead of calling ``PyObject_Malloc()`` and ``PyObject_Realloc()`` in debug mode",
  },
  features: ["pymalloc"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["api-shipped"],
  run(ctx) {
    const raw = ctx.getAllocator("RAW");
    const mem = ctx.getAllocator("MEM");
    same(ctx, mem.malloc, raw.malloc, "MEM's default malloc (the same system malloc as RAW)");
    same(ctx, mem.realloc, raw.realloc, "MEM's default realloc");
    ctx.py.PyMem_Free(nonNull(ctx, ctx.py.PyMem_Malloc(100), "PyMem_Malloc(100)"));
  },
});
