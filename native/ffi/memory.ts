/**
 * {@link Memory} over real process memory, through zero-copy views (`getArrayBuffer` / `toArrayBuffer`)
 * rather than per-byte FFI calls. Nothing can tell whether an address is mapped: reading or writing an
 * unmapped address faults like C would. Addresses below 4096 (the NULL page) are refused with a RangeError.
 *
 * @example
 * ```ts
 * import { ffi } from "./backend.ts";
 * import { ProcessMemory } from "./memory.ts";
 * const mem = new ProcessMemory(ffi);
 * // mem.write(p, [1, 2, 3]); mem.read(p, 3);
 * ```
 * @module
 */
import type { Memory, Ptr } from "../../ref/types.ts";
import type { FfiBackend } from "./ffi_types.ts";

const NULL_PAGE = 4096;

function checkRange(ptr: Ptr, len: number, op: string): void {
  if (typeof ptr !== "number" || !Number.isInteger(ptr) || ptr < 0) {
    throw new TypeError(`memory.${op}: address must be a non-negative integer number, got ${String(ptr)}`);
  }
  if (!Number.isInteger(len) || len < 0) {
    throw new RangeError(`memory.${op}: length must be a non-negative integer, got ${len}`);
  }
  if (len > 0 && ptr < NULL_PAGE) {
    throw new RangeError(
      `memory.${op}: address 0x${
        ptr.toString(16)
      } is in the NULL page: pass a pointer returned by an allocator`,
    );
  }
}

/** Byte access to this process's memory. */
export class ProcessMemory implements Memory {
  #ffi: FfiBackend;
  constructor(ffi: FfiBackend) {
    this.#ffi = ffi;
  }
  /** Copies `len` bytes at `ptr`. */
  read(ptr: Ptr, len: number): Uint8Array {
    checkRange(ptr, len, "read");
    if (len === 0) return new Uint8Array(0);
    return new Uint8Array(this.#ffi.view(ptr, len)).slice();
  }
  /** Writes `bytes` at `ptr`. */
  write(ptr: Ptr, bytes: ArrayLike<number>): void {
    checkRange(ptr, bytes.length, "write");
    if (bytes.length === 0) return;
    new Uint8Array(this.#ffi.view(ptr, bytes.length)).set(bytes);
  }
}
