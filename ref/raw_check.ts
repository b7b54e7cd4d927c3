/**
 * The invariant checker of {@link RawAllocator} (`raw.check()`): walks every segment chunk by chunk and
 * every bin node by node, and throws an Error naming the first broken invariant. O(heap); for tests.
 *
 * @module
 */
import { hex } from "./heap.ts";
import { binIndex, FENCE, HDR, INUSE, MIN_CHUNK, NBINS, PREV_INUSE, SIZE_MASK } from "./raw_layout.ts";

/** What the checker needs to see of a RawAllocator (its private state, passed in by `check()`). */
export interface RawInternals {
  u32: Uint32Array;
  bins: Uint32Array;
  binmap: Uint32Array;
  live: Uint32Array;
  segments: number[];
  top: number;
  topEnd: number;
  liveBlocks: number;
  liveBytes: number;
}

/** What the walk found. */
export interface RawCheckResult {
  chunks: number;
  freeChunks: number;
  freeBytes: number;
  topBytes: number;
}

/**
 * Verifies: chunk sizes tile each segment exactly up to its fence; PREV_INUSE matches the chunk below;
 * no two free chunks are adjacent and none is followed by the top region; footers match; every free chunk
 * is in the bin of its size exactly once and the bin bitmap agrees; the live bitmap marks exactly the
 * in-use chunks; live block and byte counts are exact.
 *
 * @example
 * ```ts
 * import { Heap } from "./heap.ts";
 * import { RawAllocator } from "./raw.ts";
 * const raw = new RawAllocator(new Heap());
 * raw.free(raw.malloc(40));
 * raw.check().freeChunks; // 0: the block went back into the top region
 * ```
 */
export function checkRawHeap(s: RawInternals): RawCheckResult {
  const { u32, segments } = s;
  const fail = (what: string, c: number): never => {
    throw new Error(`RawAllocator.check: ${what} (chunk ${hex(c)})`);
  };
  let chunks = 0, freeChunks = 0, freeBytes = 0, liveBlocks = 0, liveBytes = 0;
  for (let i = 0; i < segments.length; i += 2) {
    const start = segments[i], end = segments[i + 1];
    let c = start, prevFree = false;
    while (c < end - HDR) {
      if (c === s.top) {
        if (prevFree) fail("free chunk followed by the top region", c);
        if (s.topEnd !== end - HDR) fail("top region does not end at the segment's fence", c);
        c = s.topEnd;
        prevFree = false;
        continue;
      }
      const w = u32[(c + 8) >>> 2];
      const size = w & SIZE_MASK;
      if (w & FENCE) {
        if (size !== HDR || (w & INUSE) === 0) fail("bad fence", c);
        c += HDR;
        prevFree = false;
        continue;
      }
      if (size < MIN_CHUNK || c + size > end - HDR) fail(`bad size ${size}`, c);
      if (((w & PREV_INUSE) === 0) !== prevFree) fail("PREV_INUSE disagrees with the chunk below", c);
      const p = c + HDR;
      const bit = (s.live[p >>> 9] >>> ((p >>> 4) & 31)) & 1;
      chunks++;
      if (w & INUSE) {
        if (bit !== 1) fail("in-use chunk not in the live bitmap", c);
        const req = u32[c >>> 2];
        if (chunkSizeFits(req, size) === false) fail(`requested size ${req} does not fit`, c);
        liveBlocks++;
        liveBytes += req;
        prevFree = false;
      } else {
        if (bit !== 0) fail("free chunk marked live", c);
        if (prevFree) fail("two adjacent free chunks", c);
        if (u32[(c + size - 4) >>> 2] !== size) fail("bad footer", c);
        freeChunks++;
        freeBytes += size;
        prevFree = true;
      }
      c += size;
    }
    if (c !== end - HDR) fail("chunks overrun the segment", c);
    const fw = u32[(c + 8) >>> 2];
    if ((fw & FENCE) === 0 || (fw & SIZE_MASK) !== HDR) fail("segment does not end with a fence", c);
  }
  let binned = 0;
  for (let idx = 0; idx < NBINS; idx++) {
    const mapped = ((s.binmap[idx >>> 5] >>> (idx & 31)) & 1) === 1;
    if (mapped !== (s.bins[idx] !== 0)) fail(`bin bitmap disagrees for bin ${idx}`, s.bins[idx]);
    let prev = 0;
    for (let c = s.bins[idx]; c !== 0; c = u32[(c + 16) >>> 2]) {
      const w = u32[(c + 8) >>> 2];
      if (w & INUSE) fail(`in-use chunk in bin ${idx}`, c);
      if (binIndex(w & SIZE_MASK) !== idx) fail(`chunk in the wrong bin ${idx}`, c);
      if (u32[(c + 20) >>> 2] !== prev) fail("bad back link", c);
      prev = c;
      if (++binned > freeChunks) fail("bins hold more chunks than the heap (a cycle?)", c);
    }
  }
  if (binned !== freeChunks) fail(`${freeChunks} free chunks but ${binned} in bins`, 0);
  let bits = 0;
  for (let i = 0; i < s.live.length; i++) {
    let v = s.live[i];
    while (v !== 0) {
      v &= v - 1;
      bits++;
    }
  }
  if (bits !== liveBlocks) fail(`live bitmap has ${bits} bits for ${liveBlocks} in-use chunks`, 0);
  if (liveBlocks !== s.liveBlocks) fail(`liveBlocks is ${s.liveBlocks}, heap has ${liveBlocks}`, 0);
  if (liveBytes !== s.liveBytes) fail(`liveBytes is ${s.liveBytes}, heap has ${liveBytes}`, 0);
  return { chunks, freeChunks, freeBytes, topBytes: s.topEnd - s.top };
}

function chunkSizeFits(req: number, size: number): boolean {
  return req + HDR <= size;
}
