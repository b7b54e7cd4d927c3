import { defineCase } from "../../case.ts";
import { allBytes, nonNull, same } from "../_lib.ts";

export default defineCase({
  id: "debug_setup/block_header_and_tail_layout",
  description:
    "A debug block is [size as big-endian size_t][API id][7 x FORBIDDENBYTE] data [8 x FORBIDDENBYTE]",
  spec: {
    section: "spec/cpython-facts.md §2.1",
    quote:
      "Observed header for PyMem_Malloc(16): `00 00 00 00 00 00 00 10 6d fd fd fd fd fd fd fd | cd×16 | fd×8`",
  },
  features: ["debug-setup", "debug-fill"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    const p = nonNull(ctx, ctx.malloc(16), "malloc(16)");
    const b = ctx.read(p - 16, 16 + 16 + 8);
    same(ctx, [...b.slice(0, 8)].join(" "), "0 0 0 0 0 0 0 16", "size field at p-16 (big-endian 16)");
    same(ctx, b[8], ctx.apiId, "API id byte at p-8");
    allBytes(ctx, b.slice(9, 16), ctx.debug.forbidden, "leading pad p-7 .. p-1");
    allBytes(ctx, b.slice(16, 32), ctx.debug.clean, "data");
    allBytes(ctx, b.slice(32, 40), ctx.debug.forbidden, "trailing pad p+16 .. p+23");
    ctx.free(p);
  },
});
