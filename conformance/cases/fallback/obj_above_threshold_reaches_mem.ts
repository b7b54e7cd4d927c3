import { defineCase } from "../../case.ts";
import { nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "fallback/obj_above_threshold_reaches_mem",
  description: "PEP 2013 text: PyObject_Malloc(1000) falls back to PyMem_Malloc, not to malloc() or RAW",
  spec: {
    section: "PEP 445, Make usage of these new APIs",
    quote:
      "``PyObject_Malloc()`` falls back on ``PyMem_Malloc()`` instead of ``malloc()`` if size is greater or equal than ``SMALL_REQUEST_THRESHOLD`` (512 bytes)",
  },
  features: ["fallback", "pymalloc"],
  profiles: ["pep445-2013"],
  domains: [],
  needs: ["api-shipped", "pymalloc"],
  run(ctx) {
    const raw = ctx.hook("RAW");
    const mem = ctx.hook("MEM");
    const p = nonNull(ctx, ctx.py.PyObject_Malloc(1000), "PyObject_Malloc(1000)");
    ctx.py.PyObject_Free(p);
    mem.uninstall();
    raw.uninstall();
    const hit = mem.calls.find((c) => c.op === "malloc" && c.args[0] === 1000);
    if (!hit) {
      ctx.fail(
        `MEM hook did not see malloc(1000); MEM saw [${
          mem.calls.map((c) => `${c.op}(${c.args})`)
        }], RAW saw [${raw.calls.map((c) => `${c.op}(${c.args})`)}]`,
      );
    }
    same(
      ctx,
      mem.calls.filter((c) => c.op === "free").length,
      1,
      "MEM frees of the fallback block by PyObject_Free",
    );
  },
});
