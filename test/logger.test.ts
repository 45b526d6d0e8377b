import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { runGroup, startGroup, type LogFields, type Logger } from '../src/index.js';
import { aborted } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const waitForever = ({ signal }: { signal: AbortSignal }) => aborted(signal);

/** A real pino logger writing JSON lines into memory. */
function pinoLines() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('logger: pino', () => {
  test('a crash is one line with err (type, message, stack), worker, attempt and delayMs', async () => {
    vi.useFakeTimers();
    const { logger, lines } = pinoLines();
    const promise = runGroup(
      [{ name: 'flaky', work: ({ attempt }) => { if (attempt === 1) throw new TypeError('kaboom'); } }],
      { installSignals: false, logger },
    );
    await vi.runAllTimersAsync();
    await promise;
    const crash = lines.find((line) => line.msg === 'worker flaky crashed (attempt 1); restarting in 1s');
    expect(crash).toMatchObject({ level: 50, worker: 'flaky', attempt: 1, delayMs: 1000 });
    const err = crash?.err as { type: string; message: string; stack: string };
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('kaboom');
    expect(err.stack).toMatch(/^TypeError: kaboom\n {4}at /);
    expect(lines.map((line) => line.msg)).toEqual([
      'group: hosting 1 worker: flaky',
      'worker flaky crashed (attempt 1); restarting in 1s',
      'worker flaky restarted (attempt 2)',
      'worker flaky exited cleanly; not restarting',
      'group: shut down (1 worker)',
    ]);
  });

  test('a worker that gives up logs its attempts (singular) and the error under err', async () => {
    const { logger, lines } = pinoLines();
    await runGroup([{ name: 'once', restart: 'never', work: () => { throw new Error('no'); } }], { installSignals: false, logger });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'worker once failed after 1 attempt; not restarting', worker: 'once', attempts: 1, err: expect.objectContaining({ message: 'no' }) as unknown }),
    );
  });
});

describe('logger: messages', () => {
  function memoryLogger() {
    const lines: Array<[string, LogFields]> = [];
    const push = (fields: LogFields, message: string) => lines.push([message, fields]);
    const logger: Logger = { info: push, warn: push, error: push };
    return { logger, lines };
  }

  test('"stopping N workers" counts the live ones, not the finished', async () => {
    const { logger, lines } = memoryLogger();
    const group = startGroup(
      [
        { name: 'a', work: waitForever },
        { name: 'b', work: waitForever },
        { name: 'c', work: () => undefined },
        { name: 'd', work: () => { throw new Error('x'); }, restart: 'never' },
      ],
      { installSignals: false, logger },
    );
    await new Promise<void>((resolve) => {
      const stop = group.actor.subscribe(() => {
        if (group.status().filter((worker) => worker.state === 'done' || worker.state === 'failed').length === 2) {
          stop.unsubscribe();
          resolve();
        }
      });
    });
    await group.stop();
    expect(lines.map(([message]) => message)).toContain('group: stopping 2 workers');
    expect(lines).toContainEqual(['group: shut down (4 workers)', { workers: 4 }]);
  });

  test('console is called console-style: the message first, then the error', async () => {
    vi.useFakeTimers();
    const calls: unknown[][] = [];
    vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) => calls.push(['info', ...args]));
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => calls.push(['error', ...args]));
    const error = new Error('kaboom');
    const promise = runGroup([{ name: 'w', work: ({ attempt }) => { if (attempt === 1) throw error; } }], {
      installSignals: false,
      logger: console,
    });
    await vi.runAllTimersAsync();
    await promise;
    expect(calls).toEqual([
      ['info', 'group: hosting 1 worker: w'],
      ['error', 'worker w crashed (attempt 1); restarting in 1s', error],
      ['info', 'worker w restarted (attempt 2)'],
      ['info', 'worker w exited cleanly; not restarting'],
      ['info', 'group: shut down (1 worker)'],
    ]);
  });
});
