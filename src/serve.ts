import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GroupHandle } from './group.js';
import type { WorkerStatus } from '../machines/status.js';
import { checkGroup, groupMetrics, metricsContentType } from './metrics.js';
import { checkOptions, describe, summarize } from './options.js';
import { createLiveView } from './view/live-view.js';

/** Options of {@link serveGroup}. */
export interface ServeGroupOptions {
  /** The TCP port; 0 picks a free one (read it from `url`). @default 0 */
  port?: number;
  /** The address to listen on; `'0.0.0.0'` or `'::'` to be reachable from outside (a pod's probes). @default '127.0.0.1' */
  host?: string;
}

/** A running {@link serveGroup} server. */
export interface GroupServer {
  /** Where it listens, e.g. `http://127.0.0.1:39127` (no trailing slash). */
  readonly url: string;
  /** Stops listening and ends every open connection (keep-alive, streams); resolves once closed. */
  close(): Promise<void>;
}

/**
 * More routes on the same server: the live view (`createLiveView(group)` in src/view/)
 * serves `/`, `/events` and its assets. `handle` returns true when it served the request.
 */
interface RouteExtension {
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  close(): void;
}

/** The most worker names a readiness body lists: a probe's answer stays small for any group. */
const listedNames = 50;

const routes = ['/livez', '/readyz', '/metrics', '/status'] as const;

function checkServeOptions(options: unknown): { port: number; host: string } {
  const raw = checkOptions(options, ['port', 'host']);
  let port = 0;
  if (raw.port !== undefined) {
    if (typeof raw.port !== 'number') throw new TypeError(`Expected \`port\` to be a number, got ${describe(raw.port)}`);
    if (!Number.isInteger(raw.port) || raw.port < 0 || raw.port > 65535) {
      throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got ${describe(raw.port)}`);
    }
    port = raw.port;
  }
  let host = '127.0.0.1';
  if (raw.host !== undefined) {
    if (typeof raw.host !== 'string' || raw.host === '') {
      throw new TypeError(`Expected \`host\` to be a non-empty string, got ${describe(raw.host)}`);
    }
    host = raw.host;
  }
  return { port, host };
}

/** Whether the work of a running worker has started up: `ready` where the status reports it. */
function isReady(worker: WorkerStatus): boolean {
  if (worker.state !== 'running') return false;
  // Work with readyTimeoutMs reports ready() in status.ready; without that field, running is ready.
  return !('ready' in worker) || worker.ready === true;
}

interface Probe {
  ok: boolean;
  body: Record<string, unknown>;
}

/** Alive: the group runs and supervises. Not: it ended, or a worker failed and the group escalates. */
export function liveness(group: GroupHandle): Probe {
  const snapshot = group.actor.getSnapshot();
  if (snapshot.status !== 'active') {
    return { ok: false, body: { status: 'ended', reason: 'the group has ended: it supervises no worker' } };
  }
  if (snapshot.context.config.onGiveUp === 'escalate') {
    const failed = group.status().filter((worker) => worker.state === 'failed').map((worker) => worker.name);
    if (failed.length > 0) {
      return {
        ok: false,
        body: {
          status: 'gave up',
          reason: "a worker failed and the group escalates (onGiveUp: 'escalate'): it stops every worker",
          failed: failed.slice(0, listedNames),
        },
      };
    }
  }
  // A worker in backoff is supervision at work: restarting the process would not help it.
  return { ok: true, body: { status: 'ok' } };
}

/** Ready: the group is not stopping and every worker runs (and said ready() if it has readyTimeoutMs). */
export function readiness(group: GroupHandle): Probe {
  const snapshot = group.actor.getSnapshot();
  if (snapshot.status !== 'active') return { ok: false, body: { status: 'ended', reason: 'the group has ended' } };
  // Every worker finished on its own (autoShutdown 'all-done'): the group only collects
  // their reports before it ends; nobody asked it to stop.
  if (snapshot.value === 'ending') return { ok: false, body: { status: 'ended', reason: 'every worker has finished: the group is ending' } };
  if (snapshot.value !== 'running') {
    return { ok: false, body: { status: 'stopping', reason: 'the group is stopping: drain this instance' } };
  }
  const workers = group.status();
  const notReady = workers.filter((worker) => !isReady(worker));
  if (notReady.length === 0) return { ok: true, body: { status: 'ok', workers: workers.length } };
  return {
    ok: false,
    body: {
      status: 'not ready',
      reason: `${notReady.length} of ${workers.length} workers not ready`,
      notReady: notReady.slice(0, listedNames).map(({ name, state }) => ({ name, state })),
    },
  };
}

/** The status list as JSON can carry it: a thrown value as its `Name: message`. */
function statusJson(group: GroupHandle): unknown[] {
  return group.status().map((worker) => ('lastError' in worker ? { ...worker, lastError: summarize(worker.lastError) } : worker));
}

function send(response: ServerResponse, statusCode: number, contentType: string, body: string): void {
  response.writeHead(statusCode, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    // A probe or a scrape must see now, not a cached answer.
    'cache-control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  send(response, statusCode, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`);
}

/**
 * Serves a group's probes, metrics and status over HTTP: one `node:http` server, no
 * framework, bound to 127.0.0.1 and a free port by default.
 *
 * - `GET /livez`: 200 while the group runs and supervises (a worker in backoff included);
 *   503 once a worker failed under `onGiveUp: 'escalate'`, or the group ended.
 * - `GET /readyz`: 200 when every worker is running (and, if it has `readyTimeoutMs`, called
 *   `ready()` this attempt); 503 naming the workers that are not, and as soon as the group
 *   starts stopping, so that a load balancer drains the instance during a graceful stop.
 * - `GET /metrics`: {@link groupMetrics} (Prometheus text format 0.0.4).
 * - `GET /status`: `group.status()` as JSON, each `lastError` as its `Name: message`.
 *
 * Bodies are JSON saying why. The server never keeps the process alive on its own (it is
 * unref'd) and closes itself once the group has ended. Rejects with a TypeError/RangeError
 * for a bad option, and with an Error when the port is in use.
 *
 * @example
 * ```ts
 * const group = startGroup([{ name: 'consumer', work: consume }]);
 * const server = await serveGroup(group, { host: '0.0.0.0', port: 9464 });
 * console.log(`probes at ${server.url}/livez and ${server.url}/readyz`);
 * await group.done; // the server closes itself; server.close() closes it earlier
 * ```
 */
export async function serveGroup(group: GroupHandle, options?: ServeGroupOptions): Promise<GroupServer> {
  const { handle } = checkGroup(group);
  const { port, host } = checkServeOptions(options);
  if (handle.actor.getSnapshot().status !== 'active') throw new Error('Cannot serve the group: it has ended');

  // The live view serves `/` (its page), `/events` (SSE) and `/tree`.
  const extensions: RouteExtension[] = [createLiveView(handle)];

  const route = (request: IncomingMessage, response: ServerResponse): void => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const own = (routes as readonly string[]).includes(path);
    if (own && request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: `${request.method} is not allowed on ${path}; use GET` });
      return;
    }
    switch (path) {
      case '/livez': {
        const { ok, body } = liveness(handle);
        sendJson(response, ok ? 200 : 503, body);
        return;
      }
      case '/readyz': {
        const { ok, body } = readiness(handle);
        sendJson(response, ok ? 200 : 503, body);
        return;
      }
      case '/metrics':
        send(response, 200, metricsContentType, groupMetrics(handle));
        return;
      case '/status':
        sendJson(response, 200, statusJson(handle));
        return;
      default:
        break;
    }
    for (const extension of extensions) if (extension.handle(request, response)) return;
    sendJson(response, 404, { error: 'not found', routes });
  };

  const server = createServer((request, response) => {
    try {
      route(request, response);
    } catch (error) {
      // A status() or a view that throws answers 500; the process and the server go on.
      if (!response.headersSent) sendJson(response, 500, { error: summarize(error) });
      else response.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges' : 'cannot be listened on';
      reject(new Error(`serveGroup: ${host} port ${port} ${why} (${error.code ?? summarize(error)})`, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  // Errors after listening (an accept that fails) must not crash the process: the server goes on.
  server.on('error', () => undefined);
  server.unref();

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const extension of extensions) extension.close();
      server.close(() => resolve());
      // Keep-alive connections and open streams would hold close() open for as long as they last.
      server.closeAllConnections();
    });
    return closed;
  };
  // The group's actor ended: it supervises nothing any more. Watched on the actor, not on
  // `done`: a handler on `done` would hide an escalation's rejection that the program
  // leaves unhandled, and the process would exit 0 instead of failing.
  const closeOnEnd = () => void close();
  handle.actor.subscribe({ complete: closeOnEnd, error: closeOnEnd });
  // It may have ended while the server started listening.
  if (handle.actor.getSnapshot().status !== 'active') closeOnEnd();

  const { address, family } = server.address() as AddressInfo;
  const shown = family === 'IPv6' ? `[${address}]` : address;
  return { url: `http://${shown}:${(server.address() as AddressInfo).port}`, close };
}
