import { defineCase } from "../../case.ts";

const ENOMEM = 12; // Linux

export default defineCase({
  id: "posix/calloc_overflow_sets_enomem",
  description:
    "Informational (POSIX, not PEP 445): the RAW allocator itself, called with calloc(SIZE_MAX/2+1, 2), returns NULL and sets errno to ENOMEM",
  spec: {
    section: "spec/third-party-allocators.md (consequences for the suite)",
    quote: "errno is POSIX, not PEP 445: report it as information, not as a failure.",
  },
  features: ["posix", "calloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW"],
  needs: ["errno", "calloc"],
  informational: true,
  run(ctx) {
    const e = ctx.target.errno ?? ctx.fail("the target declares errno but gives no accessor");
    // the allocator directly: the entry point would refuse the product before calling it
    const a = ctx.getAllocator();
    const calloc = a.calloc ?? ctx.fail("the RAW allocator has no calloc");
    e.set(0);
    const p = calloc(a.ctx, 2 ** 63, 2);
    const err = e.get();
    if (p !== 0) {
      a.free(a.ctx, p);
      ctx.fail("calloc(SIZE_MAX/2+1, 2) returned a block");
    }
    if (err !== ENOMEM) {
      ctx.fail(`calloc(SIZE_MAX/2+1, 2) returned NULL with errno ${err}, expected ENOMEM (${ENOMEM})`);
    }
  },
});
