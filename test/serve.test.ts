import { connect } from 'node:net';
import { describe, expect, test } from 'vitest';
import { serveGroup, startGroup, type WorkContext, type WorkerSpec } from '../src/index.js';
import { workerOptionKeys } from '../src/options.js';
import { readiness } from '../src/serve.js';
import { aborted, deferred } from './helpers.js';
import { eventLog, get, sample } from './serve-helpers.js';

const waitForever = ({ signal }: { signal: AbortSignal }) => aborted(signal);
const quiet = { installSignals: false, logger: false } as const;
const state = (worker: string, name: string) => `xstate_supervisor_worker_state{worker="${worker}",state="${name}"}`;

/** Hung-work detection (readyTimeoutMs, heartbeatTimeoutMs, state 'hung') is in this build. */
const hungWork = (workerOptionKeys as readonly string[]).includes('readyTimeoutMs');

describe('serveGroup: through a group\'s life, over real sockets', () => {
  test('start: live, ready, series at 0, status', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }, { name: 'b', work: waitForever }], quiet);
    const server = await serveGroup(group);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const live = await get(`${server.url}/livez`);
    expect(live.status).toBe(200);
    expect(live.type).toBe('application/json; charset=utf-8');
    expect(live.json()).toEqual({ status: 'ok' });
    const ready = await get(`${server.url}/readyz`);
    expect([ready.status, ready.json()]).toEqual([200, { status: 'ok', workers: 2 }]);

    const metrics = await get(`${server.url}/metrics`);
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sample(metrics.text, 'xstate_supervisor_starts_total{worker="a"}')).toBe(1);
    expect(sample(metrics.text, 'xstate_supervisor_crashes_total{worker="a"}')).toBe(0);
    expect(sample(metrics.text, 'xstate_supervisor_hangs_total{worker="b"}')).toBe(0);
    expect(sample(metrics.text, state('a', 'running'))).toBe(1);
    expect(sample(metrics.text, state('a', 'backoff'))).toBe(0);

    const status = await get(`${server.url}/status`);
    expect(status.json()).toMatchObject([{ name: 'a', state: 'running', attempts: 1 }, { name: 'b', state: 'running' }]);

    await group.stop();
    await server.close();
  });

  test('crash loop: still live, not ready (naming the worker in backoff), crashes counted', async () => {
    const log = eventLog();
    const group = startGroup(
      [
        { name: 'steady', work: waitForever },
        { name: 'flaky', work: () => { throw new Error('boom'); }, backoff: { initialMs: 1, maxMs: 1 } },
      ],
      { ...quiet, onEvent: log.onEvent },
    );
    const server = await serveGroup(group);
    await log.until((event) => event.type === 'worker.crashed' && event.attempt === 3);

    expect((await get(`${server.url}/livez`)).status).toBe(200);
    const metrics = await get(`${server.url}/metrics`);
    expect(sample(metrics.text, 'xstate_supervisor_crashes_total{worker="flaky"}')).toBeGreaterThanOrEqual(3);
    expect(sample(metrics.text, 'xstate_supervisor_starts_total{worker="flaky"}')).toBeGreaterThanOrEqual(3);
    expect(sample(metrics.text, 'xstate_supervisor_crashes_total{worker="steady"}')).toBe(0);
    const status = (await get(`${server.url}/status`)).json() as Array<{ name: string; lastError?: unknown }>;
    expect(status.find((worker) => worker.name === 'flaky')?.lastError).toBe('Error: boom');
    await group.stop();
    await server.close();
  });

  test('a worker in backoff: live, not ready with its name and state, state series at backoff', async () => {
    const log = eventLog();
    const group = startGroup(
      [
        { name: 'steady', work: waitForever },
        { name: 'slow', work: () => { throw new Error('boom'); }, backoff: { initialMs: 600_000, maxMs: 600_000 } },
      ],
      { ...quiet, onEvent: log.onEvent },
    );
    const server = await serveGroup(group);
    await log.until((event) => event.type === 'worker.crashed');
    const live = await get(`${server.url}/livez`);
    expect(live.status).toBe(200);
    const ready = await get(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({
      status: 'not ready',
      reason: '1 of 2 workers not ready',
      notReady: [{ name: 'slow', state: 'backoff' }],
    });
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(sample(metrics, state('slow', 'backoff'))).toBe(1);
    expect(sample(metrics, state('slow', 'running'))).toBe(0);
    await group.stop();
    await server.close();
  });

  test('stopping: not ready at once, still live; stopped: the server closes itself', async () => {
    const cleanup = deferred();
    const log = eventLog();
    const group = startGroup(
      [{ name: 'slow-stop', work: async ({ signal }) => { await aborted(signal); await cleanup.promise; } }],
      { ...quiet, onEvent: log.onEvent },
    );
    const server = await serveGroup(group);
    const stopped = group.stop();
    await log.until((event) => event.type === 'group.stopping');
    const ready = await get(`${server.url}/readyz`);
    expect([ready.status, ready.json()]).toEqual([503, { status: 'stopping', reason: 'the group is stopping: drain this instance' }]);
    expect((await get(`${server.url}/livez`)).status).toBe(200);
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(sample(metrics, state('slow-stop', 'stopping'))).toBe(1);

    cleanup.resolve();
    await stopped;
    await server.close(); // the same close the group's end started
    await expect(get(`${server.url}/livez`)).rejects.toThrow();
  });

  test('escalated: not live once a worker failed under escalate, while the group stops its siblings', async () => {
    const fail = deferred();
    const cleanup = deferred();
    const log = eventLog();
    const group = startGroup(
      [
        { name: 'sibling', work: async ({ signal }) => { await aborted(signal); await cleanup.promise; } },
        { name: 'fragile', restart: 'never', work: () => fail.promise },
      ],
      { ...quiet, onGiveUp: 'escalate', onEvent: log.onEvent },
    );
    const done = group.done.catch((error: unknown) => error);
    const server = await serveGroup(group);
    expect((await get(`${server.url}/livez`)).status).toBe(200);
    fail.reject(new Error('fatal'));
    await log.until((event) => event.type === 'group.stopping');

    const live = await get(`${server.url}/livez`);
    expect(live.status).toBe(503);
    expect(live.json()).toMatchObject({ status: 'gave up', failed: ['fragile'] });
    expect((await get(`${server.url}/readyz`)).status).toBe(503);
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(sample(metrics, state('fragile', 'failed'))).toBe(1);
    expect(sample(metrics, 'xstate_supervisor_crashes_total{worker="fragile"}')).toBe(1);

    cleanup.resolve();
    expect(await done).toBeInstanceOf(Error);
    await server.close();
  });

  test('under isolate a failed worker is not a liveness failure, but readiness names it', async () => {
    const log = eventLog();
    const group = startGroup(
      [{ name: 'ok', work: waitForever }, { name: 'gone', restart: 'never', work: () => { throw new Error('x'); } }],
      { ...quiet, onEvent: log.onEvent },
    );
    const server = await serveGroup(group);
    await log.until((event) => event.type === 'worker.failed');
    expect((await get(`${server.url}/livez`)).status).toBe(200);
    const ready = await get(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toMatchObject({ notReady: [{ name: 'gone', state: 'failed' }] });
    await group.stop();
    await server.close();
  });

  test.runIf(hungWork)('ready() and a hang: not ready until ready(), state hung counted', async () => {
    const log = eventLog();
    const release = deferred();
    // Spec built as a variable and the context read loosely: this file compiles before and after hung work lands.
    const waitsForReady: WorkerSpec = { name: 'warming', work: waitForever, ...{ readyTimeoutMs: 600_000 } };
    const hangs: WorkerSpec = {
      name: 'silent',
      work: () => release.promise,
      stopTimeoutMs: 600_000,
      ...{ heartbeatTimeoutMs: 1 },
    };
    const group = startGroup([waitsForReady, hangs], { ...quiet, onEvent: log.onEvent });
    const server = await serveGroup(group);
    await log.until((event) => (event.type as string) === 'worker.hung');
    const ready = await get(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    const names = (ready.json() as { notReady: Array<{ name: string }> }).notReady.map(({ name }) => name);
    expect(names).toEqual(['warming', 'silent']);
    const metrics = (await get(`${server.url}/metrics`)).text;
    expect(sample(metrics, state('silent', 'hung'))).toBe(1);
    expect(sample(metrics, 'xstate_supervisor_hangs_total{worker="silent"}')).toBe(1);
    expect((await get(`${server.url}/livez`)).status).toBe(200);
    release.resolve();
    await group.stop();
    await server.close();
  });
});

describe('serveGroup: readiness while every worker has finished', () => {
  test("the group's brief all-done wind-down is 'ended', not 'stopping': nobody asked it to stop", async () => {
    const group = startGroup([{ name: 'a', work: () => Promise.resolve() }], quiet);
    const seen: unknown[] = [];
    const subscription = group.actor.subscribe((snapshot) => {
      if (snapshot.value === 'ending') seen.push(readiness(group));
    });
    await group.done;
    subscription.unsubscribe();
    expect(seen.length).toBeGreaterThan(0);
    for (const probe of seen) expect(probe).toMatchObject({ ok: false, body: { status: 'ended' } });
    expect(readiness(group)).toMatchObject({ ok: false, body: { status: 'ended' } });
  });
});

describe('serveGroup: readiness by ready()', () => {
  test.runIf(hungWork)('a worker with readyTimeoutMs is ready once its work calls ready()', async () => {
    const started = deferred<WorkContext>();
    const spec: WorkerSpec = {
      name: 'warming',
      work: (context) => { started.resolve(context); return aborted(context.signal); },
      ...{ readyTimeoutMs: 600_000 },
    };
    const group = startGroup([spec], quiet);
    const server = await serveGroup(group);
    const context = await started.promise;
    expect((await get(`${server.url}/readyz`)).status).toBe(503);
    (context as WorkContext & { ready(): void }).ready();
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
    await group.stop();
    await server.close();
  });
});

describe('serveGroup: dynamic workers in the metrics', () => {
  test('an added worker has its series at 0 at once; a removed one has none', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const server = await serveGroup(group);
    group.add({ name: 'b', work: waitForever });
    let metrics = (await get(`${server.url}/metrics`)).text;
    expect(sample(metrics, 'xstate_supervisor_crashes_total{worker="b"}')).toBe(0);
    await group.remove('b');
    metrics = (await get(`${server.url}/metrics`)).text;
    expect(metrics).not.toContain('worker="b"');
    expect(sample(metrics, state('a', 'running'))).toBe(1);
    await group.stop();
    await server.close();
  });
});

describe('serveGroup: the server', () => {
  test('404 for an unknown path, 405 for POST, HEAD without a body, / is the live view', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const server = await serveGroup(group);
    expect((await get(`${server.url}/nope`)).status).toBe(404);
    const post = await get(`${server.url}/livez`, 'POST');
    expect(post.status).toBe(405);
    const head = await get(`${server.url}/metrics`, 'HEAD');
    expect([head.status, head.text]).toEqual([200, '']);
    expect((await get(`${server.url}/livez?verbose`)).status).toBe(200);
    expect((await get(`${server.url}/nope`)).json()).toMatchObject({ routes: ['/livez', '/readyz', '/metrics', '/status'] });
    const page = await get(`${server.url}/`);
    expect([page.status, page.text.startsWith('<!doctype html>')]).toEqual([200, true]);
    await group.stop();
    await server.close();
  });

  test('close() ends an open connection mid-request instead of waiting for it', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const server = await serveGroup(group);
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    const socketClosed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    // Half a request: the server holds the connection until its 60 s headers timeout.
    socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n');
    await server.close();
    await socketClosed;
    expect(socket.destroyed).toBe(true);
    await group.stop();
  });

  test('a port in use is a rejection naming it, and the first server goes on', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const first = await serveGroup(group);
    const port = Number(new URL(first.url).port);
    await expect(serveGroup(group, { port })).rejects.toThrow(`serveGroup: 127.0.0.1 port ${port} is already in use (EADDRINUSE)`);
    expect((await get(`${first.url}/livez`)).status).toBe(200);
    await group.stop();
    await first.close();
  });

  test('a group that has ended cannot be served', async () => {
    const group = startGroup([{ name: 'a', work: () => undefined }], quiet);
    await group.done;
    await expect(serveGroup(group)).rejects.toThrow('Cannot serve the group: it has ended');
  });

  test.each([
    [{ port: -1 }, RangeError, 'Expected `port` to be an integer from 0 to 65535, got -1'],
    [{ port: 65536 }, RangeError, 'got 65536'],
    [{ port: 1.5 }, RangeError, 'got 1.5'],
    [{ port: '80' }, TypeError, "Expected `port` to be a number, got '80'"],
    [{ host: '' }, TypeError, "Expected `host` to be a non-empty string, got ''"],
    [{ host: 1 }, TypeError, 'got 1'],
    [{ hots: 'x' }, TypeError, 'Unknown option `hots`; expected one of port, host'],
    ['8080', TypeError, "Expected `options` to be an object, got '8080'"],
  ])('bad options %o: %s', async (options, ErrorType, message) => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const attempt = serveGroup(group, options as never);
    await expect(attempt).rejects.toThrow(ErrorType);
    await expect(attempt).rejects.toThrow(message);
    await group.stop();
  });

  test('a group that is not a startGroup handle is a TypeError', async () => {
    await expect(serveGroup({} as never)).rejects.toThrow('Expected `group` to be a handle returned by startGroup, got {}');
  });
});
