/**
 * The import rules of the tree, checked: every relative import of every TypeScript file (static, `export
 * ... from`, side-effect and literal dynamic `import()`, type-only ones included; imports inside comments
 * and JSDoc examples are not imports) must run down the layers, and no file may reach itself again.
 *
 *     ref -> core -> native -> targets -> conformance, debug -> clients -> bench
 *
 * `report/` is a leaf library (it may use core/ only; anything may use it), `cli/` and `tools/` are the
 * top (they may use anything; nothing imports them). conformance/ and debug/ are side by side: neither
 * imports the other. A test file follows the rules of its folder.
 *
 * `checkImports(root)` returns one line per problem, `file:line: what and why`; run as a program it prints
 * them and exits 1 when there is any (tools/imports_test.ts runs it in the test command).
 *
 * @example
 * ```ts
 * import { checkImports } from "./imports.ts";
 * const problems = checkImports(new URL("..", import.meta.url).pathname);
 * console.log(problems.length === 0 ? "imports run one way" : problems.join("\n"));
 * ```
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import process from "node:process";

/** What each top-level folder may import besides itself. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  ref: [],
  core: ["ref"],
  native: ["ref", "core"],
  targets: ["ref", "core", "native"],
  conformance: ["ref", "core", "native", "targets", "report"],
  debug: ["ref", "core", "native", "targets", "report"],
  clients: ["ref", "core", "native", "targets", "conformance", "debug", "report"],
  bench: ["ref", "core", "native", "targets", "conformance", "debug", "clients", "report"],
  report: ["core"],
  cli: ["ref", "core", "native", "targets", "conformance", "debug", "clients", "bench", "report"],
  tools: ["ref", "core", "native", "targets", "conformance", "debug", "clients", "bench", "report"],
};

const SKIP_DIRS = new Set(["node_modules", "build", "results", "traces", "screenshots", ".git", ".deno"]);

/** Every .ts file under the layer folders of `root`, relative, sorted. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  for (const top of Object.keys(ALLOWED)) {
    try {
      if (statSync(join(root, top)).isDirectory()) walk(top);
    } catch { /* a folder this checkout does not have */ }
  }
  return out.sort();
}

/**
 * `text` with every comment and every string that is not an import's specifier replaced by spaces (newlines
 * and offsets kept): what is left of `import`/`export` is code.
 */
export function blankComments(text: string): string {
  const out = text.split("");
  let i = 0;
  const n = text.length;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  while (i < n) {
    const c = text[i], d = text[i + 1];
    if (c === "/" && d === "/") {
      const e = text.indexOf("\n", i);
      const end = e < 0 ? n : e;
      blank(i, end);
      i = end;
    } else if (c === "/" && d === "*") {
      const e = text.indexOf("*/", i + 2);
      const end = e < 0 ? n : e + 2;
      blank(i, end);
      i = end;
    } else if (c === '"' || c === "'" || c === "`") {
      const start = i;
      i++;
      while (i < n && text[i] !== c) i += text[i] === "\\" ? 2 : 1;
      i++;
      const before = out.slice(Math.max(0, start - 12), start).join("");
      if (c === "`" || !/(\bfrom|\bimport|\bimport\s*\()\s*$/.test(before)) blank(start + 1, i - 1);
    } else i++;
  }
  return out.join("");
}

/** The relative specifiers a file imports, with their lines (1-based). */
export function importsOf(text: string): { spec: string; line: number }[] {
  const code = blankComments(text);
  const re =
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;
  const out: { spec: string; line: number }[] = [];
  for (const m of code.matchAll(re)) {
    const line = code.slice(0, m.index).split("\n").length;
    out.push({ spec: m[1] ?? m[2], line });
  }
  return out;
}

/** The problems of the tree at `root` (empty when every import runs the right way and there is no cycle). */
export function checkImports(root: string): string[] {
  const files = sourceFiles(root);
  const known = new Set(files);
  const problems: string[] = [];
  const graph = new Map<string, { to: string; line: number }[]>();
  for (const f of files) {
    const edges: { to: string; line: number }[] = [];
    for (const { spec, line } of importsOf(readFileSync(join(root, f), "utf8"))) {
      const to = normalize(join(dirname(f), spec));
      const from = f.split("/")[0], top = to.split("/")[0];
      if (to.startsWith("..")) {
        problems.push(`${f}:${line}: imports ${spec}, outside the project`);
        continue;
      }
      if (from !== top) {
        const allowed = ALLOWED[from];
        if (!allowed?.includes(top)) {
          problems.push(
            `${f}:${line}: imports ${to}: ${from}/ must not import ${top}/ (${from}/ may import ${
              allowed?.length ? allowed.join(", ") : "nothing of the project"
            }; the layers: ref -> core -> native -> targets -> conformance, debug -> clients -> bench; report/ a leaf)`,
          );
        }
      }
      if (known.has(to)) edges.push({ to, line });
    }
    graph.set(f, edges);
  }
  // cycles between files (Tarjan's strongly connected components; each one named once, with an edge of it)
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!idx.has(to)) {
        strong(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const self = (graph.get(v) ?? []).some((e) => e.to === v);
      if (comp.length > 1 || self) {
        // one cycle through the component's first file, as a path back to it
        const members = new Set(comp);
        const first = [...comp].sort()[0];
        const prev = new Map<string, string>();
        const queue = [first];
        let back: string | undefined;
        for (let q = 0; q < queue.length && !back; q++) {
          for (const { to } of graph.get(queue[q]) ?? []) {
            if (to === first) {
              back = queue[q];
              break;
            }
            if (members.has(to) && !prev.has(to)) {
              prev.set(to, queue[q]);
              queue.push(to);
            }
          }
        }
        const path = [first];
        for (let w = back!; w !== first; w = prev.get(w)!) path.splice(1, 0, w);
        const edge = (graph.get(first) ?? []).find((e) => e.to === (path[1] ?? first))!;
        problems.push(`${first}:${edge.line}: import cycle: ${[...path, first].join(" -> ")}`);
      }
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return problems;
}

if ((import.meta as { main?: boolean }).main) {
  const root = relative(process.cwd(), new URL("..", import.meta.url).pathname) || ".";
  const problems = checkImports(root);
  for (const p of problems) console.error(p);
  console.log(
    problems.length
      ? `${problems.length} import problem(s)`
      : "imports: every one runs down the layers, no cycle",
  );
  process.exit(problems.length ? 1 : 0);
}
