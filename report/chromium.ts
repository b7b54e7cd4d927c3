/**
 * A small driver for the system's headless Chromium over the DevTools protocol (CDP), through the
 * runtime's built-in WebSocket: no npm browser download, no dependency. Used by the browser tests and
 * to make screenshots of report pages.
 *
 * Chromium is found as `$CHROMIUM`, else `chromium`, `chromium-browser`, `google-chrome` on PATH
 * ({@link findChromium} returns null when none runs, so tests can skip with that reason).
 *
 * @example
 * ```ts
 * import { findChromium, openPage } from "./chromium.ts";
 * const exe = findChromium();
 * if (exe) {
 *   const page = await openPage(exe, "file:///tmp/report.html", { width: 1200, height: 900 });
 *   console.log(await page.evaluate("document.title"));
 *   await page.close();
 * }
 * ```
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The Chromium executable, or null (with no browser installed). */
export function findChromium(): string | null {
  const names = [process.env.CHROMIUM, "chromium", "chromium-browser", "google-chrome"].filter((
    n,
  ): n is string => !!n);
  for (const n of names) {
    const r = spawnSync(n, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (!r.error && r.status === 0 && /chrom/i.test(r.stdout ?? "")) return n;
  }
  return null;
}

/** A console error or uncaught exception seen by the page. */
export interface PageProblem {
  kind: "console" | "exception" | "log" | "request";
  text: string;
}

/** An open page. */
export interface BrowserPage {
  /** evaluates an expression (awaited if it is a promise) and returns its JSON value */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** PNG bytes of the viewport, or of the whole page with `full` */
  screenshot(full?: boolean): Promise<Uint8Array>;
  /** resizes the viewport (CSS pixels; `mobile` for phone layouts) */
  setViewport(width: number, height: number, mobile?: boolean): Promise<void>;
  /** console errors, uncaught exceptions and network requests other than the page itself */
  problems: PageProblem[];
  close(): Promise<void>;
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

/** Launches headless Chromium, opens `url` and waits for its load event. */
export async function openPage(
  exe: string,
  url: string,
  viewport: { width: number; height: number; mobile?: boolean } = { width: 1280, height: 900 },
): Promise<BrowserPage> {
  const profile = mkdtempSync(join(tmpdir(), "allocspec-chromium-"));
  const child: ChildProcess = spawn(exe, [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    `--user-data-dir=${profile}`,
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // Chromium's helper processes may still write into the profile after the browser process is killed:
  // wait for its exit, then remove the folder with retries; a folder left in the temp dir is no failure.
  const cleanup = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise((r) => t = setTimeout(r, 5000))]).finally(() => clearTimeout(t));
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch { /* left behind in the temp dir */ }
  };
  let ws: WebSocket;
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(
        () => reject(new Error(`chromium did not start in 60 s: ${err.slice(-400)}`)),
        60_000,
      );
      child.stderr!.on("data", (d: Uint8Array) => {
        err += new TextDecoder().decode(d);
        const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on("exit", (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code ?? sig}) before listening: ${err.slice(-400)}`));
      });
    });
    ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners: ((m: any) => void)[] = [];
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data));
    if (m.id !== undefined && pending.has(m.id)) {
      const p = pending.get(m.id)!;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(`CDP: ${m.error.message}`));
      else p.resolve(m.result);
    } else for (const l of listeners) l(m);
  };
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const s = (method: string, params: Record<string, unknown> = {}) => send(method, params, sessionId);
  const problems: PageProblem[] = [];
  let loaded: (() => void) | undefined;
  listeners.push((m) => {
    if (m.sessionId !== sessionId) return;
    const p = m.params ?? {};
    if (m.method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) {
      problems.push({
        kind: "console",
        text: (p.args ?? []).map((a: any) => a.value ?? a.description).join(" "),
      });
    } else if (m.method === "Runtime.exceptionThrown") {
      const d = p.exceptionDetails ?? {};
      problems.push({ kind: "exception", text: d.exception?.description ?? d.text ?? "exception" });
    } else if (m.method === "Log.entryAdded" && p.entry?.level === "error") {
      problems.push({ kind: "log", text: p.entry.text });
    } else if (m.method === "Network.requestWillBeSent" && p.request?.url !== url.replace(/#.*$/, "")) {
      problems.push({ kind: "request", text: p.request?.url });
    } else if (m.method === "Page.loadEventFired") loaded?.();
  });
  await s("Page.enable");
  await s("Runtime.enable");
  await s("Log.enable");
  await s("Network.enable");
  const setViewport = async (width: number, height: number, mobile = false) => {
    await s("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile });
  };
  await setViewport(viewport.width, viewport.height, viewport.mobile);
  const load = new Promise<void>((resolve) => (loaded = resolve));
  await s("Page.navigate", { url });
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    load,
    new Promise((_, rej) =>
      timer = setTimeout(() => rej(new Error(`${url}: no load event in 60 s`)), 60_000)
    ),
  ]).finally(() => clearTimeout(timer));
  return {
    problems,
    setViewport,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await s("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) {
        throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      }
      return r.result.value as T;
    },
    async screenshot(full = false): Promise<Uint8Array> {
      const r = await s("Page.captureScreenshot", { format: "png", captureBeyondViewport: full });
      return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    },
    async close() {
      try {
        let t: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([send("Browser.close"), new Promise((r) => t = setTimeout(r, 3000))])
          .finally(() => clearTimeout(t));
      } catch { /* already closing */ }
      ws.close();
      await cleanup();
    },
  };
}
