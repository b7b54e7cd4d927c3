/**
 * The A445TRC1 trace format (docs/contracts.md §4): reader, writer, validator and statistics.
 *
 * A trace is the allocator calls of a program (or of {@link synthesizeTrace}) reduced to what a replay
 * needs: operation, domain, size and block identity ("slot"). The native library writes it
 * (`allocspec_trace_write`) and replays it (`allocspec_replay`); the benchmarks read, generate and
 * replay it in TypeScript too (`replayOnPep445`).
 *
 * Layout, little-endian:
 * ```
 * header (32 bytes): char magic[8] = "A445TRC1"; u32 version = 1; u32 nslots; u64 nops; u64 reserved = 0
 * record (20 bytes): u8 op (0 malloc, 1 calloc, 2 realloc, 3 free); u8 domain (0 RAW, 1 MEM, 2 OBJ); u16 flags = 0;
 *                    u32 slot; u32 src (realloc input slot, 0xFFFFFFFF = realloc(NULL)); u32 size; u32 elsize
 * ```
 * A failed allocation leaves its slot NULL; freeing a NULL slot is free(NULL). Slots are reused after free.
 *
 * @module
 */

export const TRACE_MAGIC = "A445TRC1";
export const TRACE_VERSION = 1;
export const TRACE_HEADER_SIZE = 32;
export const TRACE_RECORD_SIZE = 20;
/** "no slot": realloc(NULL) input, or the src field of every non-realloc record. */
export const NO_SLOT = 0xffffffff;

export const OP_MALLOC = 0;
export const OP_CALLOC = 1;
export const OP_REALLOC = 2;
export const OP_FREE = 3;
export type OpCode = 0 | 1 | 2 | 3;
export const OP_NAMES = ["malloc", "calloc", "realloc", "free"] as const;

/** One decoded record. `size` is nelem for calloc; `elsize` is 0 except for calloc. */
export interface TraceOp {
  op: OpCode;
  domain: 0 | 1 | 2;
  slot: number;
  src: number;
  size: number;
  elsize: number;
}

/** A parsed trace: the header fields and a view over the records (no copy). */
export interface Trace {
  nslots: number;
  nops: number;
  /** The whole file (header + records), as `allocspec_replay` wants it. */
  bytes: Uint8Array;
  /** DataView over the records only (record i at i * 20). */
  records: DataView;
}

/**
 * Builds a trace in memory, growing as needed.
 *
 * @example
 * ```ts
 * const w = new TraceWriter();
 * w.malloc(2, 0, 32);
 * w.free(2, 0);
 * const bytes = w.finish(); // 32 + 2 * 20 bytes
 * ```
 */
export class TraceWriter {
  #buf: Uint8Array;
  #dv: DataView;
  #nops = 0;
  #nslots = 0;

  constructor(capacityOps = 1024) {
    this.#buf = new Uint8Array(TRACE_HEADER_SIZE + Math.max(1, capacityOps) * TRACE_RECORD_SIZE);
    this.#dv = new DataView(this.#buf.buffer);
  }

  get nops(): number {
    return this.#nops;
  }
  get nslots(): number {
    return this.#nslots;
  }

  malloc(domain: 0 | 1 | 2, slot: number, size: number): void {
    this.#push(OP_MALLOC, domain, slot, NO_SLOT, size, 0);
  }
  calloc(domain: 0 | 1 | 2, slot: number, nelem: number, elsize: number): void {
    this.#push(OP_CALLOC, domain, slot, NO_SLOT, nelem, elsize);
  }
  /** `src` = NO_SLOT for realloc(NULL, size). */
  realloc(domain: 0 | 1 | 2, slot: number, src: number, size: number): void {
    this.#push(OP_REALLOC, domain, slot, src, size, 0);
  }
  free(domain: 0 | 1 | 2, slot: number): void {
    this.#push(OP_FREE, domain, slot, NO_SLOT, 0, 0);
  }
  push(op: TraceOp): void {
    this.#push(op.op, op.domain, op.slot, op.src, op.size, op.elsize);
  }

  #push(op: number, domain: number, slot: number, src: number, size: number, elsize: number): void {
    checkU32("slot", slot);
    checkU32("src", src);
    checkU32("size", size);
    checkU32("elsize", elsize);
    if (slot === NO_SLOT) throw new RangeError("trace: slot 0xFFFFFFFF is reserved for 'no slot'");
    const at = TRACE_HEADER_SIZE + this.#nops * TRACE_RECORD_SIZE;
    if (at + TRACE_RECORD_SIZE > this.#buf.length) {
      const bigger = new Uint8Array(TRACE_HEADER_SIZE + (this.#nops * 2 + 16) * TRACE_RECORD_SIZE);
      bigger.set(this.#buf.subarray(0, at));
      this.#buf = bigger;
      this.#dv = new DataView(bigger.buffer);
    }
    const dv = this.#dv;
    dv.setUint8(at, op);
    dv.setUint8(at + 1, domain);
    dv.setUint16(at + 2, 0, true);
    dv.setUint32(at + 4, slot, true);
    dv.setUint32(at + 8, src, true);
    dv.setUint32(at + 12, size, true);
    dv.setUint32(at + 16, elsize, true);
    this.#nops++;
    if (slot + 1 > this.#nslots) this.#nslots = slot + 1;
    if (src !== NO_SLOT && src + 1 > this.#nslots) this.#nslots = src + 1;
  }

  /** The finished file (a copy trimmed to size). */
  finish(): Uint8Array {
    const len = TRACE_HEADER_SIZE + this.#nops * TRACE_RECORD_SIZE;
    const out = this.#buf.slice(0, len);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) out[i] = TRACE_MAGIC.charCodeAt(i);
    dv.setUint32(8, TRACE_VERSION, true);
    dv.setUint32(12, this.#nslots, true);
    dv.setBigUint64(16, BigInt(this.#nops), true);
    dv.setBigUint64(24, 0n, true);
    return out;
  }
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`trace: ${name} must be an integer in [0, 2^32), got ${v}`);
  }
}

/** Encode a list of records (nslots computed from the slots used). */
export function encodeTrace(ops: readonly TraceOp[]): Uint8Array {
  const w = new TraceWriter(ops.length);
  for (const op of ops) w.push(op);
  return w.finish();
}

/**
 * Parse the header of a trace file and check it; throws one clear line on a bad file.
 *
 * @example
 * ```ts
 * const t = readTrace(Deno.readFileSync("bench/traces/pybench.a445"));
 * console.log(t.nops, t.nslots);
 * ```
 */
export function readTrace(bytes: Uint8Array): Trace {
  if (bytes.length < TRACE_HEADER_SIZE) {
    throw new Error(
      `trace: ${bytes.length} bytes is shorter than the 32-byte A445TRC1 header; regenerate the trace`,
    );
  }
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== TRACE_MAGIC) {
    throw new Error(`trace: bad magic ${JSON.stringify(magic)} (want "A445TRC1"): not a trace file`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== TRACE_VERSION) throw new Error(`trace: version ${version} is not supported (want 1)`);
  const nslots = dv.getUint32(12, true);
  const nops = Number(dv.getBigUint64(16, true));
  const want = TRACE_HEADER_SIZE + nops * TRACE_RECORD_SIZE;
  if (bytes.length !== want) {
    throw new Error(
      `trace: header says ${nops} records (${want} bytes) but the file has ${bytes.length} bytes; truncated?`,
    );
  }
  return {
    nslots,
    nops,
    bytes,
    records: new DataView(bytes.buffer, bytes.byteOffset + TRACE_HEADER_SIZE, nops * TRACE_RECORD_SIZE),
  };
}

/** Record i of a trace. */
export function traceOp(t: Trace, i: number): TraceOp {
  const dv = t.records;
  const at = i * TRACE_RECORD_SIZE;
  return {
    op: dv.getUint8(at) as OpCode,
    domain: dv.getUint8(at + 1) as 0 | 1 | 2,
    slot: dv.getUint32(at + 4, true),
    src: dv.getUint32(at + 8, true),
    size: dv.getUint32(at + 12, true),
    elsize: dv.getUint32(at + 16, true),
  };
}

/** All records of a trace file. */
export function decodeTrace(bytes: Uint8Array): TraceOp[] {
  const t = readTrace(bytes);
  const out: TraceOp[] = new Array(t.nops);
  for (let i = 0; i < t.nops; i++) out[i] = traceOp(t, i);
  return out;
}
