import { defineCase } from "../../case.ts";
import { defaultOverhead, hex, nonNull, recordArenas } from "../_lib.ts";

export default defineCase({
  id: "arena/arena_freed_with_same_pointer_and_size",
  description:
    "Arenas emptied by frees are released with free(ctx, ptr, size) using the pointer and size of their alloc",
  spec: {
    section: "spec/cpython-facts.md §1.2",
    quote: "`PyObjectArenaAllocator`: `ctx`, `alloc(ctx,size)`, `free(ctx, ptr, size)`.",
  },
  features: ["arena", "pymalloc"],
  profiles: ["cpython", "pep445-2013"],
  domains: [],
  needs: ["arena", "pymalloc"],
  run(ctx) {
    const rec = recordArenas(ctx);
    const blocks: number[] = [];
    // enough 512-byte pymalloc blocks for four arenas (some may fit in pools that already exist); a
    // Py_DEBUG build's default debug hooks add 3S before pymalloc sees the request
    const n = 512 - defaultOverhead(ctx);
    const per = Math.ceil((4 * (ctx.py.geometry === "cpython310" ? 1 << 20 : 256 << 10)) / 512);
    for (let i = 0; i < per; i++) {
      blocks.push(nonNull(ctx, ctx.py.PyObject_Malloc(n), `PyObject_Malloc(${n}) #${i}`));
    }
    for (const p of blocks) ctx.py.PyObject_Free(p);
    if (rec.allocs.length < 2) {
      ctx.fail(`expected at least 2 new arenas for ${per} blocks of ${n} bytes, got ${rec.allocs.length}`);
    }
    if (rec.frees.length === 0) {
      ctx.fail(`no arena was freed after freeing every block of ${rec.allocs.length} arenas`);
    }
    const live = new Map(rec.allocs.map((a) => [a.ptr, a.size]));
    for (const f of rec.frees) {
      if (f.ctx !== rec.ctx) ctx.fail("arena free was not given the arena allocator's ctx");
      const size = live.get(f.ptr);
      if (size === undefined) {
        ctx.fail(`arena free(${hex(f.ptr)}, ${f.size}) of a pointer that is not a live arena`);
      }
      if (size !== f.size) {
        ctx.fail(`arena free(${hex(f.ptr)}, ${f.size}): the arena was allocated with size ${size}`);
      }
      live.delete(f.ptr);
    }
  },
});
