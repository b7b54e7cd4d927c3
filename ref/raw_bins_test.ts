import { test } from "node:test";
import assert from "node:assert/strict";
import { Heap } from "./heap.ts";
import { FreeBins } from "./raw_bins.ts";
import { binIndex, chunkSize, HeapCorruptionError, NBINS } from "./raw_layout.ts";

/** Writes a free chunk's size word and footer at c. */
function chunk(heap: Heap, c: number, size: number): number {
  heap.u32[(c + 8) >>> 2] = size;
  heap.u32[(c + size - 4) >>> 2] = size;
  return c;
}

test("raw_bins: bin indexes are exact below 1 KiB, four per power of two above, monotonic", () => {
  assert.equal(binIndex(32), 2);
  assert.equal(binIndex(1008), 63);
  assert.equal(binIndex(1024), 64);
  assert.equal(binIndex(1280), 65);
  assert.equal(binIndex(2047 & ~15), 67);
  assert.equal(binIndex(2048), 68);
  assert.equal(binIndex(2 ** 31 - 16), NBINS - 1);
  for (let s = 32, prev = 0; s < 1 << 22; s += 16 * Math.ceil(s / 4096)) {
    const b = binIndex(s);
    assert.ok(b >= prev, `bin of ${s}`);
    prev = b;
  }
  assert.deepEqual([chunkSize(0), chunkSize(16), chunkSize(17), chunkSize(100)], [32, 32, 48, 128]);
});

test("raw_bins: exact bins are LIFO; a request takes the next non-empty bin; first fit in a large bin", () => {
  const heap = new Heap();
  const base = heap.sbrk(1 << 16);
  const bins = new FreeBins(heap.u32);
  const a = chunk(heap, base, 64), b = chunk(heap, base + 1024, 64), big = chunk(heap, base + 4096, 1200);
  const bigger = chunk(heap, base + 8192, 1270);
  bins.insert(a, 64);
  bins.insert(b, 64);
  bins.insert(big, 1200);
  bins.insert(bigger, 1270); // same bin (1024..1279) as big, at its head
  assert.equal(bins.find(64), b, "LIFO");
  assert.equal(bins.find(48), b, "no 48-byte chunk: the head of the next non-empty bin");
  assert.equal(bins.find(1250), bigger);
  bins.unlink(bigger, 1270, "test");
  assert.equal(bins.find(1250), 0, "1200 does not fit 1250 and no higher bin is non-empty");
  assert.equal(bins.find(1100), big);
  bins.unlink(b, 64, "test");
  bins.unlink(a, 64, "test");
  assert.equal(bins.heads[4], 0);
  assert.equal((bins.map[0] >>> 4) & 1, 0, "an emptied bin leaves the bitmap");
  assert.equal(bins.find(16), big);
});

test("raw_bins: unlink refuses a chunk whose links or footer were overwritten", () => {
  const heap = new Heap();
  const base = heap.sbrk(1 << 16);
  const bins = new FreeBins(heap.u32);
  const a = chunk(heap, base, 64), b = chunk(heap, base + 256, 64);
  bins.insert(a, 64);
  bins.insert(b, 64);
  heap.u32[(a + 20) >>> 2] = 12345; // a's back link
  assert.throws(() => bins.unlink(a, 64, "malloc"), HeapCorruptionError);
  heap.u32[(a + 20) >>> 2] = b;
  heap.u32[(a + 60) >>> 2] = 0; // footer
  assert.throws(() => bins.unlink(a, 64, "free"), /free\(\): corrupted free list/);
});
