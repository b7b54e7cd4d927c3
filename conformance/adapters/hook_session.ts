/**
 * One hook under test over one PEP 445 implementation, per case: the shared machinery of the `hook:`
 * and `tracemalloc` targets.
 *
 * `open(profile)`: the base's fresh state (native: `allocspec_reset`; cpython: the allocators found after
 * `Py_InitializeEx`), the base library given global scope once (hooks reach the API by symbol name),
 * the recorder and guard below every domain (hook_below.ts), then the {@link Installer}; the domains
 * whose allocator changed are the hooked ones (none: the case is an ERROR, and the target's probe turns
 * it into a usage error before anything runs). The {@link Pep445} handed to the case carries a
 * {@link HookUnderTest} under {@link HOOK_UNDER_TEST} for the hook cases (`cases/_hook.ts`).
 *
 * @example
 * ```ts
 * import { hookUnderTest } from "./hook_session.ts";
 * // const h = hookUnderTest(ctx.py); h?.below.MEM.recorder.failNext.malloc = 1;
 * ```
 * @module
 */
import type { DomainName } from "../case.ts";
import { DOMAIN_NUMBER } from "../context.ts";
import { type Below, installBelow } from "./hook_below.ts";
import { promoteGlobal } from "./hook_dl.ts";
import type { Pep445, Profile, PyMemAllocatorEx } from "../../ref/types.ts";

/** Puts a hook in place over the allocators currently installed. */
export interface Installer {
  readonly label: string;
  /** installs over the current allocators; throws an Error (one line) when it cannot */
  install(py: Pep445): void;
  /** undoes what the hook keeps outside the domains (tracemalloc.stop()) before the domains are reset */
  uninstall?(py: Pep445): void;
}

/** What a hook case sees of the hook under test. */
export interface HookUnderTest {
  readonly label: string;
  /** the recorder and guard below the hook, per domain */
  readonly below: Record<DomainName, Below>;
  /** domains whose allocator the hook replaced */
  readonly hooked: ReadonlySet<DomainName>;
  /** the hook's own allocator per domain (PyMem_GetAllocator right after installing) */
  readonly own: Record<DomainName, PyMemAllocatorEx>;
  /** puts the recorders back in every domain, runs `prepare` (e.g. PyMem_SetupDebugHooks), installs the hook again */
  reinstall(prepare: () => void): void;
  /** forgets what the layers below recorded so far (and makes the guard strict) */
  clear(): void;
  /**
   * Before the hook is removed: the hook's own allocators back in every domain (dropping layers a case
   * put over it, such as debug hooks set up at run time, under which Python code must not run:
   * cpython-facts.md §2.7), and the guard forwarding unknown pointers again.
   */
  relax(): void;
}

/** The property of the case's Pep445 holding the {@link HookUnderTest}. */
export const HOOK_UNDER_TEST: unique symbol = Symbol.for("allocspec.hookUnderTest") as never;

/** The hook under test of a case's Pep445 (undefined on other targets). */
export function hookUnderTest(py: Pep445): HookUnderTest | undefined {
  return (py as unknown as Record<symbol, HookUnderTest | undefined>)[HOOK_UNDER_TEST];
}

const DOMAINS: readonly DomainName[] = ["RAW", "MEM", "OBJ"];
const sameAllocator = (a: PyMemAllocatorEx, b: PyMemAllocatorEx) =>
  a.ctx === b.ctx && a.malloc === b.malloc && a.calloc === b.calloc && a.realloc === b.realloc &&
  a.free === b.free;

/** Per-process state of a hook target over a base implementation. */
export class HookSession {
  #promoted = false;
  constructor(
    readonly installer: Installer,
    readonly base: { path: () => string; open: (p: Profile) => Pep445; gilCheck: () => number | undefined },
  ) {}

  /** Installs the hook over the current allocators; returns the hooked domains and the hook's allocators. */
  installOver(py: Pep445): { hooked: Set<DomainName>; own: Record<DomainName, PyMemAllocatorEx> } {
    if (!this.#promoted) {
      promoteGlobal(this.base.path());
      this.#promoted = true;
    }
    const before = DOMAINS.map((d) => py.PyMem_GetAllocator(DOMAIN_NUMBER[d]));
    this.installer.install(py);
    const own = {} as Record<DomainName, PyMemAllocatorEx>;
    const hooked = new Set<DomainName>();
    DOMAINS.forEach((d, i) => {
      own[d] = py.PyMem_GetAllocator(DOMAIN_NUMBER[d]);
      if (!sameAllocator(own[d], before[i])) hooked.add(d);
    });
    if (hooked.size === 0) {
      throw new Error(`${this.installer.label} changed no domain's allocator after installing (not a hook?)`);
    }
    return { hooked, own };
  }

  /** Fresh base state, recorders below, the hook on top; the Pep445 the case gets. */
  open(profile: Profile): Pep445 {
    const py = this.base.open(profile);
    const mode = { strict: false };
    const below = installBelow(py, this.base.gilCheck, mode);
    let { hooked, own } = this.installOver(py);
    const clear = () => {
      mode.strict = true;
      for (const d of DOMAINS) {
        below[d].recorder.calls.length = 0;
        below[d].foreign.length = 0;
        below[d].gil.length = 0;
      }
    };
    clear();
    const handle: HookUnderTest = {
      label: this.installer.label,
      below,
      get hooked() {
        return hooked;
      },
      get own() {
        return own;
      },
      reinstall: (prepare) => {
        handle.relax();
        this.installer.uninstall?.(py);
        for (const d of DOMAINS) py.PyMem_SetAllocator(DOMAIN_NUMBER[d], below[d].recorder.installed);
        prepare();
        ({ hooked, own } = this.installOver(py));
        clear();
      },
      clear,
      relax: () => {
        mode.strict = false;
        for (const d of DOMAINS) py.PyMem_SetAllocator(DOMAIN_NUMBER[d], own[d]);
      },
    };
    return new Proxy(py, {
      get(t, k, r) {
        if (k === HOOK_UNDER_TEST) return handle;
        const v = Reflect.get(t, k, r);
        return typeof v === "function" ? v.bind(t) : v;
      },
    });
  }
}
