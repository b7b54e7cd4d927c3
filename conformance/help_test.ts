import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TARGET_KINDS } from "./adapters/mod.ts";
import { CONFORMANCE_HELP } from "./help.ts";
import { FORMATS } from "./report/mod.ts";

test("help: every option cli.ts parses, every target kind and every format is described", () => {
  const src = readFileSync(new URL("./cli.ts", import.meta.url), "utf8");
  const block = src.slice(src.indexOf("options: {"), src.indexOf("},\n    }));"));
  const options = [...block.matchAll(/^\s+"?([a-z][\w-]*)"?: \{ type:/gm)].map((m) => m[1]);
  assert.ok(options.length >= 8, `parsed options: ${options.join(", ")}`);
  for (const o of options) {
    assert.match(CONFORMANCE_HELP, new RegExp(`--${o}\\b`), `--${o} is not in the help`);
  }
  for (const k of Object.keys(TARGET_KINDS)) {
    assert.match(CONFORMANCE_HELP, new RegExp(`--target ${k}\\b|^\\s+${k}\\b`, "m"), `kind ${k}`);
  }
  for (const f of FORMATS) assert.match(CONFORMANCE_HELP, new RegExp(`\\b${f}\\b`), `format ${f}`);
});
