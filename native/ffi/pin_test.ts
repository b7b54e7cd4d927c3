import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

const MIMALLOC = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2";
const mapped = () => readFileSync("/proc/self/maps", "utf8").includes("libmimalloc.so.2");

test(
  "library: a library we took an address from stays mapped after the isolate that loaded it is gone (RTLD_NODELETE)",
  {
    skip: existsSync(MIMALLOC) ? false : `${MIMALLOC} is not installed (apt-get install libmimalloc2.0)`,
    timeout: 60_000,
  },
  async () => {
    if (mapped()) return; // loaded by an earlier test in this process: nothing to observe here
    const w = new Worker(new URL("./pin_worker_fixture.ts", import.meta.url).href, { type: "module" });
    const addr = await new Promise<number>((resolve, reject) => {
      w.onmessage = (e) =>
        e.data === "ready" ? w.postMessage([MIMALLOC, "mi_malloc"]) : resolve(e.data as number);
      w.onerror = (e) => reject(new Error(String((e as ErrorEvent).message ?? e)));
    });
    assert.ok(addr > 0);
    w.terminate();
    for (let i = 0; i < 50 && mapped(); i++) await new Promise((r) => setTimeout(r, 20)); // let teardown finish
    assert.ok(
      mapped(),
      "libmimalloc.so.2 was unloaded when the worker's isolate went away: its address dangles",
    );
  },
);
