import { defineCase } from "../../case.ts";
import { debugByDefault, nonNull } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_zero_reaches_raw_malloc_zero",
  description:
    "CPython: pymalloc refuses n == 0, so PyObject_Malloc(0) reaches the RAW allocator as malloc(0)",
  spec: {
    section: "spec/cpython-facts.md §1.3 (zero size)",
    quote:
      "pymalloc: it refuses n==0 and n>512, so `_PyObject_Malloc(0)` falls to `PyMem_RawMalloc(0)`, which is malloc(1). The RAW hook sees malloc(0)",
  },
  features: ["fallback", "zero-size", "pymalloc"],
  profiles: ["cpython"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    if (debugByDefault(ctx)) {
      ctx.skip(
        "the default debug hooks of this build turn a 0-byte request into 3S bytes before pymalloc sees it (cpython-facts.md §1.3): pymalloc serves it, no 0 reaches RAW",
      );
    }
    const raw = ctx.hook("RAW");
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(0), "PyObject_Malloc(0)");
    raw.uninstall();
    ctx.py.PyObject_Free(p);
    if (!raw.calls.some((c) => c.op === "malloc" && c.args[0] === 0)) {
      ctx.fail(`RAW hook did not see malloc(0); saw [${raw.calls.map((c) => `${c.op}(${c.args})`)}]`);
    }
  },
});
