import { createServer } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { createActor, SimulatedClock, waitFor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { groupMachine, runGroup } from '../src/index.js';
import { controllableWork } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

describe('inspection', () => {
  test('an inspection observer sees each worker actor by name and its states', async () => {
    const clock = new SimulatedClock();
    const flaky = controllableWork();
    const steady = controllableWork();
    const states = new Map<string, unknown[]>();
    const refs: AnyActorRef[] = [];
    const inspect = (event: InspectionEvent) => {
      const ref = event.actorRef as AnyActorRef;
      // A worker's name is its systemId (its id is the package's own: w0, w1, …).
      const name = (ref as { systemId?: string }).systemId ?? ref.id;
      if (event.type === '@xstate.actor') refs.push(ref);
      if (event.type === '@xstate.snapshot' && (name === 'flaky' || name === 'steady')) {
        const { value } = event.snapshot as unknown as { value: unknown };
        const seen = states.get(name) ?? [];
        if (JSON.stringify(seen.at(-1)) !== JSON.stringify(value)) seen.push(value);
        states.set(name, seen);
      }
    };
    const group = createActor(groupMachine, {
      clock,
      inspect,
      input: { workers: [{ name: 'flaky', work: flaky.work }, { name: 'steady', work: steady.work }] },
    }).start();
    flaky.last().settle.reject(new Error('boom'));
    await waitFor(group.system.get('flaky') as AnyActorRef, (snapshot: { value: unknown }) => snapshot.value === 'backoff');
    clock.increment(1000);
    group.send({ type: 'STOP' });
    flaky.last().settle.resolve();
    steady.last().settle.resolve();
    await waitFor(group, (snapshot) => snapshot.status === 'done');

    // Read once they run: XState announces an actor before it sets its systemId.
    const actors = refs.map((ref) => (ref as { systemId?: string }).systemId ?? ref.id);
    expect(actors[0]).toBe(group.id);
    expect(actors).toEqual(expect.arrayContaining(['flaky', 'steady', 'work']));
    expect(states.get('flaky')).toEqual([
      { attempt: { running: 'warm' } },
      'backoff',
      { attempt: { running: 'warm' } },
      { attempt: { stopping: 'untilParentDeadline' } },
      'stopped',
    ]);
    expect(states.get('steady')).toEqual([
      { attempt: { running: 'warm' } },
      { attempt: { stopping: 'untilParentDeadline' } },
      'stopped',
    ]);
  });

  test('the @statelyai/inspect WebSocket relay carries the workers and their states', async () => {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const server = createInspectorServer({ port, autoOpen: false });
    const received: Array<{ type: string; name?: string; sessionId: string; snapshot?: { value?: unknown; context?: { name?: unknown } } }> = [];
    const client = new WebSocket(url);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const inspector = createWebSocketInspector({ url });
    try {
      const seenDone = new Promise<void>((resolve) => {
        client.on('message', (data: WebSocket.RawData) => {
          const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
          received.push(JSON.parse(text) as (typeof received)[number]);
          // The relay names an actor by its id (the package's own, w0, w1, …); a worker's
          // name is in its snapshot's context.
          const names = new Map(received.filter((e) => e.type === '@xstate.actor').map((e) => [e.sessionId, e.snapshot?.context?.name]));
          const done = received.filter((e) => e.type === '@xstate.snapshot' && e.snapshot?.value === 'done').map((e) => names.get(e.sessionId));
          if (done.includes('a') && done.includes('b')) resolve();
        });
      });
      const report = await runGroup([{ name: 'a', work: () => undefined }, { name: 'b', work: () => undefined }], {
        installSignals: false,
        logger: false,
        inspect: inspector.inspect,
      });
      expect(report.outcome).toBe('done');
      await seenDone;
      const names = received.filter((e) => e.type === '@xstate.actor').map((e) => e.snapshot?.context?.name ?? e.name);
      expect(names).toEqual(expect.arrayContaining(['group', 'a', 'b']));
    } finally {
      inspector.stop();
      client.close();
      server.stop();
    }
  });
});
