import { defineCase } from "../../case.ts";
import { allBytes, nonNull, same } from "../_lib.ts";
import type { PyMemAllocators } from "../../../ref/types.ts";

export default defineCase({
  id: "calloc/calloc_2013_domain_zeroes_via_malloc",
  description:
    "A domain set through the 2013 API (no calloc) still gives zeroed calloc blocks: malloc(nelem*elsize) then zero",
  spec: {
    section: "ref/types.ts (host conventions)",
    quote:
      "A domain set through the 2013 draft API (`PyMemAllocators`, no calloc) has `calloc === null`; the `*Calloc` entry points then allocate with `malloc(nelem * elsize)` and zero the block themselves.",
  },
  features: ["calloc", "get-set"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["api-2013", "calloc"],
  run(ctx) {
    const inner = ctx.get2013();
    const sizes: number[] = [];
    const dirtyMalloc: PyMemAllocators = {
      ctx: { dirty: true },
      malloc(_c, n) {
        sizes.push(n);
        const p = inner.malloc(inner.ctx, n);
        if (p) ctx.write(p, new Uint8Array(n).fill(0x5a));
        return p;
      },
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => inner.free(inner.ctx, p),
    };
    ctx.set2013(dirtyMalloc);
    const p = nonNull(ctx, ctx.calloc(6, 7), "calloc(6, 7) over a 2013-API allocator");
    allBytes(ctx, ctx.read(p, 42), 0, "calloc(6, 7) block");
    same(ctx, sizes[sizes.length - 1], 42, "size passed to malloc for calloc(6, 7)");
    ctx.free(p);
    ctx.set2013(inner);
  },
});
