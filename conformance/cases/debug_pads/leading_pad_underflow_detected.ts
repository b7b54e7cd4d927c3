import { defineCase } from "../../case.ts";
import { nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_pads/leading_pad_underflow_detected",
  description:
    "A write to any one of the 7 leading pad bytes (p-7 .. p-1) is reported by free as a bad leading pad byte",
  spec: {
    section: "spec/cpython-facts.md §2.4 (check order)",
    quote: 'p-7 … p-1 not all FD: **"bad leading pad byte"**.',
  },
  features: ["debug-underflow"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  variants: ["p-7", "p-6", "p-5", "p-4", "p-3", "p-2", "p-1"],
  needs: ["debug-hooks"],
  expect: { violation: "bad_leading_pad", func: "_PyMem_DebugRawFree", text: [/bad leading pad byte/] },
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const k = Number(ctx.variant!.slice(2));
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    ctx.write(p - k, [0x78]);
    ctx.free(p);
  },
});
