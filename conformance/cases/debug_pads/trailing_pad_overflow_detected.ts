import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_pads/trailing_pad_overflow_detected",
  description:
    "A write to any one of the 8 trailing pad bytes (tail+0 .. tail+7) is reported by free as a bad trailing pad byte",
  spec: {
    section: "spec/cpython-facts.md §2.4 (check order)",
    quote: 'The size is read and the tail p+n … p+n+S-1 checked: **"bad trailing pad byte"**.',
  },
  features: ["debug-overflow"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  variants: ["tail+0", "tail+1", "tail+2", "tail+3", "tail+4", "tail+5", "tail+6", "tail+7"],
  needs: ["debug-hooks"],
  expect: { violation: "bad_trailing_pad", func: "_PyMem_DebugRawFree", text: [/bad trailing pad byte/] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const k = Number(ctx.variant!.slice(5));
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.write(p + 16 + k, [0x78]);
    ctx.free(p);
  },
});
