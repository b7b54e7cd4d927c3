/**
 * `_PyMem_DebugRawRealloc` after the address check, in its two historical forms (cpython-facts.md §2.3):
 *
 * - cpython profile (3.7+, bpo-31626) "save and mark": save the data (all of it when n0 <= 128, else the
 *   first and last 64 bytes), fill the header, the saved region and the tail of the old block with
 *   DEADBYTE, call the underlying realloc(q, n + 3S); on failure rewrite the old header and tail and
 *   restore the saved bytes (NULL is returned, the block stays valid); on success decorate the new block,
 *   restore min(n, n0) saved bytes and fill the grown part [n0, n) with CLEANBYTE.
 * - pep445-2013 profile (<= 3.6): bump the serial number, realloc first, then write the new size, tail
 *   pad and serial number, and CLEANBYTE over a grown part. The 3.6 code then also wrote DEADBYTE over
 *   the old extra bytes [n, n0) of an in-place shrink; past the new block's end that memory already
 *   belongs to the allocator again (bpo-31626: here it holds the raw allocator's free-chunk links), so
 *   only the part inside the new block is marked, and the new tail pad and serial number cover it.
 *
 * @module
 */
import { NULL, type Ptr, SST } from "./types.ts";
import { type DebugLayout, readSizeT } from "./debug_hooks_layout.ts";
import type { DebugAllocApi, DebugHost } from "./debug_hooks_layout.ts";

/** ERASED_SIZE in obmalloc.c: bytes saved at each end of a large block. */
const ERASED_SIZE = 64;

/** What the realloc step needs from the hook set that owns it. */
export interface DebugReallocEnv {
  readonly host: DebugHost;
  readonly lay: DebugLayout;
  readonly maxN: number;
  decorate(q: Ptr, n: number, apiId: number, serial: number): void;
  bumpSerial(): number;
}

/**
 * The save buffers (C keeps `uint8_t save[128]` on the stack). A nested debug realloc (an allocator
 * under the hooks that calls a hooked entry point) gets the next buffer, so saved bytes never mix.
 */
const saves: Uint8Array[] = [];
let depth = 0;

/** memcpy of at most 128 bytes as a loop: no subarray view is allocated on the realloc path. */
function copy(dst: Uint8Array, to: number, src: Uint8Array, from: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** Resizes the checked debug block at `p` (not NULL) to `nbytes`. */
export function debugRealloc(env: DebugReallocEnv, api: DebugAllocApi, p: Ptr, nbytes: number): Ptr {
  return env.lay.saveAndMarkRealloc ? saveAndMark(env, api, p, nbytes) : reallocFirst(env, api, p, nbytes);
}

function saveAndMark(env: DebugReallocEnv, api: DebugAllocApi, p: Ptr, nbytes: number): Ptr {
  const { host, lay } = env;
  let u8 = host.mem.u8;
  let head = p - 2 * SST;
  const orig = readSizeT(host.mem.dv, head);
  if (nbytes >= env.maxN) return NULL;
  const total = nbytes + lay.extra;
  const tail = p + orig;
  let serial = lay.serial ? readSizeT(host.mem.dv, tail + SST) : 0;
  const save = saves[depth] ?? (saves[depth] = new Uint8Array(2 * ERASED_SIZE));
  if (orig <= 2 * ERASED_SIZE) {
    copy(save, 0, u8, p, orig);
    u8.fill(lay.dead, head, head + orig + lay.extra);
  } else {
    copy(save, 0, u8, p, ERASED_SIZE);
    u8.fill(lay.dead, head, head + ERASED_SIZE + 2 * SST);
    copy(save, ERASED_SIZE, u8, tail - ERASED_SIZE, ERASED_SIZE);
    u8.fill(lay.dead, tail - ERASED_SIZE, tail + lay.extra - 2 * SST);
  }
  const a = api.alloc;
  let r: Ptr;
  depth++;
  try {
    r = a.realloc(a.ctx, head, total);
  } finally {
    depth--;
  }
  if (r === NULL) nbytes = orig; // rewrite the header and the tail just erased
  else {
    head = r;
    if (lay.serial) serial = env.bumpSerial();
  }
  const data = head + 2 * SST;
  env.decorate(head, nbytes, api.apiId, serial);
  u8 = host.mem.u8;
  if (orig <= 2 * ERASED_SIZE) {
    copy(u8, data, save, 0, Math.min(nbytes, orig));
  } else {
    const i = orig - ERASED_SIZE;
    copy(u8, data, save, 0, Math.min(nbytes, ERASED_SIZE));
    if (nbytes > i) copy(u8, data + i, save, ERASED_SIZE, Math.min(nbytes - i, ERASED_SIZE));
  }
  if (r === NULL) return NULL;
  if (nbytes > orig) u8.fill(lay.clean, data + orig, data + nbytes);
  return data;
}

function reallocFirst(env: DebugReallocEnv, api: DebugAllocApi, p: Ptr, nbytes: number): Ptr {
  const { host, lay } = env;
  const serial = env.bumpSerial();
  const head = p - 2 * SST;
  const orig = readSizeT(host.mem.dv, head);
  if (nbytes >= env.maxN) return NULL;
  const a = api.alloc;
  const q = a.realloc(a.ctx, head, nbytes + lay.extra);
  if (q === NULL) return NULL;
  const u8 = host.mem.u8;
  const data = q + 2 * SST;
  if (q === head && nbytes < orig) {
    // in-place shrink: mark the old extra bytes dead, but only inside the new block (see module notes)
    u8.fill(lay.dead, data + nbytes, data + Math.min(orig, nbytes + lay.extra - 2 * SST));
  }
  // 3.6 rewrote only the size (id and pads were asserted, having moved with the block); writing them
  // again stores the same bytes.
  env.decorate(q, nbytes, api.apiId, serial);
  if (nbytes > orig) u8.fill(lay.clean, data + orig, data + nbytes);
  return data;
}
