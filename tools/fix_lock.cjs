// Run after `npm install` changes package-lock.json.
//
// The `deno` npm package lists one optionalDependency per platform. The registry this project
// installs from serves only @deno/linux-x64-glibc; the others answer 404, so npm leaves them out
// of package-lock.json, and `npm ci` then refuses the lock ("Missing: @deno/darwin-arm64@ from
// lock file"). This adds those entries with their os/cpu, which is what npm writes when it can
// fetch them: npm ci skips them on a non-matching platform without fetching anything.
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const lockPath = path.join(root, "package-lock.json");
const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
const deno = lock.packages["node_modules/deno"];
if (!deno) throw new Error("package-lock.json has no node_modules/deno entry: run `npm install` first");
const platforms = {
  "win32-x64": ["win32", "x64"],
  "win32-arm64": ["win32", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "darwin-arm64": ["darwin", "arm64"],
  "linux-x64-glibc": ["linux", "x64"],
  "linux-arm64-glibc": ["linux", "arm64"],
};
let added = 0;
for (const [name, version] of Object.entries(deno.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) {
    if (!deno.dev) delete lock.packages[key].dev;
    continue;
  }
  const [os, cpu] = platforms[name.split("/")[1]] ?? [];
  if (!os) throw new Error(`unknown deno platform package ${name}`);
  // same dev flag as the deno entry itself (deno is a dependency of the published package)
  lock.packages[key] = {
    version,
    cpu: [cpu],
    ...(deno.dev ? { dev: true } : {}),
    license: "MIT",
    optional: true,
    os: [os],
  };
  added++;
}
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`fix_lock: added ${added} platform entries`);
