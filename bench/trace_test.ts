import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeTrace,
  encodeTrace,
  NO_SLOT,
  OP_CALLOC,
  OP_FREE,
  OP_MALLOC,
  OP_REALLOC,
  readTrace,
  TRACE_HEADER_SIZE,
  TRACE_MAGIC,
  TRACE_RECORD_SIZE,
  TRACE_VERSION,
  type TraceOp,
  traceOp,
  TraceWriter,
} from "./trace.ts";
import { C_LAYOUTS, C_TRACE } from "../native/ffi/layouts.ts";
import { traceStats, validateTrace } from "./trace_check.ts";

const OPS: TraceOp[] = [
  { op: OP_MALLOC, domain: 2, slot: 0, src: NO_SLOT, size: 32, elsize: 0 },
  { op: OP_CALLOC, domain: 1, slot: 1, src: NO_SLOT, size: 4, elsize: 8 },
  { op: OP_REALLOC, domain: 2, slot: 0, src: 0, size: 4000, elsize: 0 },
  { op: OP_REALLOC, domain: 0, slot: 7, src: NO_SLOT, size: 0xffffffff, elsize: 0 },
  { op: OP_FREE, domain: 1, slot: 1, src: NO_SLOT, size: 0, elsize: 0 },
  { op: OP_FREE, domain: 2, slot: 0, src: NO_SLOT, size: 0, elsize: 0 },
];

test("trace: round trip keeps every field and the header", () => {
  const bytes = encodeTrace(OPS);
  assert.equal(bytes.length, TRACE_HEADER_SIZE + OPS.length * TRACE_RECORD_SIZE);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), "A445TRC1");
  const dv = new DataView(bytes.buffer);
  assert.equal(dv.getUint32(8, true), 1);
  assert.equal(dv.getUint32(12, true), 8); // slot 7 used -> 8 slots
  assert.equal(dv.getBigUint64(16, true), BigInt(OPS.length));
  assert.equal(dv.getBigUint64(24, true), 0n);
  assert.deepEqual(decodeTrace(bytes), OPS);
});

test("trace: record layout is the contract's (op, domain, flags, slot, src, size, elsize)", () => {
  const w = new TraceWriter(1);
  w.calloc(1, 0x01020304, 0x0a0b0c0d, 0x11121314);
  const b = w.finish();
  assert.deepEqual(
    [...b.subarray(32, 52)],
    [1, 1, 0, 0, 4, 3, 2, 1, 0xff, 0xff, 0xff, 0xff, 0x0d, 0x0c, 0x0b, 0x0a, 0x14, 0x13, 0x12, 0x11],
  );
});

test("trace: writer grows past its initial capacity", () => {
  const w = new TraceWriter(1);
  for (let i = 0; i < 1000; i++) w.malloc(2, i, i + 1);
  const t = readTrace(w.finish());
  assert.equal(t.nops, 1000);
  assert.equal(t.nslots, 1000);
});

test("trace: reader rejects bad magic, version and truncation with one clear line", () => {
  const good = encodeTrace(OPS);
  const badMagic = good.slice();
  badMagic[0] = 0x42;
  assert.throws(() => readTrace(badMagic), /bad magic/);
  const badVersion = good.slice();
  badVersion[8] = 2;
  assert.throws(() => readTrace(badVersion), /version 2/);
  assert.throws(() => readTrace(good.subarray(0, good.length - 1)), /truncated/);
  assert.throws(() => readTrace(new Uint8Array(5)), /shorter than/);
});

test("trace: writer rejects out-of-range fields", () => {
  const w = new TraceWriter();
  assert.throws(() => w.malloc(0, -1, 1), /slot/);
  assert.throws(() => w.malloc(0, 1, 2 ** 32), /size/);
  assert.throws(() => w.free(0, NO_SLOT), /reserved/);
});

test("trace_check: stats count ops, domains and peak live bytes", () => {
  const s = validateTrace(encodeTrace(OPS));
  assert.deepEqual(s.byOp, [1, 1, 2, 2]);
  assert.deepEqual(s.byDomain, [1, 2, 3]);
  // after op 3: slot0 4000 + slot1 32 + slot7 0xffffffff
  assert.equal(s.peakLiveBytes, 4000 + 32 + 0xffffffff);
  assert.equal(s.endLiveBlocks, 1);
});

test("trace_check: counts free(NULL), finds leaks, cross-domain frees and realloc of a dead slot", () => {
  const bad = encodeTrace([
    { op: OP_FREE, domain: 0, slot: 0, src: NO_SLOT, size: 0, elsize: 0 },
    { op: OP_MALLOC, domain: 0, slot: 1, src: NO_SLOT, size: 8, elsize: 0 },
    { op: OP_MALLOC, domain: 0, slot: 1, src: NO_SLOT, size: 8, elsize: 0 },
    { op: OP_FREE, domain: 2, slot: 1, src: NO_SLOT, size: 0, elsize: 0 },
    { op: OP_REALLOC, domain: 2, slot: 2, src: 1, size: 8, elsize: 0 },
  ]);
  const s = traceStats(bad);
  assert.equal(s.freeOfNull, 1);
  assert.equal(s.problemCount, 3);
  assert.match(s.problems[0], /record 2: allocation into live slot 1/);
  assert.match(s.problems[1], /record 3: free in domain 2 of a block from domain 0/);
  assert.match(s.problems[2], /record 4: realloc of dead slot 1/);
  assert.throws(() => validateTrace(bad), /3 invalid records/);
});

test("trace: the TS reader and writer use the C layout of A445TRC1 (allocspec.h, native/ffi/layouts.ts)", () => {
  const H = C_LAYOUTS.allocspec_trace_header, R = C_LAYOUTS.allocspec_trace_record;
  assert.equal(TRACE_HEADER_SIZE, H.size);
  assert.equal(TRACE_RECORD_SIZE, R.size);
  assert.equal(NO_SLOT, C_TRACE.noSlot);
  assert.equal(TRACE_MAGIC, C_TRACE.magic);
  assert.equal(TRACE_VERSION, C_TRACE.version);
  const bytes = encodeTrace([
    { op: OP_MALLOC, domain: 2, slot: 5, src: NO_SLOT, size: 0x01020304, elsize: 0 },
    { op: OP_REALLOC, domain: 1, slot: 6, src: 5, size: 0x0a0b0c0d, elsize: 0x11121314 },
  ]);
  const dv = new DataView(bytes.buffer);
  assert.equal(String.fromCharCode(...bytes.subarray(H.fields.magic, H.fields.magic + 8)), C_TRACE.magic);
  assert.equal(dv.getUint32(H.fields.version, true), C_TRACE.version);
  assert.equal(dv.getUint32(H.fields.nslots, true), 7);
  assert.equal(dv.getBigUint64(H.fields.nops, true), 2n);
  assert.equal(dv.getBigUint64(H.fields.reserved, true), 0n);
  const at = H.size + R.size; // the second record
  assert.equal(dv.getUint8(at + R.fields.op), OP_REALLOC);
  assert.equal(dv.getUint8(at + R.fields.domain), 1);
  assert.equal(dv.getUint16(at + R.fields.flags, true), 0);
  assert.equal(dv.getUint32(at + R.fields.slot, true), 6);
  assert.equal(dv.getUint32(at + R.fields.src, true), 5);
  assert.equal(dv.getUint32(at + R.fields.size, true), 0x0a0b0c0d);
  assert.equal(dv.getUint32(at + R.fields.elsize, true), 0x11121314);
  assert.deepEqual(traceOp(readTrace(bytes), 1), {
    op: OP_REALLOC,
    domain: 1,
    slot: 6,
    src: 5,
    size: 0x0a0b0c0d,
    elsize: 0x11121314,
  });
});
