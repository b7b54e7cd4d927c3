/** Splitting a command's options from a program's arguments, with and without `--`. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { splitProgramArgs, valuedOptions } from "./argv.ts";

const V = ["--jobs", "--allocator"];

test("argv: after -- everything is the program's, options included", () => {
  assert.deepEqual(splitProgramArgs(["--jobs", "1", "--", "p.py", "--jobs", "--"], V), {
    own: ["--jobs", "1"],
    program: ["p.py", "--jobs", "--"],
  });
  assert.deepEqual(splitProgramArgs(["--", "-m", "json.tool"], V), { own: [], program: ["-m", "json.tool"] });
});

test("argv: without -- (Bun dropped it) the program starts at the first word that is not ours", () => {
  assert.deepEqual(splitProgramArgs(["p.py", "--jobs", "2"], V), {
    own: [],
    program: ["p.py", "--jobs", "2"],
  });
  assert.deepEqual(splitProgramArgs(["--jobs", "2", "--mode=x", "p.py"], V), {
    own: ["--jobs", "2", "--mode=x"],
    program: ["p.py"],
  });
  // a value of ours is never taken for the program, even when it looks like a file
  assert.deepEqual(splitProgramArgs(["--allocator", "libc:x.so", "-c", "1"], V), {
    own: ["--allocator", "libc:x.so"],
    program: ["-c", "1"],
  });
  assert.deepEqual(splitProgramArgs(["-h"], V), { own: ["-h"], program: [] });
  assert.deepEqual(splitProgramArgs([], V), { own: [], program: [] });
});

test("argv: the valued options of a parseArgs configuration", () => {
  assert.deepEqual(valuedOptions({ jobs: { type: "string" }, help: { type: "boolean" } }), ["--jobs"]);
});
