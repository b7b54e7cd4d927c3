/**
 * Worker body for pin_test.ts: takes an address from a library in its own isolate, then the worker
 * is terminated (the isolate and its FFI handles go away).
 * @module
 */
import { symbolAddress } from "./library.ts";

const self = globalThis as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(m: unknown): void;
};
self.onmessage = (e: MessageEvent) => {
  const [path, name] = e.data as [string, string];
  self.postMessage(symbolAddress(path, name));
};
self.postMessage("ready"); // Bun drops messages that arrive before the module (with its top-level await) ran
