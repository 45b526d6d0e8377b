import { describe, expect, test, vi } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { workerMachine } from '../machines/worker.js';
import { aborted, controllableWork, startWorker, untilState } from './helpers.js';

const running = { attempt: 'running' } as const;
const stopping = { attempt: 'stopping' } as const;

describe('worker: restart after a crash', () => {
  test('restarts a crashed worker after 1 s, not before', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work });
    work.last().settle.reject(new Error('boom'));
    await untilState(actor, 'backoff');
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe('backoff');
    expect(work.attempts).toHaveLength(1);
    clock.increment(1);
    expect(actor.getSnapshot().matches(running)).toBe(true);
    expect(work.attempts).toHaveLength(2);
    expect(work.last().context.attempt).toBe(2);
  });

  test('waits 1, 2, 4, 8, 16, 30, 30 s between consecutive crashes', async () => {
    const { actor, clock, events } = startWorker({
      name: 'w',
      work: () => Promise.reject(new Error('always')),
    });
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      await untilState(actor, 'backoff');
      const { delayMs } = actor.getSnapshot().context;
      delays.push(delayMs);
      clock.increment(delayMs - 1);
      expect(actor.getSnapshot().value).toBe('backoff');
      clock.increment(1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const crashed = events.filter((event) => event.type === 'worker.crashed');
    expect(crashed.map((event) => event.delayMs)).toEqual(delays);
    actor.stop();
  });

  test('uses the backoff options', async () => {
    const { actor, clock } = startWorker({
      name: 'w',
      work: () => Promise.reject(new Error('always')),
      backoff: { initialMs: 10, factor: 3, maxMs: 50 },
    });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await untilState(actor, 'backoff');
      delays.push(actor.getSnapshot().context.delayMs);
      clock.increment(actor.getSnapshot().context.delayMs);
    }
    expect(delays).toEqual([10, 30, 50, 50]);
    actor.stop();
  });

  test.each([
    ['a rejected Error', () => Promise.reject(new Error('e')), (e: unknown) => expect(e).toBeInstanceOf(Error)],
    ['a synchronous throw', () => { throw new TypeError('sync'); }, (e: unknown) => expect(e).toBeInstanceOf(TypeError)],
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    ['a rejection with undefined', () => Promise.reject(undefined), (e: unknown) => expect(e).toBeUndefined()],
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    ['a rejection with a string', () => Promise.reject('text'), (e: unknown) => expect(e).toBe('text')],
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    ['a thrown number', () => { throw 42; }, (e: unknown) => expect(e).toBe(42)],
  ])('treats %s as a crash and reports it as thrown', async (_, work, check) => {
    const { actor, events } = startWorker({ name: 'w', work });
    await untilState(actor, 'backoff');
    const crash = events.find((event) => event.type === 'worker.crashed');
    expect(crash).toBeDefined();
    check(crash?.type === 'worker.crashed' ? crash.error : 'missing');
    actor.send({ type: 'STOP' });
    const report = actor.getSnapshot().output;
    expect(report).toMatchObject({ outcome: 'stopped', attempts: 1 });
    expect(report && 'lastError' in report).toBe(true);
    check(report?.lastError);
  });

  test('gives the work its name, attempt number and a live signal', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'poller', work: work.work });
    expect(work.last().context).toMatchObject({ name: 'poller', attempt: 1 });
    expect(work.last().context.signal.aborted).toBe(false);
    work.last().settle.reject(new Error('x'));
    await untilState(actor, 'backoff');
    clock.increment(1000);
    expect(work.last().context).toMatchObject({ name: 'poller', attempt: 2 });
    actor.stop();
  });
});

describe('worker: clean exit', () => {
  test('a clean return ends supervision as done', async () => {
    const { actor, events } = startWorker({ name: 'w', work: () => 'result' });
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().value).toBe('done');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'done', attempts: 1, restarts: 0, stopTimedOut: false,
    });
    expect(events.map((event) => event.type)).toEqual(['worker.started', 'worker.exited']);
  });

  test('a return after crashes reports the last error and the restarts', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work });
    const error = new Error('first');
    work.last().settle.reject(error);
    await untilState(actor, 'backoff');
    clock.increment(1000);
    work.last().settle.resolve();
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'done', attempts: 2, restarts: 1, lastError: error, stopTimedOut: false,
    });
  });
});

describe('worker: graceful stop', () => {
  test('STOP aborts the signal and waits for the work to settle', async () => {
    const work = controllableWork();
    const { actor, events } = startWorker({ name: 'w', work: work.work });
    actor.send({ type: 'STOP' });
    expect(work.last().context.signal.aborted).toBe(true);
    expect(actor.getSnapshot().matches(stopping)).toBe(true);
    expect(actor.getSnapshot().status).toBe('active');
    work.last().settle.resolve();
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false,
    });
    expect(events.at(-1)).toEqual({ type: 'worker.stopped', name: 'w', attempts: 1, stopTimedOut: false, stopTimeoutMs: 10_000 });
  });

  test('work that rejects with its abort reason is stopped, not crashed, and no error is kept', async () => {
    const { actor } = startWorker({
      name: 'w',
      work: async ({ signal }) => {
        await aborted(signal);
        signal.throwIfAborted();
      },
    });
    actor.send({ type: 'STOP' });
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: false,
    });
  });

  test('work that throws something else while stopping is stopped, and the error is reported', async () => {
    const cleanupError = new Error('cleanup failed');
    const { actor } = startWorker({
      name: 'w',
      work: async ({ signal }) => {
        await aborted(signal);
        throw cleanupError;
      },
    });
    actor.send({ type: 'STOP' });
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', lastError: cleanupError, restarts: 0 });
  });

  test('gives up waiting after stopTimeoutMs and reports stopTimedOut', () => {
    const { actor, clock, events } = startWorker({ name: 'w', work: () => new Promise(() => {}), stopTimeoutMs: 500 });
    actor.send({ type: 'STOP' });
    clock.increment(499);
    expect(actor.getSnapshot().matches(stopping)).toBe(true);
    clock.increment(1);
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'stopped', attempts: 1, restarts: 0, stopTimedOut: true,
    });
    expect(events.at(-1)).toMatchObject({ type: 'worker.stopped', stopTimedOut: true });
  });

  test('waits 10 s by default', () => {
    const { actor, clock } = startWorker({ name: 'w', work: () => new Promise(() => {}) });
    actor.send({ type: 'STOP' });
    clock.increment(9999);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    expect(actor.getSnapshot().output?.stopTimedOut).toBe(true);
  });

  test('STOP during backoff ends at once and never starts another attempt', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work });
    work.last().settle.reject(new Error('boom'));
    await untilState(actor, 'backoff');
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toBe('stopped');
    clock.increment(60_000);
    expect(work.attempts).toHaveLength(1);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 1 });
  });

  test('a second STOP while stopping changes nothing', async () => {
    const work = controllableWork();
    const { actor } = startWorker({ name: 'w', work: work.work });
    actor.send({ type: 'STOP' });
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().matches(stopping)).toBe(true);
    work.last().settle.resolve();
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 1 });
  });

  test('a crash after STOP is not restarted', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work });
    actor.send({ type: 'STOP' });
    work.last().settle.reject(new Error('late crash'));
    await waitFor(actor, (snapshot) => snapshot.status === 'done');
    clock.increment(60_000);
    expect(work.attempts).toHaveLength(1);
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 1 });
  });

  test('stopping the actor from outside aborts the work signal', () => {
    const work = controllableWork();
    const actor = createActor(workerMachine, { input: { name: 'w', work: work.work } }).start();
    const { signal } = work.last().context;
    actor.stop();
    expect(signal.aborted).toBe(true);
  });
});

describe('worker: restart policy', () => {
  test("restart: 'never' — a crash ends the worker failed, with the error", async () => {
    const error = new Error('fatal');
    const { actor, clock, events } = startWorker({ name: 'w', work: () => Promise.reject(error), restart: 'never' });
    await waitFor(actor, (s) => s.status === 'done');
    clock.increment(60_000);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().output).toEqual({
      name: 'w', outcome: 'failed', attempts: 1, restarts: 0, lastError: error, stopTimedOut: false,
    });
    expect(events).toEqual([
      { type: 'worker.started', name: 'w', attempt: 1 },
      { type: 'worker.failed', name: 'w', attempts: 1, error },
    ]);
    // Final: STOP changes nothing (XState says so on the console; kept out of the test output).
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    actor.send({ type: 'STOP' });
    expect(warn.mock.calls[0]?.[0]).toMatch(/sent to stopped actor/);
    warn.mockRestore();
    expect(actor.getSnapshot().output?.outcome).toBe('failed');
  });

  test("restart: 'never' — a clean return is still done", async () => {
    const { actor } = startWorker({ name: 'w', work: () => undefined, restart: 'never' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output?.outcome).toBe('done');
  });

  test("restart: 'always' — a clean return is restarted after the current delay", async () => {
    const work = controllableWork();
    const { actor, clock, events } = startWorker({ name: 'w', work: work.work, restart: 'always' });
    work.last().settle.resolve();
    await untilState(actor, 'backoff');
    expect(events.at(-1)).toEqual({ type: 'worker.exited', name: 'w', attempt: 1, restartInMs: 1000 });
    clock.increment(999);
    expect(work.attempts).toHaveLength(1);
    clock.increment(1);
    expect(work.attempts).toHaveLength(2);
    // Two crashes make the current delay 2 s; a clean return keeps it, without growing it.
    work.last().settle.reject(new Error('a'));
    await untilState(actor, 'backoff');
    clock.increment(1000);
    work.last().settle.reject(new Error('b'));
    await untilState(actor, 'backoff');
    clock.increment(2000);
    work.last().settle.resolve();
    await untilState(actor, 'backoff');
    expect(actor.getSnapshot().context.delayMs).toBe(2000);
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().output).toMatchObject({ outcome: 'stopped', attempts: 4, restarts: 3 });
  });
});

describe('worker: jitter', () => {
  async function delaysOf(jitter: 'full' | 'equal', random: () => number, crashes: number) {
    const { actor, clock } = startWorker({
      name: 'w', work: () => Promise.reject(new Error('x')), backoff: { jitter, maxMs: 4000 }, random,
    });
    const delays: number[] = [];
    for (let i = 0; i < crashes; i++) {
      await untilState(actor, 'backoff');
      delays.push(actor.getSnapshot().context.delayMs);
      clock.increment(actor.getSnapshot().context.delayMs);
    }
    actor.stop();
    return delays;
  }

  test("'full' draws each delay from [0, d] with the injected random source", async () => {
    expect(await delaysOf('full', () => 0.5, 5)).toEqual([500, 1000, 2000, 2000, 2000]);
    expect(await delaysOf('full', () => 0, 2)).toEqual([0, 0]);
  });

  test("'equal' draws each delay from [d/2, d]; the cap holds after jitter", async () => {
    expect(await delaysOf('equal', () => 0, 4)).toEqual([500, 1000, 2000, 2000]);
    const high = await delaysOf('equal', () => 0.999, 5);
    expect(high.every((delay, i) => delay <= [1000, 2000, 4000, 4000, 4000][i]!)).toBe(true);
    expect(high[4]).toBeGreaterThan(3990);
  });
});

describe('worker: the signal lives as long as the attempt', () => {
  test('is aborted when the attempt crashes or returns, so what the work left behind is cancelled', async () => {
    const work = controllableWork();
    const { actor, clock } = startWorker({ name: 'w', work: work.work, restart: 'always' });
    const first = work.last().context.signal;
    work.last().settle.reject(new Error('crash'));
    await untilState(actor, 'backoff');
    expect(first.aborted).toBe(true);
    expect((first.reason as Error).name).toBe('AbortError');
    clock.increment(1000);
    const second = work.last().context.signal;
    expect(second.aborted).toBe(false);
    work.last().settle.resolve();
    await untilState(actor, 'backoff');
    expect(second.aborted).toBe(true);
    actor.stop();
  });
});
