/**
 * The PEP 445 "Examples" section as runnable TypeScript: use cases 1-3 with the 2013 API names the PEP
 * uses, and use case 3 against the shipped API.
 *
 * @example
 * ```ts
 * import { createRef } from "../ref.ts";
 * import { useCase2 } from "./mod.ts";
 * useCase2(createRef());
 * ```
 * @module
 */
export { alloc_padding, arena_padding, useCase1 } from "./use_case_1.ts";
export { padding, useCase2 } from "./use_case_2.ts";
export { createUseCase3, type Hook, type HookCall } from "./use_case_3.ts";
export { createUseCase3Shipped, type ShippedHook, type ShippedHookCall } from "./use_case_3_shipped.ts";
