#!/usr/bin/env node
// node_modules/.bin/deno in a checkout (linked by tools/link_deno.cjs): runs the pinned Deno binary of the
// `deno` npm package with this process's arguments, in place of this process (tools/forward.cjs: signals
// forwarded, a cancel when orphaned, the child's exit status).
//
// Why not the package's own bin.cjs: it runs the binary with spawnSync and forwards no signal, so
// SIGINT/SIGTERM/SIGHUP to the `deno` npm puts on PATH (or to `deno task`, which forwards to it) ended the
// launcher and left the real CLI and its workers running, re-parented to PID 1 (issue 17).
//
// It runs under Node (`npx deno ...`) and under Deno (`deno task` runs node_modules/.bin/deno as JS).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { runInPlace } = require("./forward.cjs");

/** The Deno executable of the `deno` npm package this checkout installed (installing it when missing). */
function denoExecutable() {
  const pkgDir = path.dirname(require.resolve("deno/package.json", { paths: [path.join(__dirname, "..")] }));
  const exe = path.join(pkgDir, process.platform === "win32" ? "deno.exe" : "deno");
  if (fs.existsSync(exe)) return exe;
  // the package's postinstall did not run: its own installer fetches the platform binary
  return require(path.join(pkgDir, "install_api.cjs")).runInstall();
}

let exe;
try {
  exe = denoExecutable();
} catch (e) {
  process.stderr.write(`deno launcher: cannot find the deno binary (${e.message}): run \`npm ci\` again\n`);
  process.exit(1);
}
runInPlace(exe, process.argv.slice(2));
