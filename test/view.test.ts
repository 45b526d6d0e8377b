import { get, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { startGroup, type GroupHandle, type WorkerSpec } from '../src/index.js';
import { summarize } from '../src/options.js';
import { createLiveView } from '../src/view/live-view.js';
import type { DeltaMessage, SnapshotMessage, TreeNode, WorkerRow } from '../src/view/protocol.js';
import { ViewState } from '../src/view/state.js';
import { aborted, deferred } from './helpers.js';
import { serveView } from './view-server.js';

type Message = { event: 'snapshot'; data: SnapshotMessage } | { event: 'delta'; data: DeltaMessage };

/** A page's view of the stream: every message, and the group as the messages build it. */
interface Stream {
  messages: Message[];
  rows: Map<string, WorkerRow>;
  /** Resolves once the rows satisfy `predicate` (checked after each message). */
  until(predicate: (rows: Map<string, WorkerRow>) => boolean): Promise<void>;
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  close(): void;
}

function subscribe(url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const request = get(new URL('events', url), (response: IncomingMessage) => {
      const messages: Message[] = [];
      const rows = new Map<string, WorkerRow>();
      const waiters: Array<{ predicate: (rows: Map<string, WorkerRow>) => boolean; resolve: () => void }> = [];
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === undefined || data === undefined) continue;
          const message = { event, data: JSON.parse(data) as unknown } as Message;
          messages.push(message);
          if (message.event === 'snapshot') {
            rows.clear();
            for (const row of message.data.workers) rows.set(row.name, row);
          } else {
            for (const name of message.data.remove) rows.delete(name);
            for (const row of message.data.upsert) rows.set(row.name, row);
          }
          for (const waiter of waiters.splice(0)) {
            if (waiter.predicate(rows)) waiter.resolve();
            else waiters.push(waiter);
          }
        }
      });
      const ended = new Promise<void>((done) => response.on('end', done));
      resolve({
        messages,
        rows,
        ended,
        until: (predicate) =>
          predicate(rows) ? Promise.resolve() : new Promise<void>((done) => waiters.push({ predicate, resolve: done })),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(specs: WorkerSpec[]): Promise<{ group: GroupHandle; url: string }> {
  const group = startGroup(specs, { logger: false, installSignals: false });
  cleanups.push(() => group.stop());
  const served = await serveView(group);
  cleanups.push(served.close);
  return { group, url: served.url };
}

const steady: WorkerSpec['work'] = ({ signal }) => aborted(signal);

describe('createLiveView', () => {
  test('takes only a handle made by startGroup', () => {
    expect(() => createLiveView({} as GroupHandle)).toThrow(
      new TypeError('Expected `group` to be a handle returned by startGroup, got {}'),
    );
    expect(() => createLiveView(undefined as unknown as GroupHandle)).toThrow(TypeError);
  });

  test('serves its page, its stream and its tree, and leaves every other request alone', async () => {
    const { url } = await serve([{ name: 'steady', work: steady }]);
    const page = await fetchText(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; connect-src 'self'/);
    expect(page.body).toMatch(/^<!doctype html>/);
    expect((await fetchText(new URL('nope', url).href)).status).toBe(404);
    expect((await fetchText(url, { method: 'POST' })).status).toBe(404);
    const tree = JSON.parse((await fetchText(new URL('tree', url).href)).body) as TreeNode;
    const names: string[] = [];
    const walk = (node: TreeNode): void => {
      if (node.logic === 'worker' && node.name !== undefined) names.push(node.name);
      node.children.forEach(walk);
    };
    walk(tree);
    expect(tree.logic).toBe('group');
    expect(names).toEqual(['steady']);
  });

  test('a page gets the whole group on connect, then each change', async () => {
    const crash = deferred();
    const { url } = await serve([
      { name: 'consumer', work: () => crash.promise, backoff: { initialMs: 60_000, maxMs: 60_000 } },
      { name: 'steady', work: steady },
    ]);
    const stream = await subscribe(url);
    cleanups.push(() => stream.close());
    await stream.until((rows) => rows.size === 2);
    expect(stream.messages[0]?.event).toBe('snapshot');
    expect([...stream.rows.values()]).toEqual([
      { name: 'consumer', state: 'running', attempts: 1, restarts: 0, ready: true },
      { name: 'steady', state: 'running', attempts: 1, restarts: 0, ready: true },
    ]);
    crash.reject(new Error('connection reset'));
    await stream.until((rows) => rows.get('consumer')?.state === 'backoff');
    const row = stream.rows.get('consumer');
    expect(row?.lastError).toBe('Error: connection reset');
    expect(row?.nextAttemptAt).toBeGreaterThan(Date.now() + 50_000);
    const delta = stream.messages.at(-1);
    expect(delta?.event).toBe('delta');
    if (delta?.event !== 'delta') return;
    expect(delta.data.upsert.map((changed) => changed.name)).toEqual(['consumer']);
    expect(delta.data.append).toEqual([
      ['consumer', [expect.objectContaining({ seq: 2, state: 'backoff', text: 'crashed: Error: connection reset; restart in 60000 ms' })]],
    ]);
  });

  test('a page that connects late gets the current state and the recent transitions, not a log', async () => {
    const { group, url } = await serve([
      { name: 'once', restart: 'never', work: () => Promise.reject(new RangeError('no such shard')) },
      { name: 'steady', work: steady },
      { name: 'removed', work: steady },
    ]);
    await group.remove('removed');
    group.add({ name: 'late', work: steady });
    const stream = await subscribe(url);
    cleanups.push(() => stream.close());
    await stream.until((rows) => rows.size === 3);
    expect(stream.messages).toHaveLength(1);
    const snapshot = stream.messages[0];
    if (snapshot?.event !== 'snapshot') throw new Error('expected a snapshot first');
    expect(snapshot.data.workers.map(({ name, state }) => [name, state])).toEqual([['once', 'failed'], ['steady', 'running'], ['late', 'running']]);
    expect(snapshot.data.workers[0]?.lastError).toBe('RangeError: no such shard');
    expect(snapshot.data.timelines.map((entries) => entries.map((entry) => entry.text))).toEqual([
      ['running (attempt 1) when the view started', 'gave up after 1 attempts: RangeError: no such shard'],
      ['running (attempt 1) when the view started'],
      ['started (attempt 1)'],
    ]);
  });

  test('a removed worker leaves the page', async () => {
    const { group, url } = await serve([{ name: 'a', work: steady }, { name: 'b', work: steady }]);
    const stream = await subscribe(url);
    cleanups.push(() => stream.close());
    await stream.until((rows) => rows.size === 2);
    await group.remove('a');
    await stream.until((rows) => !rows.has('a'));
    expect([...stream.rows.keys()]).toEqual(['b']);
  });

  test('coalesces: 200 workers crashing at once reach the page in a few messages', async () => {
    const crash = deferred();
    const specs: WorkerSpec[] = Array.from({ length: 200 }, (_, i) => ({
      name: `w${i}`,
      work: () => crash.promise,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
    }));
    const { url } = await serve(specs);
    const stream = await subscribe(url);
    cleanups.push(() => stream.close());
    await stream.until((rows) => rows.size === 200);
    crash.reject(new Error('shared dependency down'));
    await stream.until((rows) => [...rows.values()].every((row) => row.state === 'backoff'));
    // 200 crash events; one snapshot and at most a couple of deltas (a push per 100 ms).
    expect(stream.messages.length).toBeLessThanOrEqual(4);
  });

  test('the group ends: the last message a page gets says so, then the stream ends', async () => {
    const { group, url } = await serve([{ name: 'steady', work: steady }]);
    const stream = await subscribe(url);
    await group.stop();
    await stream.ended;
    const last = stream.messages.at(-1);
    expect(last?.data.group).toBe('done');
    expect(stream.rows.get('steady')?.state).toBe('stopped');
  });

  test('close() ends every stream', async () => {
    const group = startGroup([{ name: 'steady', work: steady }], { logger: false, installSignals: false });
    cleanups.push(() => group.stop());
    const view = createLiveView(group);
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      if (!view.handle(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const stream = await subscribe(`http://127.0.0.1:${address.port}/`);
    await stream.until((rows) => rows.size === 1);
    const ended = new Promise<void>((resolve) => server.once('request', () => resolve()));
    view.close();
    expect((await fetchText(`http://127.0.0.1:${address.port}/`)).status).toBe(404);
    await ended;
  });
});

describe('ViewState', () => {
  test('shows any thrown value as a string, even one whose message throws', () => {
    const state = new ViewState(() => 1000);
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', { get: () => { throw new Error('gotcha'); } });
    state.record({ type: 'worker.crashed', name: '__proto__', attempt: 1, error: hostile, delayMs: 10 });
    const delta = state.update([{ name: '__proto__', state: 'backoff', attempts: 1, restarts: 0, ready: false, lastError: hostile }], 'running');
    const text = summarize(hostile);
    expect(text).toEqual(expect.any(String));
    expect(delta?.upsert).toEqual([{ name: '__proto__', state: 'backoff', attempts: 1, restarts: 0, ready: false, lastError: text }]);
    expect(delta?.append[0]?.[1][0]?.text).toBe(`crashed: ${text}; restart in 10 ms`);
  });

  test('keeps a bounded ring of transitions per worker', () => {
    const state = new ViewState(() => 0);
    for (let attempt = 1; attempt <= 100; attempt++) state.record({ type: 'worker.started', name: 'w', attempt });
    state.update([{ name: 'w', state: 'running', attempts: 100, restarts: 99, ready: true }], 'running');
    const [timeline] = state.snapshot().timelines;
    expect(timeline).toHaveLength(30);
    expect(timeline?.at(-1)).toEqual({ seq: 100, at: 0, state: 'running', text: 'started (attempt 100)' });
  });

  test('shows events it does not know by their type (worker.hung)', () => {
    const state = new ViewState(() => 0);
    state.record({ type: 'worker.hung', name: 'w', attempt: 1, timeout: 'heartbeat' } as never);
    state.update([{ name: 'w', state: 'running', attempts: 1, restarts: 0, ready: true }], 'running');
    expect(state.snapshot().timelines[0]?.[0]).toMatchObject({ state: 'hung', text: 'hung (heartbeat)' });
  });
});
