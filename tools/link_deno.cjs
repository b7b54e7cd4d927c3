// postinstall: make `node_modules/.bin/deno` point at the deno package's JS launcher (bin.cjs)
// instead of the ELF binary.
//
// Why: `deno task` resolves commands through node_modules/.bin and runs whatever it finds
// there *as JavaScript*. npm links .bin/deno straight to the ELF binary, so every task that
// calls `deno ...` died with "SyntaxError ... ELF" (measured with deno 2.9.6).
// bin.cjs is a small launcher that spawns the real binary: Node runs it for `npx deno`, and
// Deno runs it as JS inside tasks; both end up executing the pinned binary.
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
const launcher = path.join(root, "node_modules", "deno", "bin.cjs");
if (!fs.existsSync(launcher)) {
  console.error("allocspec postinstall: node_modules/deno/bin.cjs is missing; run `npm ci` again.");
  process.exit(1);
}
try {
  fs.unlinkSync(bin);
} catch { /* not linked yet */ }
fs.mkdirSync(path.dirname(bin), { recursive: true });
fs.symlinkSync(path.join("..", "deno", "bin.cjs"), bin);
fs.chmodSync(launcher, 0o755);
