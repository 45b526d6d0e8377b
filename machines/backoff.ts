/**
 * The restart delay policy: plain data plus a pure function of the crash count.
 *
 * The delay before the restart that follows consecutive crash number `n` (1, 2, …) is
 * `d(n) = min(maxMs, initialMs · factor^(n-1))`. With the defaults that is
 * 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s, … Jitter then draws the delay from
 * [0, d(n)] (`'full'`) or [d(n)/2, d(n)] (`'equal'`), so the cap holds after jitter.
 */
export interface BackoffOptions {
  /** Delay before the first restart, in milliseconds. @default 1000 */
  initialMs?: number;
  /** Growth of the delay per consecutive crash (≥ 1). @default 2 */
  factor?: number;
  /** Upper bound of the delay, in milliseconds (≥ `initialMs`), jitter included. @default 30000 */
  maxMs?: number;
  /**
   * Randomizes each delay so that workers crashing together do not restart together:
   * `'full'` draws from [0, d], `'equal'` from [d/2, d], `'none'` keeps d.
   * @default 'none'
   */
  jitter?: 'none' | 'full' | 'equal';
  /**
   * An attempt that has run at least this long, in milliseconds, resets the delay: its
   * crash restarts after `initialMs` again, as if it were the first (Kubernetes resets
   * after 10 minutes, PM2 after 30 s). Measured on the actor's clock.
   * @default undefined (never: the delay keeps growing, as in the reference)
   */
  resetAfterMs?: number;
}

/** A fully resolved {@link BackoffOptions}. */
export type BackoffPolicy = Required<Omit<BackoffOptions, 'resetAfterMs'>> & { resetAfterMs: number | undefined };

/** The defaults, as in the Python reference: 1 s, ×2 per crash, capped at 30 s, no jitter. */
export const defaultBackoff: Readonly<BackoffPolicy> = Object.freeze({
  initialMs: 1000,
  factor: 2,
  maxMs: 30_000,
  jitter: 'none',
  resetAfterMs: undefined,
});

/** Fills in the defaults of a partial policy. Does not validate (see `src/options.ts`). */
export function resolveBackoff(options: BackoffOptions | undefined): BackoffPolicy {
  return {
    initialMs: options?.initialMs ?? defaultBackoff.initialMs,
    factor: options?.factor ?? defaultBackoff.factor,
    maxMs: options?.maxMs ?? defaultBackoff.maxMs,
    jitter: options?.jitter ?? defaultBackoff.jitter,
    resetAfterMs: options?.resetAfterMs,
  };
}

/**
 * The delay before the restart that follows consecutive crash number `crashes` (1, 2, …).
 * `random` returns a number in [0, 1), as `Math.random` does; inject one to pin jitter.
 *
 * @example
 * ```ts
 * [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(defaultBackoff, n));
 * // [1000, 2000, 4000, 8000, 16000, 30000, 30000]
 * ```
 */
export function backoffDelay(policy: BackoffPolicy, crashes: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, crashes - 1);
  // factor^exponent overflows to Infinity for long crash runs: min() keeps the cap, and a
  // zero initialMs must stay 0 (0 · Infinity is NaN).
  const grown = policy.initialMs === 0 ? 0 : policy.initialMs * policy.factor ** exponent;
  const delay = Math.min(policy.maxMs, grown);
  // min(delay, …): floating point may round a jittered value just above the cap.
  switch (policy.jitter) {
    case 'full':
      return Math.min(delay, random() * delay);
    case 'equal':
      return Math.min(delay, delay / 2 + (random() * delay) / 2);
    default:
      return delay;
  }
}
