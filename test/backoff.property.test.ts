// Properties of the backoff arithmetic, for any valid options (fast-check).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { backoffDelay, resolveBackoff, type BackoffPolicy } from '../machines/backoff.js';

// CI runs a fixed seed, so a verdict is reproducible; locally every run explores anew
// (fast-check prints the seed of a failure: FC_SEED=… reruns it).
const seed = process.env.FC_SEED ?? (process.env.CI ? '20261124' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

const maxTimerMs = 2 ** 31 - 1;
/** Valid options, as src/options.ts accepts them: 0 ≤ initialMs ≤ maxMs ≤ 2^31-1, factor ≥ 1. */
const policy = (jitter: BackoffPolicy['jitter']) =>
  fc
    .tuple(
      fc.double({ min: 0, max: maxTimerMs, noNaN: true }),
      fc.double({ min: 0, max: maxTimerMs, noNaN: true }),
      fc.double({ min: 1, max: 100, noNaN: true }),
    )
    .map(([a, b, factor]) => resolveBackoff({ initialMs: Math.min(a, b), maxMs: Math.max(a, b), factor, jitter }));
const crashes = fc.integer({ min: 1, max: 2000 });
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoff properties', () => {
  test('jitter never rounds above the cap, even for the tiniest delays', () => {
    const tiny = resolveBackoff({ initialMs: 1.5e-323, maxMs: 1.5e-323, factor: 1, jitter: 'equal' });
    expect(backoffDelay(tiny, 1, () => 0.8333333333333334)).toBeLessThanOrEqual(1.5e-323);
  });

  test('without jitter: starts at initialMs, never decreases, never exceeds maxMs', () => {
    fc.assert(
      fc.property(policy('none'), fc.integer({ min: 2, max: 200 }), (p, length) => {
        const delays = Array.from({ length }, (_, i) => backoffDelay(p, i + 1));
        expect(delays[0]).toBe(p.initialMs);
        for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
        for (const delay of delays) expect(delay).toBeLessThanOrEqual(p.maxMs);
      }),
    );
  });

  test("'full' jitter stays in [0, d] and so under maxMs", () => {
    fc.assert(
      fc.property(policy('full'), crashes, unit, (p, n, r) => {
        const d = backoffDelay({ ...p, jitter: 'none' }, n);
        const delay = backoffDelay(p, n, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(d);
        expect(delay).toBeLessThanOrEqual(p.maxMs);
      }),
    );
  });

  test("'equal' jitter stays in [d/2, d] and so under maxMs", () => {
    fc.assert(
      fc.property(policy('equal'), crashes, unit, (p, n, r) => {
        const d = backoffDelay({ ...p, jitter: 'none' }, n);
        const delay = backoffDelay(p, n, () => r);
        expect(delay).toBeGreaterThanOrEqual(d / 2);
        expect(delay).toBeLessThanOrEqual(d);
        expect(delay).toBeLessThanOrEqual(p.maxMs);
      }),
    );
  });

  test('every delay is a finite number a timer can honour', () => {
    fc.assert(
      fc.property(fc.constantFrom('none', 'full', 'equal' as const), crashes, unit, (jitter, n, r) =>
        fc.assert(
          fc.property(policy(jitter), (p) => {
            const delay = backoffDelay(p, n, () => r);
            expect(Number.isFinite(delay)).toBe(true);
            expect(delay).toBeLessThanOrEqual(maxTimerMs);
          }),
          { numRuns: 5 },
        ),
      ),
      { numRuns: 50 },
    );
  });
});
