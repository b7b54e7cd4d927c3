import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { grownBitmap, HeapCorruptionError, InvalidPointerError, RawAllocator } from "./raw.ts";

const fresh = (limit = 64 << 20) => {
  const heap = new Heap({ limit });
  return { heap, raw: new RawAllocator(heap) };
};

/** xorshift32: a seeded PRNG, so every run checks the same sequence. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0) / 4294967296;
  };
}

test("raw: blocks are 16-aligned, above the first page, disjoint; malloc(0) is a unique block", () => {
  const { raw } = fresh();
  const ptrs = [0, 0, 1, 15, 16, 17, 100, 1000, 5000].map((n) => [raw.malloc(n), n] as const);
  for (const [p, n] of ptrs) {
    assert.ok(p >= Heap.FIRST_ADDRESS && p % 16 === 0, `malloc(${n}) = ${p}`);
    assert.ok(raw.usableSize(p) >= n);
  }
  const sorted = [...ptrs].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) {
    assert.ok(sorted[i - 1][0] + raw.usableSize(sorted[i - 1][0]) <= sorted[i][0], "blocks overlap");
  }
  assert.notEqual(ptrs[0][0], ptrs[1][0]);
  assert.equal(raw.liveBlocks, 9);
  assert.equal(raw.liveBytes, 0 + 0 + 1 + 15 + 16 + 17 + 100 + 1000 + 5000);
  raw.check();
});

test("raw: a freed block is reused by the next request of its size", () => {
  const { raw } = fresh();
  const a = raw.malloc(48), guard = raw.malloc(48);
  raw.free(a);
  assert.equal(raw.malloc(40), a);
  raw.free(guard);
  raw.check();
});

test("raw: three adjacent freed blocks coalesce; a malloc of their total size reuses the first address", () => {
  const { raw } = fresh();
  const a = raw.malloc(100), b = raw.malloc(200), c = raw.malloc(300);
  const guard = raw.malloc(16); // keeps the three away from the top region
  const total = (b - a) + (c - b) + raw.usableSize(c); // bytes from a to the end of c, minus a's header
  raw.free(a);
  raw.free(c);
  raw.free(b); // merges backwards with a and forwards with c
  assert.equal(raw.check().freeChunks, 1);
  assert.equal(raw.malloc(total), a);
  assert.equal(raw.usableSize(a), total);
  assert.ok(raw.isLive(guard));
  raw.check();
});

test("raw: a large free block is split; the rest serves the next request", () => {
  const { raw } = fresh();
  const big = raw.malloc(4000);
  raw.malloc(16); // guard
  raw.free(big);
  const x = raw.malloc(100);
  assert.equal(x, big);
  const y = raw.malloc(100);
  assert.equal(y, x + raw.usableSize(x) + 16, "the remainder starts right after x");
  assert.equal(raw.check().freeChunks, 1);
});

test("raw: realloc grows in place into a free successor and at the heap end; shrinks in place", () => {
  const { heap, raw } = fresh();
  const a = raw.malloc(64), b = raw.malloc(1000);
  raw.malloc(16); // guard
  heap.u8.fill(7, a, a + 64);
  raw.free(b);
  assert.equal(raw.realloc(a, 500), a, "grows into the free successor");
  assert.ok(heap.read(a, 64).every((x) => x === 7));
  const t = raw.malloc(2000); // too big for the free remainder: carved from the top region, so last
  assert.equal(raw.realloc(t, 1 << 20), t, "grows into the top region (and the heap)");
  assert.equal(raw.realloc(t, 10), t, "shrinks in place");
  assert.equal(raw.liveBytes, 500 + 16 + 10);
  assert.equal(raw.check().freeChunks, 1, "only the remainder after a");
  raw.check();
});

test("raw: realloc moves when it must, copying the contents; realloc(NULL, n) and realloc(p, 0)", () => {
  const { heap, raw } = fresh();
  const a = raw.malloc(32);
  heap.write(a, [1, 2, 3, 4]);
  raw.malloc(16); // a cannot grow in place
  const b = raw.realloc(a, 4096);
  assert.notEqual(b, a);
  assert.deepEqual([...heap.read(b, 4)], [1, 2, 3, 4]);
  assert.equal(raw.isLive(a), false);
  const c = raw.realloc(0, 24);
  assert.ok(raw.isLive(c));
  assert.equal(raw.realloc(c, 0), 0, "glibc: realloc(p, 0) frees p and returns NULL");
  assert.equal(raw.isLive(c), false);
  assert.equal(raw.liveBlocks, 2);
  raw.check();
});

test("raw: at the heap limit malloc/calloc/realloc return NULL; counts and the old block are unchanged", () => {
  const { heap, raw } = fresh(1 << 20);
  const p = raw.malloc(1000);
  heap.u8.fill(0x33, p, p + 1000);
  const blocks = raw.liveBlocks, bytes = raw.liveBytes;
  assert.equal(raw.malloc(2 << 20), 0);
  assert.equal(raw.malloc(1 << 20), 0);
  assert.equal(raw.calloc(1 << 10, 1 << 10), 0);
  assert.equal(raw.realloc(p, 2 << 20), 0);
  assert.equal(raw.malloc(2 ** 62), 0);
  assert.equal(raw.liveBlocks, blocks);
  assert.equal(raw.liveBytes, bytes);
  assert.ok(heap.read(p, 1000).every((x) => x === 0x33), "a failed realloc leaves the block intact");
  const fill: number[] = []; // the heap really is usable up to the limit
  for (let q; (q = raw.malloc(10000)) !== 0;) fill.push(q);
  assert.ok(fill.length >= 90, `only ${fill.length} blocks of 10000 fit in 1 MiB`);
  for (const q of fill) raw.free(q);
  raw.check();
});

test("raw: calloc zeroes recycled memory and returns NULL when nelem * elsize overflows", () => {
  const { heap, raw } = fresh();
  const a = raw.malloc(256);
  raw.malloc(16);
  heap.u8.fill(0xff, a, a + 256);
  raw.free(a);
  const z = raw.calloc(16, 16);
  assert.equal(z, a, "recycled");
  assert.ok(heap.read(z, 256).every((x) => x === 0));
  assert.equal(raw.calloc(2 ** 32, 2 ** 32), 0);
  assert.equal(raw.calloc(2 ** 62, 4), 0);
  const u = raw.calloc(0, 5);
  assert.notEqual(u, 0);
  assert.notEqual(raw.calloc(5, 0), u);
  raw.check();
});

test("raw: invalid, double and interior frees throw InvalidPointerError naming the address; state intact", () => {
  const { raw } = fresh();
  const a = raw.malloc(64), b = raw.malloc(64);
  raw.free(a);
  assert.throws(
    () => raw.free(a),
    (e: unknown) => e instanceof InvalidPointerError && /0x[0-9a-f]+/.test(e.message),
  );
  assert.throws(() => raw.free(b + 16), new RegExp(`free\\(\\): invalid pointer 0x${(b + 16).toString(16)}`));
  assert.throws(() => raw.free(b + 1), InvalidPointerError);
  assert.throws(() => raw.free(8), InvalidPointerError);
  assert.throws(() => raw.free(1 << 29), InvalidPointerError);
  assert.throws(() => raw.realloc(a, 10), /realloc\(\): invalid pointer/);
  assert.throws(() => raw.usableSize(a), InvalidPointerError);
  raw.free(0);
  assert.equal(raw.liveBlocks, 1);
  assert.equal(raw.isLive(b), true);
  raw.check();
  raw.free(b);
  assert.equal(raw.liveBlocks, 0);
  assert.throws(() => raw.malloc(-1), /size must be a non-negative integer/);
  assert.throws(() => raw.malloc(1.5), RangeError);
});

test("raw: an overwritten size field is reported as heap corruption, not followed", () => {
  const { heap, raw } = fresh();
  const a = raw.malloc(64);
  raw.malloc(64);
  heap.u32[(a - 8) >>> 2] = 0xffff_fff1;
  assert.throws(() => raw.free(a), HeapCorruptionError);
});

test("raw: segments: when someone else takes the heap after us, a new segment starts and nothing crosses", () => {
  const { heap, raw } = fresh();
  const a = raw.malloc(100);
  const foreign = heap.sbrk(65536, 4096); // like the arena allocator's mmap
  heap.u8.fill(0xee, foreign, foreign + 65536);
  const big = raw.malloc(512 * 1024); // does not fit in the first segment's top region
  assert.ok(big >= foreign + 65536);
  heap.u8.fill(0x11, big, big + 512 * 1024);
  const blocks = [];
  for (let i = 0; i < 100; i++) blocks.push(raw.malloc(3000));
  for (const p of blocks) raw.free(p);
  raw.free(big);
  raw.free(a);
  assert.ok(heap.read(foreign, 65536).every((x) => x === 0xee), "the foreign range is untouched");
  const r = raw.check();
  assert.equal(raw.liveBlocks, 0);
  assert.ok(r.freeChunks <= 1, "the retired top of the first segment is the only free chunk");
});

test("raw: random churn (seeded): contents survive, counts stay exact, invariants hold", () => {
  const { heap, raw } = fresh(32 << 20);
  const rnd = prng(445);
  const live: { p: number; n: number; tag: number }[] = [];
  const u8 = heap.u8;
  const fillTag = (p: number, n: number, tag: number) => {
    for (let i = 0; i < n; i++) u8[p + i] = (tag + i) & 255;
  };
  const verify = (b: { p: number; n: number; tag: number }) => {
    for (let i = 0; i < b.n; i++) {
      if (u8[b.p + i] !== ((b.tag + i) & 255)) {
        assert.fail(`block ${b.p} (tag ${b.tag}) overwritten at +${i}`);
      }
    }
  };
  let bytes = 0;
  for (let step = 0; step < 20000; step++) {
    const r = rnd();
    const size = rnd() < 0.9 ? Math.floor(rnd() * 600) : Math.floor(rnd() * 70000);
    if (r < 0.45 || live.length === 0) {
      const p = rnd() < 0.2 ? raw.calloc(1, size) : raw.malloc(size);
      assert.notEqual(p, 0);
      const b = { p, n: size, tag: step };
      fillTag(p, size, step);
      live.push(b);
      bytes += size;
    } else if (r < 0.8) {
      const i = Math.floor(rnd() * live.length);
      const b = live[i];
      verify(b);
      raw.free(b.p);
      bytes -= b.n;
      live[i] = live[live.length - 1];
      live.pop();
    } else {
      const b = live[Math.floor(rnd() * live.length)];
      verify(b);
      const q = raw.realloc(b.p, size);
      if (size === 0) {
        assert.equal(q, 0);
        live.splice(live.indexOf(b), 1);
        bytes -= b.n;
        continue;
      }
      assert.notEqual(q, 0);
      for (let i = 0; i < Math.min(b.n, size); i++) {
        if (u8[q + i] !== ((b.tag + i) & 255)) assert.fail(`realloc lost byte ${i}`);
      }
      bytes += size - b.n;
      b.p = q;
      b.n = size;
      b.tag = step;
      fillTag(q, size, step);
    }
    if (step % 2500 === 0) raw.check();
    assert.equal(raw.liveBlocks, live.length);
  }
  assert.equal(raw.liveBytes, bytes);
  raw.check();
  for (const b of live) {
    verify(b);
    raw.free(b.p);
  }
  const r = raw.check();
  assert.equal(raw.liveBlocks, 0);
  assert.equal(raw.liveBytes, 0);
  assert.equal(r.freeChunks, 0, "everything coalesced back into the top region");
});

test("raw: grownBitmap copies the bits, grows to whole pages, at least doubles, stops at the cap", () => {
  const a = new Uint32Array(1024); // 4096 bytes
  a[0] = 0xdeadbeef;
  a[1023] = 7;
  const b = grownBitmap(a, 4100, 1 << 20);
  assert.equal(b.byteLength, 8192); // doubled (also the page-rounded need)
  assert.equal(b[0], 0xdeadbeef);
  assert.equal(b[1023], 7);
  assert.equal(b[1024], 0);
  assert.equal(grownBitmap(b, 40000, 1 << 20).byteLength, 40960); // page-rounded need beats doubling
  assert.equal(grownBitmap(b, 9000, 12288).byteLength, 12288); // capped
});
