import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_pads/trailing_pad_overflow_detected_by_realloc",
  description: "realloc checks the block too: an overflow is reported by _PyMem_DebugRawRealloc",
  spec: {
    section: "spec/cpython-facts.md §3 (observed)",
    quote: "overflow caught by PyMem_RawRealloc | −6 | `_PyMem_DebugRawRealloc: bad trailing pad byte`",
  },
  features: ["debug-overflow", "realloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  expect: { violation: "bad_trailing_pad", func: "_PyMem_DebugRawRealloc" },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.write(p + 16, [0x78]);
    ctx.realloc(p, 32);
  },
});
