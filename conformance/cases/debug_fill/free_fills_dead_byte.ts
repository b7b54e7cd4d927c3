import { defineCase } from "../../case.ts";
import { allBytes, nonNull } from "../_lib.ts";

export default defineCase({
  id: "debug_fill/free_fills_dead_byte",
  description: "Under the debug hooks, free fills the block with DEADBYTE (0xDD; 0xDB before 3.8); only the first 16 bytes of the underlying block may be reused by the allocator beneath",
  spec: { section: "cpython-facts.md §2.3", quote: "free(p): address check, then fills **all n+3S bytes** with DD, then underlying free(q). The allocator beneath may then reuse the first bytes" },
  features: ["debug-fill"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    ctx.py.PyMem_SetupDebugHooks();
    // sizes that stay in pymalloc (MEM, OBJ) and in glibc tcache (RAW): larger freed chunks get glibc
    // large-bin links at q[16..32), i.e. inside the data (third-party-allocators.md: "0-15" is the tcache case)
    for (const n of [64, 200, 480]) {
      const keep = nonNull(ctx, ctx.malloc(n), `neighbour malloc(${n})`);
      const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      const guard = nonNull(ctx, ctx.malloc(n), `neighbour malloc(${n})`);
      ctx.fill(p, n, 9);
      ctx.free(p);
      // q = p - 2S is the underlying block; q[0..16) = p-16..p-1 may hold the allocator's own links
      allBytes(ctx, ctx.read(p, n), ctx.debug.dead, `data of a freed ${n}-byte block`);
      ctx.free(keep);
      ctx.free(guard);
    }
  },
});
