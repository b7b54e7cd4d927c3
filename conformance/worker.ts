/**
 * The worker process (spawned by the pool in the same runtime as the CLI).
 *
 * - `worker.ts --target T --abi A --serve`: loads the adapter, prints a ready line, then reads one run
 *   (JSON) per stdin line and answers with one result line, sequentially, until stdin closes.
 * - `worker.ts --target T --abi A --abort '<run json>'`: a death child: runs one case with violation mode
 *   "abort" and exits 0 when nothing aborted (1 when the body failed). With `--proto-fd`, it says
 *   `{"ready":true}` there once the adapter is loaded and warmed up, so the run's budget covers the case
 *   only, not the start of a runtime and an interpreter.
 *
 * Both ask the kernel to kill them when the runner ends (native/ffi/lifetime.ts), warm the adapter up
 * (`Adapter.warmUp`: e.g. Py_InitializeEx) before saying ready, and echo each run's nonce (protocol.ts).
 *
 * Protocol messages (protocol.ts) go to `--proto-fd N` (the pool passes 3, a pipe of its own that the
 * target's prints cannot reach); without it (by hand) they go to stdout prefixed with {@link MARK}.
 *
 * @example
 * ```sh
 * echo '{"caseId":"zero_size/malloc_zero_distinct_non_null","domain":"RAW","profile":"cpython"}' |
 *   deno run -A conformance/worker.ts --target ref --abi shipped --serve
 * ```
 * @module
 */
import { writeSync } from "node:fs";
import process from "node:process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { loadAdapter } from "./adapters/mod.ts";
import { dieWithParent } from "../native/mod.ts";
import { loadCase } from "./cases/mod.ts";
import { executeAbortMode, executeInProcess } from "./execute.ts";
import type { RunSpec } from "./plan.ts";

/** Prefix of protocol lines. */
export const MARK = "@@allocspec@@ ";

let protoFd: number | undefined;

function emit(obj: unknown): void {
  if (protoFd === undefined) {
    process.stdout.write(MARK + JSON.stringify(obj) + "\n");
    return;
  }
  const buf = new TextEncoder().encode(JSON.stringify(obj) + "\n");
  for (let off = 0; off < buf.length;) {
    try {
      off += writeSync(protoFd, buf, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      target: { type: "string" },
      abi: { type: "string", default: "shipped" },
      serve: { type: "boolean", default: false },
      abort: { type: "string" },
      "proto-fd": { type: "string" },
    },
  });
  if (values["proto-fd"] !== undefined) protoFd = Number(values["proto-fd"]);
  dieWithParent();
  const abi = values.abi === "2013" ? "2013" : "shipped";
  const adapter = await loadAdapter(values.target ?? "ref", { abi, probed: true });
  adapter.warmUp?.();
  if (values.abort !== undefined) {
    const run = JSON.parse(values.abort) as RunSpec;
    const c = await loadCase(run.caseId);
    if (protoFd !== undefined) emit({ ready: true });
    try {
      await executeAbortMode(adapter, c, run);
    } catch (e) {
      console.log(
        `body failed before any abort: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      );
      process.exit(1);
    }
    process.exit(0);
  }
  if (!values.serve) throw new Error("worker.ts: pass --serve or --abort <run>");
  emit({ ready: true });
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const { nonce, ...run } = JSON.parse(line) as RunSpec & { nonce?: string };
    const c = await loadCase(run.caseId);
    const result = await executeInProcess(adapter, c, run);
    emit(nonce === undefined ? { result } : { result, nonce });
  }
  process.exit(0);
}

if (import.meta.main) {
  main().catch((e) => {
    emit({ fatal: e instanceof Error ? e.message.split("\n")[0] : String(e) });
    process.exit(2);
  });
}
