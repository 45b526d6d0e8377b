/**
 * The restart delay policy: plain data plus a pure function of the crash count.
 *
 * The delay before restart number `n` (counting consecutive crashes from 1) is
 * `min(maxMs, initialMs · factor^(n-1))`. With the defaults that is
 * 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s, …
 */
export interface BackoffOptions {
  /** Delay before the first restart, in milliseconds. @default 1000 */
  initialMs?: number;
  /** Growth of the delay per consecutive crash (≥ 1). @default 2 */
  factor?: number;
  /** Upper bound of the delay, in milliseconds (≥ `initialMs`). @default 30000 */
  maxMs?: number;
}

/** A fully resolved {@link BackoffOptions}. */
export type BackoffPolicy = Required<BackoffOptions>;

/** The defaults, as in the Python reference: 1 s, ×2 per crash, capped at 30 s. */
export const defaultBackoff: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 1000,
  factor: 2,
  maxMs: 30_000,
});

/** Fills in the defaults of a partial policy. Does not validate (see `src/options.ts`). */
export function resolveBackoff(options: BackoffOptions | undefined): BackoffPolicy {
  return {
    initialMs: options?.initialMs ?? defaultBackoff.initialMs,
    factor: options?.factor ?? defaultBackoff.factor,
    maxMs: options?.maxMs ?? defaultBackoff.maxMs,
  };
}

/**
 * The delay before the restart that follows consecutive crash number `crashes` (1, 2, …).
 *
 * @example
 * ```ts
 * [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(defaultBackoff, n));
 * // [1000, 2000, 4000, 8000, 16000, 30000, 30000]
 * ```
 */
export function backoffDelay(policy: BackoffPolicy, crashes: number): number {
  const exponent = Math.max(0, crashes - 1);
  // factor^exponent overflows to Infinity for long crash runs; min() keeps the cap.
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
}
