import { defineCase } from "../../case.ts";
import { debugByDefault, nonNull } from "../_lib.ts";

export default defineCase({
  id: "zero_size/malloc_zero_byte_writable",
  description:
    "A malloc(0) block is as if malloc(1): its one byte is writable, reads back, and survives other blocks' writes",
  spec: {
    section: "spec/cpython-facts.md §1.3 (zero size)",
    quote: "returns a distinct non-NULL pointer if possible, as if X_Malloc(1) had been called",
  },
  features: ["zero-size"],
  profiles: ["cpython", "pep445-2013"],
  domains: ["RAW", "MEM", "OBJ"],
  needs: [],
  run(ctx) {
    if (debugByDefault(ctx)) {
      ctx.skip(
        "the default debug hooks of this build give a 0-byte block no writable byte by design: writing it is the overflow debug_pads/zero_byte_block_overflow_detected expects them to report (cpython-facts.md §2.1, §2.3)",
      );
    }
    const zeros: number[] = [];
    for (let i = 0; i < 16; i++) {
      const p = nonNull(ctx, ctx.malloc(0), `malloc(0) #${i}`);
      ctx.write(p, [0x40 + i]);
      zeros.push(p);
    }
    // neighbours of every small size, filled: a zero block that shares bytes with them loses its byte
    const others: number[] = [];
    for (const n of [0, 1, 1, 2, 7, 8, 16, 24, 32]) {
      const q = nonNull(ctx, ctx.malloc(n), `malloc(${n})`);
      if (n > 0) ctx.write(q, new Uint8Array(n).fill(0xee));
      else ctx.write(q, [0xee]);
      others.push(q);
    }
    zeros.forEach((p, i) => {
      const b = ctx.read(p, 1)[0];
      if (b !== 0x40 + i) {
        ctx.fail(
          `malloc(0) #${i}: its byte reads 0x${b.toString(16)}, wrote 0x${
            (0x40 + i).toString(16)
          } (not writable or shared)`,
        );
      }
    });
    for (const p of [...zeros, ...others]) ctx.free(p);
  },
});
