import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runScript } from "../../core/child.ts";

const MIMALLOC = ["x86_64", "aarch64"].map((a) => `/usr/lib/${a}-linux-gnu/libmimalloc.so.2`).find(
  existsSync,
);
const CHILD = fileURLToPath(new URL("./pin_child.ts", import.meta.url));

test(
  "library: a library we took an address from stays mapped after the isolate that loaded it is gone (RTLD_NODELETE)",
  {
    skip: MIMALLOC ? false : "libmimalloc.so.2 is not installed (apt-get install libmimalloc2.0)",
    timeout: 60_000,
  },
  () => {
    // A fresh process: in this one an earlier test may already have mapped the library for good.
    const r = runScript(CHILD, [MIMALLOC!, "mi_malloc"], { inherit: true, timeoutMs: 50_000 });
    assert.equal(r.status, 0, `pin_child failed (${r.status ?? r.signal}): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      before: boolean;
      addr: number;
      after: boolean;
    };
    assert.equal(
      out.before,
      false,
      "libmimalloc.so.2 was mapped before the worker loaded it: nothing to observe",
    );
    assert.ok(out.addr > 0, "the worker got no address for mi_malloc");
    assert.ok(
      out.after,
      "libmimalloc.so.2 was unloaded when the worker's isolate went away: its address dangles",
    );
  },
);
