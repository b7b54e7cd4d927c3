/**
 * CPython's debug-hook diagnostics, byte for byte: `_PyObject_DebugDumpAddress`, the tracemalloc hint
 * and `Py_FatalError`'s lines (cpython-facts.md §2.4-§2.6, transcripts A-F in §3).
 *
 * Per profile:
 * - `cpython` (3.11): fatal line `Fatal Python error: <func>: <msg>`, then `Python runtime state:
 *   initialized` and a blank line; the dump ends with `Enable tracemalloc to get the memory block
 *   allocation traceback` and a blank line; no serial-number line.
 * - `pep445-2013` (<= 3.7): fatal line `Fatal Python error: <msg>` and a blank line; no tracemalloc
 *   hint; the dump always has `The block was made by call #N to debug malloc/realloc.`
 *
 * The text stops where CPython would start printing Python frames (`Current thread ...`): this world has
 * none. `%p` prints as glibc does (`0x` + lowercase hex, `(nil)` for NULL); `%c` prints the raw byte
 * (so the text is Latin-1: one char per byte).
 *
 * @example
 * ```ts
 * import { fatalErrorText } from "./diagnostics.ts";
 * fatalErrorText("cpython", "_PyMem_DebugRawFree", "bad trailing pad byte");
 * // "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte\nPython runtime state: initialized\n\n"
 * ```
 * @module
 */
import { type Profile, SST } from "./types.ts";
import { debugLayout } from "./debug_hooks_layout.ts";

const U64 = (1n << 64n) - 1n;

/** `%p` as glibc prints it: `0x` + lowercase hex; NULL is `(nil)`. Wraps like C pointer arithmetic. */
export function formatPointer(p: number | bigint): string {
  const v = BigInt(p) & U64;
  return v === 0n ? "(nil)" : "0x" + v.toString(16);
}

/** `%c` of a byte: the raw byte as one Latin-1 char (may be non-ASCII, e.g. 0xDD prints `Ý`). */
export function formatChar(byte: number): string {
  return String.fromCharCode(byte & 0xff);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/** The tracemalloc hint `_PyMem_DumpTraceback` prints when tracemalloc is not tracing (3.8+). */
export function tracemallocHint(profile: Profile): string {
  return profile === "cpython" ? "Enable tracemalloc to get the memory block allocation traceback\n\n" : "";
}

/**
 * `Py_FatalError` / `_Py_FatalErrorFunc` output up to the thread dump: the fatal line (with the function
 * prefix in the cpython profile, 3.9+), the runtime-state line (3.8+), and the blank line that precedes
 * `Current thread ...`.
 */
export function fatalErrorText(profile: Profile, func: string, msg: string): string {
  if (profile === "cpython") {
    return `Fatal Python error: ${func}: ${msg}\nPython runtime state: initialized\n\n`;
  }
  return `Fatal Python error: ${msg}\n\n`;
}

/** The message of a GIL failure (`_PyMem_DebugCheckGIL`, 3.6+). */
export const NO_GIL_MESSAGE = "Python memory allocator called without holding the GIL";

/** The message of an API-id mismatch (`_PyMem_DebugCheckAddress`). */
export function badIdMessage(found: number, expected: number): string {
  return `bad ID: Allocated using API '${formatChar(found)}', verified using API '${formatChar(expected)}'`;
}

/**
 * `_PyObject_DebugDumpAddress(p)` followed by `_PyMem_DumpTraceback` (the tracemalloc hint), reading the
 * block through `u8` (index = address). Where C would read outside mapped memory (a size field that is
 * nonsense, as after a double free), CPython crashes with SIGSEGV mid-dump; here the dump stops at that
 * point with a bracketed note instead.
 */
export function dumpDebugBlock(u8: Uint8Array, p: number, profile: Profile): string {
  const lay = debugLayout(profile);
  const fb = lay.forbidden;
  const mapped = (addr: bigint, len: number) => addr >= 0n && addr + BigInt(len) <= BigInt(u8.length);
  const pb = BigInt(p);
  let out = `Debug memory block at address p=${formatPointer(p)}:`;
  if (p === 0) return out + "\n";
  if (!mapped(pb - BigInt(2 * SST), 2 * SST)) {
    return out + ` [unreadable: p-${2 * SST} is outside the heap; C would crash with SIGSEGV here]\n`;
  }
  out += ` API '${formatChar(u8[p - SST])}'\n`;
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const nbytes = dv.getBigUint64(p - 2 * SST, false);
  out += `    ${nbytes} bytes originally requested\n`;

  out += `    The ${SST - 1} pad bytes at p-${SST - 1} are `;
  let ok = true;
  for (let i = 1; i <= SST - 1; i++) if (u8[p - i] !== fb) ok = false;
  if (ok) out += "FORBIDDENBYTE, as expected.\n";
  else {
    out += `not all FORBIDDENBYTE (0x${hex2(fb)}):\n`;
    for (let i = SST - 1; i >= 1; i--) {
      const b = u8[p - i];
      out += `        at p-${i}: 0x${hex2(b)}${b !== fb ? " *** OUCH" : ""}\n`;
    }
    out += "    Because memory is corrupted at the start, the count of bytes requested\n" +
      "       may be bogus, and checking the trailing pad bytes may segfault.\n";
  }

  const tailB = (pb + nbytes) & U64;
  out += `    The ${SST} pad bytes at tail=${formatPointer(tailB)} are `;
  const tailLen = lay.serial ? 2 * SST : SST;
  if (tailB < pb || !mapped(tailB, tailLen)) {
    return out + `[unreadable: tail is outside the heap; C would crash with SIGSEGV here]\n`;
  }
  const tail = Number(tailB);
  ok = true;
  for (let i = 0; i < SST; i++) if (u8[tail + i] !== fb) ok = false;
  if (ok) out += "FORBIDDENBYTE, as expected.\n";
  else {
    out += `not all FORBIDDENBYTE (0x${hex2(fb)}):\n`;
    for (let i = 0; i < SST; i++) {
      const b = u8[tail + i];
      out += `        at tail+${i}: 0x${hex2(b)}${b !== fb ? " *** OUCH" : ""}\n`;
    }
  }
  if (lay.serial) {
    out += `    The block was made by call #${dv.getBigUint64(tail + SST, false)} to debug malloc/realloc.\n`;
  }
  if (nbytes > 0n) {
    out += "    Data at p:";
    let q = p;
    for (let i = 0; q < tail && i < 8; i++, q++) out += " " + hex2(u8[q]);
    if (q < tail) {
      if (tail - q > 8) {
        out += " ...";
        q = tail - 8;
      }
      for (; q < tail; q++) out += " " + hex2(u8[q]);
    }
    out += "\n";
  }
  out += "\n";
  return out + tracemallocHint(profile);
}
