import { describe, expect, test } from 'vitest';
import { backoffDelay, defaultBackoff, resolveBackoff } from '../machines/backoff.js';

describe('backoffDelay', () => {
  test('follows the reference: 1 s, doubling, capped at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(defaultBackoff, n));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  test('applies initialMs, factor and maxMs', () => {
    const policy = resolveBackoff({ initialMs: 100, factor: 3, maxMs: 2000 });
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n))).toEqual([100, 300, 900, 2000, 2000]);
  });

  test('factor 1 keeps the delay constant; initialMs 0 restarts at once', () => {
    expect([1, 2, 3].map((n) => backoffDelay(resolveBackoff({ factor: 1 }), n))).toEqual([1000, 1000, 1000]);
    expect(backoffDelay(resolveBackoff({ initialMs: 0 }), 5)).toBe(0);
  });

  test('stays at the cap after so many crashes that factor^n overflows', () => {
    expect(backoffDelay(defaultBackoff, 5000)).toBe(30000);
  });
});

test('a zero initialMs stays 0 however long the crash run (no 0 · Infinity = NaN)', () => {
  expect(backoffDelay(resolveBackoff({ initialMs: 0, maxMs: 0, factor: 10 }), 1000)).toBe(0);
});
