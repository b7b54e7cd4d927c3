/**
 * Child process for pin_test.ts: in a fresh process (where nothing has mapped the library yet), takes an
 * address from `LIB` inside a Worker, terminates the Worker (its isolate and FFI handles go away) and
 * reports whether `LIB` is still mapped. Prints one JSON line `{ before, addr, after }`: `before` must be
 * false (else the observation means nothing), `after` true (RTLD_NODELETE pinning, deno_backend.ts and bun_backend.ts).
 *
 * Usage: `deno run -A native/ffi/pin_child.ts LIB SYMBOL` or `bun native/ffi/pin_child.ts LIB SYMBOL`.
 *
 * @example
 * ```ts
 * import { runScript } from "../../core/child.ts";
 * const r = runScript("native/ffi/pin_child.ts", ["libmimalloc.so.2", "mi_malloc"]);
 * console.log(JSON.parse(r.stdout)); // { before: false, addr: 1401..., after: true }
 * ```
 * @module
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const [lib, symbol] = process.argv.slice(-2);
const mapped = () => readFileSync("/proc/self/maps", "utf8").includes(basename(lib));

const before = mapped();
const w = new Worker(new URL("./pin_worker_fixture.ts", import.meta.url).href, { type: "module" });
const addr = await new Promise<number>((resolve, reject) => {
  w.onmessage = (e) => e.data === "ready" ? w.postMessage([lib, symbol]) : resolve(e.data as number);
  w.onerror = (e) => reject(new Error(String((e as ErrorEvent).message ?? e)));
});
w.terminate();
for (let i = 0; i < 50 && mapped(); i++) await new Promise((r) => setTimeout(r, 20)); // let teardown finish
console.log(JSON.stringify({ before, addr, after: mapped() }));
process.exit(0);
