import { defineCase } from "../../case.ts";
import { allBytes, nonNull, skipOverDebugDefaults } from "../_lib.ts";
import { type Ptr, SST } from "../../../ref/types.ts";

export default defineCase({
  id: "debug_fill/free_fills_dead_byte",
  description:
    "Under the debug hooks, free fills the whole underlying block (n+3S bytes; n+4S with the serial number) with DEADBYTE (0xDD; 0xDB before 3.8), observed over a quarantining allocator so no byte is reused by the allocator beneath",
  spec: {
    section: "spec/cpython-facts.md §2.3",
    quote: "free(p): address check, then fills **all n+3S bytes** with DD, then underlying free(q)",
  },
  features: ["debug-fill"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["debug-hooks"],
  run(ctx) {
    skipOverDebugDefaults(ctx);
    // The allocator beneath the debug layer may reuse the first bytes of a freed block (glibc tcache:
    // 0-15, large bins: 0-31; third-party-allocators.md), and in a runtime with its own threads any byte
    // may be handed out again before we read it. A quarantine (PEP 445 use case 3: a hook over the
    // current allocator whose free keeps the block until the case ends) makes every byte observable.
    const inner = ctx.getAllocator();
    const held: Ptr[] = [];
    ctx.setAllocator({
      ctx: held,
      malloc: (_c, n) => inner.malloc(inner.ctx, n),
      calloc: inner.calloc ? (_c, a, b) => inner.calloc!(inner.ctx, a, b) : null,
      realloc: (_c, p, n) => inner.realloc(inner.ctx, p, n),
      free: (_c, p) => void held.push(p),
    });
    ctx.py.PyMem_SetupDebugHooks();
    try {
      for (const n of [0, 1, 64, 480, 1000]) {
        const p = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
        ctx.fill(p, n, 9);
        ctx.free(p);
        if (held.at(-1) !== p - 2 * SST) {
          ctx.fail(`free(${n}-byte block) did not pass q = p - 2S to the allocator beneath`);
        }
        allBytes(
          ctx,
          ctx.read(p - 2 * SST, n + ctx.debug.overhead),
          ctx.debug.dead,
          `the ${n + ctx.debug.overhead} bytes of a freed ${n}-byte debug block (from p-2S)`,
        );
      }
    } finally {
      ctx.setAllocator(inner); // the debug layer no longer refers to the quarantined blocks
      for (const q of held) inner.free(inner.ctx, q);
    }
  },
});
