import { test } from "node:test";
import assert from "node:assert/strict";
import { controlledEnv, isInterfering } from "./env.ts";

test("env: interfering variables are dropped, the rest and the adapter's own are kept", () => {
  const base = {
    PATH: "/bin",
    HOME: "/root",
    PYTHONHOME: "/opt/py",
    PYTHONFAULTHANDLER: "1",
    PYTHONDEVMODE: "1",
    PYTHONTRACEMALLOC: "1",
    PYTHONMALLOC: "malloc",
    MALLOC_CHECK_: "3",
    MALLOC_PERTURB_: "165",
    MALLOC_CONF: "junk:true",
    MIMALLOC_VERBOSE: "1",
    TCMALLOC_RELEASE_RATE: "0",
    GLIBC_TUNABLES: "glibc.malloc.tcache_count=0",
    LD_PRELOAD: "/lib/libfoo.so",
    ASAN_OPTIONS: "x=1",
    UBSAN_OPTIONS: "y=1",
    LD_LIBRARY_PATH: "/opt/lib",
  };
  const env = controlledEnv({ PYTHONMALLOC: "debug", LD_PRELOAD: "/asan.so", HOME: "" }, base);
  assert.deepEqual(env, {
    PATH: "/bin",
    PYTHONHOME: "/opt/py",
    LD_LIBRARY_PATH: "/opt/lib",
    PYTHONMALLOC: "debug",
    LD_PRELOAD: "/asan.so",
    NO_COLOR: "1",
  });
  assert.equal(isInterfering("PYTHONPATH"), true);
  assert.equal(isInterfering("PYTHONHOME"), false);
  assert.equal(isInterfering("MY_PYTHONX"), false);
});
