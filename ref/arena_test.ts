import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { ArenaFreeError, createDefaultArenaAllocator, PAGE_SIZE, PageMapper } from "./arena.ts";
import { RawAllocator } from "./raw.ts";

test("arena: alloc gives page-aligned, zeroed, disjoint ranges; 0 bytes or out of memory is NULL", () => {
  const heap = new Heap({ limit: 4 << 20 });
  const { ctx, alloc, free } = createDefaultArenaAllocator(heap);
  const a = alloc(ctx, 256 * 1024), b = alloc(ctx, 1000);
  assert.equal(a % PAGE_SIZE, 0);
  assert.equal(b % PAGE_SIZE, 0);
  assert.ok(b >= a + 256 * 1024 || b + PAGE_SIZE <= a);
  assert.ok(heap.read(a, 256 * 1024).every((x) => x === 0));
  assert.equal(alloc(ctx, 0), 0, "mmap(0) fails");
  assert.equal(alloc(ctx, 8 << 20), 0, "beyond the heap limit");
  heap.u8.fill(0xaa, a, a + 256 * 1024);
  free(ctx, a, 256 * 1024);
  const c = alloc(ctx, 128 * 1024);
  assert.equal(c, a, "unmapped range reused");
  assert.ok(heap.read(c, 128 * 1024).every((x) => x === 0), "reused pages read as zero, like mmap");
  free(ctx, b, 1000);
  free(ctx, c, 128 * 1024);
  free(ctx, 0, 123); // NULL is ignored
  assert.deepEqual((ctx as PageMapper).stats(), { live: 0, mappedBytes: 0, maps: 3, unmaps: 3 });
});

test("arena: free with a pointer or size alloc did not return throws a clear error and changes nothing", () => {
  const pages = new PageMapper(new Heap());
  const a = pages.map(65536);
  assert.throws(() => pages.unmap(a + PAGE_SIZE, 65536), ArenaFreeError);
  assert.throws(() => pages.unmap(a, 4096), /allocated with size 65536 but freed with size 4096/);
  assert.ok(pages.isMapped(a));
  pages.unmap(a, 65536);
  assert.throws(
    () => pages.unmap(a, 65536),
    /was not returned by this arena allocator's alloc \(or was already freed\)/,
  );
});

test("arena: unmapped neighbours coalesce so a larger mapping can reuse them", () => {
  const pages = new PageMapper(new Heap());
  const a = pages.map(PAGE_SIZE), b = pages.map(PAGE_SIZE), c = pages.map(PAGE_SIZE);
  pages.map(PAGE_SIZE); // guard
  assert.deepEqual([b - a, c - b], [PAGE_SIZE, PAGE_SIZE]);
  pages.unmap(a, PAGE_SIZE);
  pages.unmap(c, PAGE_SIZE);
  pages.unmap(b, PAGE_SIZE);
  assert.equal(pages.map(3 * PAGE_SIZE), a);
});

test("arena: shares the heap with the raw allocator without overlap", () => {
  const heap = new Heap({ limit: 16 << 20 });
  const raw = new RawAllocator(heap);
  const pages = new PageMapper(heap);
  const blocks: number[] = [];
  const maps: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = raw.malloc(50000);
    heap.u8.fill(i, p, p + 50000);
    blocks.push(p);
    const m = pages.map(100000);
    heap.u8.fill(100 + i, m, m + 100000);
    maps.push(m);
  }
  for (let i = 0; i < 20; i++) {
    assert.ok(heap.read(blocks[i], 50000).every((x) => x === i));
    assert.ok(heap.read(maps[i], 100000).every((x) => x === 100 + i));
  }
  raw.check();
});
