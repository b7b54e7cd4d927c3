import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { RawAllocator } from "./raw.ts";
import { createDefaultArenaAllocator } from "./arena.ts";
import { Pymalloc } from "./pymalloc.ts";
import { HeapCorruptionError, InvalidPointerError } from "./raw_layout.ts";
import type { Geometry, PyObjectArenaAllocator } from "./types.ts";

const GEOMETRIES: Geometry[] = ["pep445", "cpython310"];

/** A pymalloc over a fresh heap whose arena allocator records every call. */
function setup(geometry: Geometry, limit = 256 << 20) {
  const heap = new Heap({ limit });
  const raw = new RawAllocator(heap);
  const base = createDefaultArenaAllocator(heap);
  const calls: string[] = [];
  let current: PyObjectArenaAllocator = {
    ctx: base.ctx,
    alloc: (ctx, size) => {
      const p = base.alloc(ctx, size);
      calls.push(`alloc(${size})=${p}`);
      return p;
    },
    free: (ctx, p, size) => {
      calls.push(`free(${p},${size})`);
      base.free(ctx, p, size);
    },
  };
  const pm = new Pymalloc(heap, geometry, () => current, raw);
  return { heap, raw, pm, calls, setArena: (a: PyObjectArenaAllocator) => (current = a) };
}

test("pymalloc: geometry constants (POOL_OVERHEAD = sizeof(pool_header) = 48 rounded to ALIGNMENT)", () => {
  const a = setup("pep445").pm, b = setup("cpython310").pm;
  assert.deepEqual([a.ARENA_SIZE, a.POOL_SIZE, a.ALIGNMENT, a.POOL_OVERHEAD, a.NB_SMALL_SIZE_CLASSES], [
    256 * 1024,
    4096,
    8,
    48,
    64,
  ]);
  assert.deepEqual([b.ARENA_SIZE, b.POOL_SIZE, b.ALIGNMENT, b.POOL_OVERHEAD, b.NB_SMALL_SIZE_CLASSES], [
    1024 * 1024,
    16384,
    16,
    48,
    32,
  ]);
  assert.throws(
    () => new Pymalloc(new Heap(), "pep999" as Geometry, () => null!, null!),
    /use "pep445" or "cpython310"/,
  );
});

for (const g of GEOMETRIES) {
  test(`pymalloc (${g}): every size 1..512 gets an aligned pool block of (idx+1) << ALIGNMENT_SHIFT bytes`, () => {
    const { heap, pm, raw } = setup(g);
    const blocks: [number, number][] = [];
    for (let n = 1; n <= 512; n++) {
      const p = pm.malloc(n);
      assert.equal(p % pm.ALIGNMENT, 0, `malloc(${n}) = ${p}`);
      assert.ok(pm.owns(p));
      assert.equal(pm.blockSize(p), Math.ceil(n / pm.ALIGNMENT) * pm.ALIGNMENT);
      assert.equal(pm.blockSize(p), (((n - 1) >> pm.ALIGNMENT_SHIFT) + 1) << pm.ALIGNMENT_SHIFT);
      heap.u8.fill(n & 255, p, p + n);
      blocks.push([p, n]);
    }
    for (const [p, n] of blocks) {
      assert.ok(heap.read(p, n).every((x) => x === (n & 255)), `block ${n} clobbered`);
    }
    assert.equal(raw.liveBlocks, 0, "nothing went to the fallback");
    assert.equal(pm.stats().blocksLive, 512);
  });

  test(`pymalloc (${g}): a pool holds (POOL_SIZE - POOL_OVERHEAD) / size blocks, handed out in address order`, () => {
    const { pm } = setup(g);
    for (const size of [pm.ALIGNMENT, 48, 256, 512]) {
      const per = Math.floor((pm.POOL_SIZE - pm.POOL_OVERHEAD) / size);
      const first = pm.malloc(size);
      const pool = first & ~(pm.POOL_SIZE - 1);
      assert.equal(first, pool + pm.POOL_OVERHEAD, "the first block follows the pool header");
      let last = first;
      for (let i = 1; i < per; i++) {
        const p = pm.malloc(size);
        assert.equal(p, last + size, `block ${i} of class ${size}`);
        last = p;
      }
      assert.ok(last + size <= pool + pm.POOL_SIZE);
      const next = pm.malloc(size);
      assert.notEqual(next & ~(pm.POOL_SIZE - 1), pool, `a pool of ${size}-byte blocks holds ${per}`);
    }
    if (g === "cpython310") assert.equal(Math.floor((16384 - 48) / 16), 1021);
  });
}

test("pymalloc: 1021 blocks of 16 bytes per 16 KiB pool (cpython310), 506 blocks of 8 bytes per 4 KiB pool (pep445)", () => {
  for (const [g, size, want] of [["cpython310", 16, 1021], ["pep445", 8, 506]] as const) {
    const { pm } = setup(g);
    const pool = pm.malloc(size) & ~(pm.POOL_SIZE - 1);
    let n = 1;
    while ((pm.malloc(size) & ~(pm.POOL_SIZE - 1)) === pool) n++;
    assert.equal(n, want, `${g}: ${size}-byte blocks per pool`);
    assert.equal(pm.stats().poolsFull, 1);
    assert.equal(pm.stats().poolsUsed, 1);
  }
});

test("pymalloc: a freed block is reused first (LIFO free list)", () => {
  const { pm } = setup("cpython310");
  const a = pm.malloc(32), b = pm.malloc(32), c = pm.malloc(32);
  pm.free(a);
  pm.free(c);
  assert.equal(pm.malloc(32), c);
  assert.equal(pm.malloc(32), a);
  assert.notEqual(pm.malloc(32), b);
});

test("pymalloc: realloc stays in place exactly when n <= size && 4n > 3*size", () => {
  const { heap, pm, raw } = setup("cpython310");
  const p = pm.malloc(64); // class of 64 bytes
  heap.write(p, Array.from({ length: 64 }, (_, i) => i));
  assert.equal(pm.realloc(p, 64), p);
  assert.equal(pm.realloc(p, 49), p, "4*49 = 196 > 192");
  const q = pm.realloc(p, 48); // 4*48 = 192, not > 192: moves to the 48-byte class
  assert.notEqual(q, p);
  assert.equal(pm.blockSize(q), 48);
  assert.deepEqual([...heap.read(q, 48)], Array.from({ length: 48 }, (_, i) => i), "copies n bytes");
  assert.throws(() => pm.free(p), InvalidPointerError, "the old block was freed");
  const r = pm.realloc(q, 49); // grows past the class: moves, copies the old 48
  assert.equal(pm.blockSize(r), 64);
  assert.deepEqual([...heap.read(r, 48)], Array.from({ length: 48 }, (_, i) => i));
  const big = pm.realloc(r, 1000); // to the fallback
  assert.equal(pm.owns(big), false);
  assert.ok(raw.isLive(big));
  assert.deepEqual([...heap.read(big, 48)], Array.from({ length: 48 }, (_, i) => i));
  const big2 = pm.realloc(big, 2000); // a non-pymalloc pointer goes to fallback.realloc
  assert.equal(pm.owns(big2), false);
  assert.equal(raw.liveBlocks, 1);
  const z = pm.realloc(pm.malloc(16), 0); // realloc(p, 0): malloc(0) from the fallback, p freed
  assert.ok(raw.isLive(z));
  assert.equal(pm.stats().blocksLive, 0);
  const n = pm.realloc(0, 24);
  assert.ok(pm.owns(n));
});

test("pymalloc: 0 and > 512 bytes go to the fallback; calloc zeroes (recycled blocks too)", () => {
  const { heap, pm, raw } = setup("pep445");
  const z = pm.malloc(0), big = pm.malloc(513), top = pm.malloc(512);
  assert.equal(pm.owns(z), false);
  assert.equal(pm.owns(big), false);
  assert.equal(pm.owns(top), true);
  assert.equal(raw.liveBlocks, 2);
  heap.u8.fill(0xff, top, top + 512);
  pm.free(top);
  const c = pm.calloc(2, 256);
  assert.equal(c, top, "recycled");
  assert.ok(heap.read(c, 512).every((x) => x === 0));
  const cb = pm.calloc(1, 513);
  assert.ok(raw.isLive(cb));
  assert.ok(heap.read(cb, 513).every((x) => x === 0));
  assert.ok(raw.isLive(pm.calloc(0, 7)));
  pm.free(z);
  pm.free(big);
  pm.free(cb);
  assert.equal(raw.liveBlocks, 1);
});

test("pymalloc: owns() is exact: arena ranges only, never raw blocks, false after the arena is released", () => {
  const { pm, raw, calls } = setup("cpython310");
  const a = pm.malloc(8);
  const base = Number(/alloc\(1048576\)=(\d+)/.exec(calls[0])![1]);
  const r = raw.malloc(8);
  assert.equal(pm.owns(r), false);
  assert.equal(pm.owns(a), true);
  assert.equal(pm.owns(base), true, "address_in_range covers the whole arena, header and lost pool too");
  assert.equal(pm.owns(base + pm.ARENA_SIZE - 1), true);
  assert.equal(pm.owns(base + pm.ARENA_SIZE), false);
  assert.equal(pm.owns(base - 1), false);
  assert.equal(pm.owns(0), false);
  assert.equal(pm.owns(-16), false);
  pm.free(r); // goes to the fallback
  assert.equal(raw.liveBlocks, 0);
});

test("pymalloc: arenas come from the current arena allocator with ARENA_SIZE and go back with the same ptr/size", () => {
  const { pm, calls, setArena, heap } = setup("pep445");
  const perArena = 64 * 7; // 512-byte blocks: 7 per 4 KiB pool, 64 pools (PageMapper arenas are page-aligned)
  const blocks: number[] = [];
  for (let i = 0; i < 3 * perArena; i++) blocks.push(pm.malloc(512));
  assert.deepEqual(calls.map((c) => c.replace(/=\d+/, "")), [
    "alloc(262144)",
    "alloc(262144)",
    "alloc(262144)",
  ]);
  const [A, B, C] = calls.map((c) => Number(c.split("=")[1]));
  assert.deepEqual(blocks.slice(0, perArena).every((p) => p >= A && p < A + pm.ARENA_SIZE), true);
  const arenaOf = (p: number) => (p >= A && p < A + 262144 ? A : p >= B && p < B + 262144 ? B : C);
  // Free all of B: it is the only (so the last) usable arena: kept (bpo-37257).
  for (const p of blocks.filter((p) => arenaOf(p) === B)) pm.free(p);
  assert.equal(calls.length, 3);
  assert.deepEqual(pm.usableArenas(), [{ address: B, nfreepools: 64, ntotalpools: 64 }]);
  // Free all of A: it sorts before B (fewer free pools) and is released when wholly free.
  for (const p of blocks.filter((p) => arenaOf(p) === A)) pm.free(p);
  assert.deepEqual(calls.slice(3), [`free(${A},262144)`]);
  assert.equal(pm.owns(blocks[0]), false, "a released arena is no longer pymalloc's");
  assert.equal(pm.owns(A), false);
  assert.equal(pm.owns(B), true);
  // Switch the arena allocator: releases and new arenas go through the new one.
  const other = createDefaultArenaAllocator(heap);
  const log: string[] = [];
  setArena({
    ctx: other.ctx,
    alloc: (ctx, n) => (log.push(`alloc(${n})`), other.alloc(ctx, n)),
    free: (_ctx, p, n) => void log.push(`free(${p},${n})`),
  });
  for (const p of blocks.filter((p) => arenaOf(p) === C)) pm.free(p);
  assert.deepEqual(log, [`free(${C},262144)`], "C goes back through the current allocator");
  assert.deepEqual(pm.stats(), {
    arenasAllocated: 3,
    arenasFreed: 2,
    arenasLive: 1,
    poolsUsed: 0,
    poolsFull: 0,
    poolsEmpty: 64,
    blocksLive: 0,
  });
  for (let i = 0; i < perArena + 1; i++) pm.malloc(512); // B is reused, then one new arena
  assert.deepEqual(log.slice(1), ["alloc(262144)"]);
});

test("pymalloc: usable_arenas stays sorted by ascending nfreepools; new pools come from the most used arena", () => {
  const { pm } = setup("pep445");
  const perPool = 7, perArena = 64 * perPool;
  const blocks: number[] = [];
  for (let i = 0; i < 4 * perArena; i++) blocks.push(pm.malloc(512));
  // Empty 5 pools of arena 0, 2 of arena 1, 9 of arena 2, 1 of arena 3.
  const emptied = [5, 2, 9, 1];
  emptied.forEach((k, a) => {
    for (let i = 0; i < k * perPool; i++) pm.free(blocks[a * perArena + i]);
  });
  const order = pm.usableArenas();
  assert.deepEqual(order.map((a) => a.nfreepools), [1, 2, 5, 9]);
  const mostUsed = order[0].address;
  const p = pm.malloc(512 - 8); // no used pool of this class: a fresh pool from the head arena
  assert.ok(p >= mostUsed && p < mostUsed + pm.ARENA_SIZE);
  assert.deepEqual(pm.usableArenas().map((a) => a.nfreepools), [2, 5, 9]);
});

test("pymalloc: a lone arena is kept when emptied and reused without calling the arena allocator", () => {
  const { pm, calls } = setup("cpython310");
  const ps = Array.from({ length: 5000 }, () => pm.malloc(100));
  for (const p of ps) pm.free(p);
  assert.equal(calls.length, 1);
  assert.equal(pm.stats().arenasLive, 1);
  pm.malloc(100);
  assert.equal(calls.length, 1);
});

test("pymalloc: an unaligned arena (PEP use case 1: malloc(size + padding)) loses one pool; NULL arena -> fallback", () => {
  const { pm, raw, setArena } = setup("cpython310");
  setArena({ ctx: 10, alloc: (pad, size) => raw.malloc(size + pad), free: (_pad, p) => raw.free(p) });
  const p = pm.malloc(16);
  assert.ok(pm.owns(p));
  assert.deepEqual(pm.usableArenas().map((a) => [a.ntotalpools, a.nfreepools]), [[63, 62]]);
  assert.deepEqual(pm.stats(), {
    arenasAllocated: 1,
    arenasFreed: 0,
    arenasLive: 1,
    poolsUsed: 1,
    poolsFull: 0,
    poolsEmpty: 0,
    blocksLive: 1,
  });
  const { pm: pm2, raw: raw2, setArena: set2 } = setup("pep445");
  set2({ ctx: null, alloc: () => 0, free: () => assert.fail("nothing to free") });
  const q = pm2.malloc(16);
  assert.ok(raw2.isLive(q), "no arena: _PyObject_Malloc falls back to the raw allocator");
  assert.equal(pm2.owns(q), false);
});

test("pymalloc: double, interior and stray frees of arena addresses throw InvalidPointerError, state intact", () => {
  const { pm } = setup("cpython310");
  const a = pm.malloc(64), b = pm.malloc(64);
  pm.free(a);
  assert.throws(() => pm.free(a), /_PyObject_Free\(\): invalid pointer 0x/);
  assert.throws(() => pm.free(b + 16), InvalidPointerError);
  assert.throws(() => pm.free(b - 64 - 48), InvalidPointerError, "the pool header");
  assert.throws(() => pm.realloc(a, 10), /_PyObject_Realloc\(\): invalid pointer/);
  assert.equal(pm.stats().blocksLive, 1);
  assert.equal(pm.malloc(64), a);
});

test("pymalloc: random churn (seeded) in both geometries: contents survive, counts exact", () => {
  for (const g of GEOMETRIES) {
    const { heap, pm, raw } = setup(g, 64 << 20);
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    const live: { p: number; n: number; tag: number }[] = [];
    const u8 = heap.u8;
    const check = (b: { p: number; n: number; tag: number }) => {
      for (let i = 0; i < b.n; i++) {
        if (u8[b.p + i] !== ((b.tag + i) & 255)) assert.fail(`${g}: block clobbered`);
      }
    };
    for (let step = 0; step < 30000; step++) {
      const r = rnd();
      const n = rnd() < 0.95 ? Math.floor(rnd() * 520) : Math.floor(rnd() * 3000);
      if (r < 0.5 || live.length === 0) {
        const p = pm.malloc(n);
        for (let i = 0; i < n; i++) u8[p + i] = (step + i) & 255;
        live.push({ p, n, tag: step });
      } else if (r < 0.85) {
        const i = Math.floor(rnd() * live.length);
        check(live[i]);
        pm.free(live[i].p);
        live[i] = live[live.length - 1];
        live.pop();
      } else {
        const b = live[Math.floor(rnd() * live.length)];
        check(b);
        const q = pm.realloc(b.p, n);
        for (let i = 0; i < Math.min(n, b.n); i++) {
          if (u8[q + i] !== ((b.tag + i) & 255)) assert.fail("realloc copy");
        }
        b.p = q;
        b.n = n;
        b.tag = step;
        for (let i = 0; i < n; i++) u8[q + i] = (step + i) & 255;
      }
    }
    const ours = live.filter((b) => pm.owns(b.p)).length;
    assert.equal(pm.stats().blocksLive, ours);
    assert.equal(raw.liveBlocks, live.length - ours);
    for (const b of live) check(b), pm.free(b.p);
    const st = pm.stats();
    assert.equal(st.blocksLive, 0);
    assert.equal(st.arenasLive, 1, "all arenas but the last were released");
    assert.equal(st.arenasAllocated - st.arenasFreed, 1);
    assert.equal(raw.liveBlocks, 0);
    raw.check();
  }
});

test("pymalloc: a use-after-free write into a free-list link is reported, not followed", () => {
  const { heap, pm } = setup("pep445");
  const a = pm.malloc(32);
  pm.malloc(32);
  pm.free(a);
  const before = pm.stats();
  heap.u32[a >>> 2] = 0x41414141; // writes through a dangling pointer
  assert.throws(() => pm.malloc(32), HeapCorruptionError);
  assert.deepEqual(pm.stats(), before, "nothing changed");
});
