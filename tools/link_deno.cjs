// postinstall: make `node_modules/.bin/deno` point at our JS launcher (tools/deno_launcher.cjs) instead of
// the ELF binary.
//
// Why: `deno task` resolves commands through node_modules/.bin and runs whatever it finds
// there *as JavaScript*. npm links .bin/deno straight to the ELF binary, so every task that
// calls `deno ...` died with "SyntaxError ... ELF" (measured with deno 2.9.6).
// The launcher spawns the real binary: Node runs it for `npx deno`, and Deno runs it as JS inside tasks;
// both end up executing the pinned binary. Not the package's own bin.cjs: it forwards no signal
// (tools/deno_launcher.cjs says why that left processes behind).
const fs = require("node:fs");
const path = require("node:path");

//
// Installed as a dependency (`npm install allocspec-x.y.z.tgz`), this package has no node_modules of its
// own (npm hoists deno next to it) and no deno.json tasks to protect: nothing to do, and nothing may be
// written into the install folder. That case is recognised by the path: the package sits inside a
// node_modules folder.
const root = path.join(__dirname, "..");
if (path.resolve(root).split(path.sep).includes("node_modules")) process.exit(0);
const bin = path.join(root, "node_modules", ".bin", "deno");
const launcher = path.join(root, "tools", "deno_launcher.cjs");
if (!fs.existsSync(path.join(root, "node_modules", "deno", "package.json"))) {
  console.error("allocspec postinstall: node_modules/deno is missing; run `npm ci` again.");
  process.exit(1);
}
try {
  fs.unlinkSync(bin);
} catch { /* not linked yet */ }
fs.mkdirSync(path.dirname(bin), { recursive: true });
fs.symlinkSync(path.join("..", "..", "tools", "deno_launcher.cjs"), bin);
fs.chmodSync(launcher, 0o755);
