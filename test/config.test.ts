import { describe, expect, test } from 'vitest';
import { createActor, type AnyActorRef, type SnapshotFrom } from 'xstate';
import { startGroup } from '../src/index.js';
import { configOf, workerMachine, type WorkerInput } from '../machines/worker.js';
import type { SupervisorEventHandler } from '../machines/types.js';

const work = (): Promise<void> => new Promise(() => undefined);

describe('worker config: one object for consecutive workers started with the same options', () => {
  test('the same options give the same config; any difference gives a config of its own', () => {
    const onEvent: SupervisorEventHandler = () => undefined;
    const base: WorkerInput = { name: 'a', work, onEvent, backoff: { initialMs: 10, maxMs: 100 }, stopTimeoutMs: 5 };
    const first = configOf(base);
    // Another worker, equal options in new objects: shared.
    expect(configOf({ ...base, name: 'b', backoff: { initialMs: 10, maxMs: 100 } })).toBe(first);
    const variants: Partial<WorkerInput>[] = [
      { backoff: { initialMs: 20, maxMs: 100 } },
      { backoff: { initialMs: 10, maxMs: 100, jitter: 'full' } },
      { backoff: { initialMs: 10, maxMs: 100, resetAfterMs: 1 } },
      { restart: 'always' },
      { maxRestarts: { count: 1, withinMs: 10 } },
      { stopTimeoutMs: 6 },
      { readyTimeoutMs: 1 },
      { heartbeatTimeoutMs: 1 },
      { attemptTimeoutMs: 1 },
      { now: () => 0 },
      { random: () => 0.5 },
    ];
    for (const variant of variants) {
      const config = configOf({ ...base, ...variant });
      expect(config, JSON.stringify(variant)).not.toBe(first);
      configOf(base); // back to the base options for the next variant
    }
  });

  test('workers with different options each keep their own, alternating or not', () => {
    const onEvent: SupervisorEventHandler = () => undefined;
    const slow = createActor(workerMachine, { input: { name: 's', work, onEvent, backoff: { initialMs: 500 } } }).start();
    const fast = createActor(workerMachine, { input: { name: 'f', work, onEvent, backoff: { initialMs: 5 } } }).start();
    const slow2 = createActor(workerMachine, { input: { name: 's2', work, onEvent, backoff: { initialMs: 500 } } }).start();
    expect(slow.getSnapshot().context.config.backoff.initialMs).toBe(500);
    expect(fast.getSnapshot().context.config.backoff.initialMs).toBe(5);
    expect(slow2.getSnapshot().context.config.backoff.initialMs).toBe(500);
    for (const actor of [slow, fast, slow2]) actor.stop();
  });

  test('a group of workers with the same options shares one config', () => {
    const onEvent: SupervisorEventHandler = () => undefined;
    const actors = ['a', 'b', 'c'].map((name) => createActor(workerMachine, { input: { name, work, onEvent } }).start());
    const [a, b, c] = actors.map((actor) => actor.getSnapshot().context.config);
    expect(b).toBe(a);
    expect(c).toBe(a);
    for (const actor of actors) actor.stop();
  });

  test("a group's branch hands its workers their config: the input keeps no copy of the options", async () => {
    const group = startGroup(
      [
        { name: 'a', work, backoff: { initialMs: 5 }, stopTimeoutMs: 50 },
        { name: 'b', work, backoff: { initialMs: 5 }, stopTimeoutMs: 50 },
      ],
      { installSignals: false, logger: false },
    );
    const [a, b] = ['a', 'b'].map((name) => group.actor.system.get(name) as AnyActorRef);
    const config = (a!.getSnapshot() as SnapshotFrom<typeof workerMachine>).context.config;
    expect((b!.getSnapshot() as SnapshotFrom<typeof workerMachine>).context.config).toBe(config);
    expect(config).toMatchObject({ backoff: { initialMs: 5 }, stopTimeoutMs: 50, stopDeadline: 'parent' });
    expect(Object.keys((a as unknown as { options: { input: object } }).options.input)).toEqual(['name', 'work']);
    await group.stop();
  });
});
