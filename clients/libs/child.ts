/**
 * One harness run in this (fresh) process: `child.ts TARGET LIBRARY SO_PATH OPTIONS HOOKS`.
 *
 * Opens TARGET through the one target parser (conformance/adapters/mod.ts loadAdapter, profile
 * "cpython"), installs the RAW debug hooks over it when HOOKS is "hooks" (`PyMem_SetupDebugHooks()`:
 * liballocspec's for native/vtable/libc targets, libpython's for cpython), hands the target's C entry
 * points to the harness (`libs_run` in SO_PATH, layout `libs_target` of libs_common.h) and prints the
 * harness's JSON result on one line prefixed {@link RESULT_PREFIX}. A debug-hook violation on CPython
 * aborts this process (CPython's hooks can only abort): the parent judges the stderr.
 *
 * One library per process: OpenSSL's CRYPTO_set_mem_functions must precede its first allocation, and
 * libxml2/SQLite configure process-global state.
 *
 * @module
 */
import process from "node:process";
import { loadAdapter } from "../../conformance/adapters/mod.ts";
import { ffi } from "../../native/mod.ts";

/** The prefix of the result line (output the libraries print themselves is ignored). */
export const RESULT_PREFIX = "@@libs@@";

async function main(argv: string[]): Promise<number> {
  const [target, lib, so, options, hooks] = argv;
  if (!target || !lib || !so) {
    console.error("usage: child.ts TARGET LIBRARY SO_PATH OPTIONS hooks|nohooks");
    return 2;
  }
  const adapter = await loadAdapter(target, { abi: "shipped" });
  if (!adapter.cEntryPoints) {
    console.error(`target ${target} has no C entry points`);
    return 2;
  }
  const py = adapter.open("cpython");
  if (hooks === "hooks") py.PyMem_SetupDebugHooks();
  const ep = adapter.cEntryPoints();
  const t = new BigUint64Array(13);
  [...ep.malloc, ...ep.calloc, ...ep.realloc, ...ep.free, ep.setViolationHandler].forEach((a, i) =>
    t[i] = BigInt(a)
  );
  const h = ffi.open(so, { libs_run: { params: ["buf", "buf", "buf", "usize"], result: "i32" } });
  const run = h.symbols.libs_run;
  if (!run) throw new Error(`${so} does not export libs_run`);
  const out = new Uint8Array(1 << 20);
  const rc = run(t, new TextEncoder().encode((options ?? "") + "\0"), out, out.length) as number;
  const text = new TextDecoder().decode(out.subarray(0, out.indexOf(0)));
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify({ rc, result: JSON.parse(text) })}\n`);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`libs child: ${(e as Error).message.split("\n")[0]}`);
    process.exit(1);
  });
}
