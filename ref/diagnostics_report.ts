/**
 * What a detected misuse does (contracts §2 "Violations"): build CPython's full diagnostic text into a
 * {@link PyMemDebugError}, then either throw it (mode "throw", the in-process default: the operation
 * has had no effect) or do what CPython does (mode "abort": write the text to stderr, then `abort()`,
 * which ends the process with SIGABRT in Deno and Bun alike).
 *
 * @example
 * ```ts
 * import { violationError } from "./diagnostics_report.ts";
 * const e = violationError("cpython", "no_gil", 0, "_PyMem_DebugMalloc", 0x6d, 0x6d);
 * e.message; // "Fatal Python error: _PyMem_DebugMalloc: Python memory allocator called without holding the GIL"
 * ```
 * @module
 */
import process from "node:process";
import { type Profile, type Ptr, PyMemDebugError, type ViolationKind, type ViolationMode } from "./types.ts";
import { badIdMessage, dumpDebugBlock, fatalErrorText, NO_GIL_MESSAGE } from "./diagnostics.ts";

/** The message of each kind as `Py_FatalError` receives it. */
export function violationMessage(kind: ViolationKind, apiId: number, verifiedId: number): string {
  switch (kind) {
    case "bad_id":
      return badIdMessage(apiId, verifiedId);
    case "bad_leading_pad":
      return "bad leading pad byte";
    case "bad_trailing_pad":
      return "bad trailing pad byte";
    case "no_gil":
      return NO_GIL_MESSAGE;
  }
}

/**
 * Builds the error for one violation. Address checks (`bad_*`) carry the block dump read from `u8`
 * (index = address) before the fatal lines; `no_gil` carries only the fatal lines (CPython prints no
 * dump for it).
 */
export function violationError(
  profile: Profile,
  kind: ViolationKind,
  address: Ptr,
  func: string,
  apiId: number,
  verifiedId: number,
  u8?: Uint8Array,
): PyMemDebugError {
  const msg = violationMessage(kind, apiId, verifiedId);
  const dump = kind === "no_gil" || u8 === undefined ? "" : dumpDebugBlock(u8, address, profile);
  return new PyMemDebugError(
    kind,
    address,
    func,
    apiId,
    verifiedId,
    dump + fatalErrorText(profile, func, msg),
  );
}

/** `text` as the bytes C would write: one byte per char (the `%c` of a raw id byte is Latin-1). */
export function latin1Bytes(text: string): Uint8Array {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return b;
}

/** Throws `err` (mode "throw") or writes its text to stderr and aborts the process (mode "abort"). */
export function raiseViolation(mode: ViolationMode, err: PyMemDebugError): never {
  if (mode === "abort") {
    process.stderr.write(latin1Bytes(err.text));
    process.abort();
  }
  throw err;
}
