import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runScript } from "../../core/child.ts";

// A JS allocator re-entered from C without end must cost an exception or a NULL, never the process: under
// Deno 2.9.6 the stack overflow escaped the callback and the runtime panicked ("internal error: entered
// unreachable code", ext/ffi/callback.rs) for callbacks declared with a usize result (deno_backend.ts).

const CHILD = fileURLToPath(new URL("./reentry_child.ts", import.meta.url));

test("ffi: an allocator callback re-entered from C until the stack overflows does not kill the process", {
  timeout: 180_000,
}, () => {
  const r = runScript(CHILD, [], { timeoutMs: 120_000 });
  assert.equal(r.signal, null, r.stderr.slice(-600));
  assert.equal(r.status, 0, r.stderr.slice(-600));
  assert.match(
    r.stdout,
    /^survived: (returned 0|threw RangeError) after \d+ nested calls$/m,
    r.stderr.slice(-600),
  );
  assert.doesNotMatch(r.stderr, /panicked|entered unreachable code/);
});
