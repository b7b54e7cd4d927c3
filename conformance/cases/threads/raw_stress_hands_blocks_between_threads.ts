import { availableParallelism } from "node:os";
import { defineCase } from "../../case.ts";

/** The packed result of allocspec_stress_raw (native/include/allocspec.h ALLOCSPEC_STRESS_*). */
const OPS = ["malloc", "calloc", "realloc", "free"];
const SEEN = [
  "malloc returned a block another thread held",
  "calloc returned a block another thread held",
  "realloc returned a block another thread held",
  "a calloc block was not all zero",
  "realloc lost the kept prefix",
  "a block's contents changed while its owner held it",
  "NULL for a small request",
];
const SERIAL = 128;

/** One sentence for a non-zero stress result. */
export function explainStress(r: number, threads: number, rounds: number): string {
  const count = r & 0xffff;
  const blame = OPS.filter((_, i) => (r >> 16) & (1 << i));
  const seenBits = (r >> 20) & 0xff;
  const seen = SEEN.filter((_, i) => seenBits & (1 << i));
  const why = seenBits & SERIAL
    ? "with every call serialised, so no race is needed: the allocator is wrong on one thread, or its state was already corrupt (an earlier run)"
    : blame.length
    ? `${blame.join(", ")} is not thread-safe: ${
      blame[0] === "free"
        ? "malloc, calloc and realloc were each clean alone in parallel and with free serialised; the races appear only when free runs alongside them"
        : `the mismatches appeared with ${blame[0]} alone running in parallel (every other call serialised)`
    }`
    : "a race between different operations other than free (each operation was clean alone in parallel): not attributable to one";
  return `${count} content/ownership mismatches found by the RAW thread stress (${threads} threads x ${rounds} rounds): ${
    seen.join("; ")
  }; ${why}`;
}

export default defineCase({
  id: "threads/raw_stress_hands_blocks_between_threads",
  description:
    "RAW is thread-safe: more threads than cores hand blocks to each other (malloc, calloc, realloc, free mixed); ownership and contents checked, the broken operation named",
  spec: {
    section: "spec/cpython-facts.md §1.3 (per-domain rules)",
    quote: "not required; allocator **must be thread-safe**",
  },
  features: ["threads"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["threads"],
  run(ctx) {
    const stress = ctx.target.stressRaw;
    if (!stress) return ctx.fail(`${ctx.target.label} declares "threads" but has no stressRaw`);
    const threads = Math.min(64, Math.max(16, 4 * availableParallelism()));
    const rounds = 4000;
    const r = stress(threads, rounds, 445);
    if (r === -1) ctx.fail("stressRaw could not run: RAW's allocator calls into JS");
    if (r < 0) ctx.fail(`stressRaw could not run (${r}: bad arguments or no threads)`);
    if (r !== 0) ctx.fail(explainStress(r, threads, rounds));
  },
});
