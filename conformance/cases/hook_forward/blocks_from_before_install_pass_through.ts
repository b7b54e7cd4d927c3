import { defineCase } from "../../case.ts";
import { hex, nonNull } from "../_lib.ts";
import { hookOf } from "../_hook.ts";

export default defineCase({
  id: "hook_forward/blocks_from_before_install_pass_through",
  description:
    "Blocks allocated below before the hook was installed, then reallocated and freed through it, reach the allocator below as they are",
  spec: {
    section: "spec/cpython-facts.md §1.3 (contract for calling SetAllocator)",
    quote: "After initialisation, a new allocator **must wrap** the existing one.",
  },
  features: ["use-case"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: ["hook"],
  run(ctx) {
    const { h, below, hooked } = hookOf(ctx);
    if (!hooked) return; // the hook leaves this domain alone: nothing of it to check
    let a = 0, b = 0;
    h.reinstall(() => { // the recorders are back in place: these blocks come from below, without the hook
      a = nonNull(ctx, ctx.malloc(40), "malloc(40) before the hook");
      b = nonNull(ctx, ctx.malloc(100), "malloc(100) before the hook");
      ctx.fill(b, 100, 4);
    });
    const q = nonNull(ctx, ctx.realloc(b, 3000), "realloc(older block, 3000) through the hook");
    ctx.verify(q, 100, 4, "an older block reallocated through the hook");
    ctx.free(a);
    ctx.free(q);
    if (below.foreign.length) {
      ctx.fail(
        `blocks allocated before the hook reached the allocator below as pointers it never returned: ${
          below.foreign.map((f) => `${f.op}(${hex(f.ptr)})`).join(", ")
        } (older blocks were ${hex(a)}, ${hex(b)})`,
      );
    }
    if (!below.recorder.calls.some((c) => c.op === "free" && c.args[0] === a)) {
      ctx.fail(`free of the older block ${hex(a)} did not reach the allocator below as free(${hex(a)})`);
    }
  },
});
