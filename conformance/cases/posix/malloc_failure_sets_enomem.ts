import { defineCase } from "../../case.ts";

const ENOMEM = 12; // Linux

export default defineCase({
  id: "posix/malloc_failure_sets_enomem",
  description:
    "Informational (POSIX, not PEP 445): the RAW allocator itself, asked for 2^62 bytes, returns NULL and sets errno to ENOMEM",
  spec: {
    section: "spec/third-party-allocators.md (consequences for the suite)",
    quote: "errno is POSIX, not PEP 445: report it as information, not as a failure.",
  },
  features: ["posix"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW"],
  needs: ["errno"],
  informational: true,
  run(ctx) {
    const e = ctx.target.errno ?? ctx.fail("the target declares errno but gives no accessor");
    const a = ctx.getAllocator();
    e.set(0);
    const p = a.malloc(a.ctx, 2 ** 62);
    const err = e.get();
    if (p !== 0) {
      a.free(a.ctx, p);
      ctx.fail("malloc(2^62) returned a block");
    }
    if (err !== ENOMEM) ctx.fail(`malloc(2^62) returned NULL with errno ${err}, expected ENOMEM (${ENOMEM})`);
  },
});
