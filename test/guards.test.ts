// The type guards for what a group rejects with and what work throws.
import { describe, expect, test } from 'vitest';
import { FatalError, isFatal, isGroupFailure, runGroup } from '../src/index.js';

describe('isGroupFailure and isFatal', () => {
  test('isGroupFailure: true for the escalation rejection, with its report typed; false for look-alikes', async () => {
    const error: unknown = await runGroup(
      [{ name: 'bad', work: () => { throw new FatalError('no config'); } }],
      { installSignals: false, logger: false, onGiveUp: 'escalate' },
    ).catch((reason: unknown) => reason);
    expect(isGroupFailure(error)).toBe(true);
    if (!isGroupFailure(error)) return;
    expect(error.report.workers[0]?.outcome).toBe('failed'); // no cast needed
    expect(isFatal(error.cause)).toBe(true);

    expect(isGroupFailure(Object.assign(new Error('x'), { report: error.report }))).toBe(false);
    expect(isGroupFailure(undefined)).toBe(false);
    expect(isGroupFailure('GroupFailure')).toBe(false);
    const hostile = new Proxy(new Error('x'), { get() { throw new Error('trap'); } });
    expect(isGroupFailure(hostile)).toBe(false);
  });

  test('isFatal: a FatalError, and nothing else', () => {
    expect(isFatal(new FatalError('x'))).toBe(true);
    expect(isFatal(new Error('x'))).toBe(false);
    expect(isFatal(null)).toBe(false);
  });
});
