import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GroupHandle } from '../group.js';
import { observerOf } from '../observe.js';
import { describe } from '../options.js';
import { pageHtml } from './page.generated.js';
import { errorText, ViewState } from './state.js';
import { actorTree } from './tree.js';

/** A group's live view: an HTML page and its Server-Sent Events, to mount on any `node:http` server. */
export interface LiveView {
  /**
   * Serves the request if it is the view's: `GET /` (the page), `/events` (its SSE stream),
   * `/tree` (the actor tree as JSON). Returns false, untouched, for any other request.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends every open stream and stops watching the group. `handle` then serves nothing. */
  close(): void;
}

/** Pushes to pages at most once per this many ms: a crash loop of 1,000 workers is 10 messages/s. */
const coalesceMs = 100;
/** While a page watches, status is read this often too: readiness and heartbeats send no event. */
const pollMs = 1000;
/** Keeps idle connections open through proxies. */
const pingMs = 15_000;
/** A page this far behind is dropped; its EventSource reconnects and gets a fresh snapshot. */
const maxBuffered = 8 * 1024 * 1024;

// The page's inline script and style, allowed by hash: the page may run nothing else and
// load nothing from anywhere (connect-src 'self' for its own stream).
const inline = (tag: string, attributes: string): string => {
  const match = new RegExp(`<${tag}${attributes}>([\\s\\S]*?)</${tag}>`).exec(pageHtml);
  if (match?.[1] === undefined) throw new Error(`the live view's page has no inline <${tag}>`);
  return `'sha256-${createHash('sha256').update(match[1]).digest('base64')}'`;
};
const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${inline('script', ' type="module"')}`,
  `style-src ${inline('style', '')}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The live view of a group made by `startGroup`: every worker's state, attempts, restarts,
 * backoff countdown, readiness, last error and recent transitions, and the worker machine's
 * state chart, on one self-contained page that loads nothing from anywhere. The page is kept
 * current over Server-Sent Events: a page that connects gets the whole group, then only
 * what changed, at most every 100 ms.
 *
 * `serveGroup` mounts it at `/`; mount it on your own `node:http` server the same way.
 * Throws a `TypeError` for anything but a handle returned by `startGroup`.
 *
 * @example
 * ```ts
 * const group = startGroup(specs);
 * const view = createLiveView(group);
 * const server = createServer((req, res) => {
 *   if (!view.handle(req, res)) res.writeHead(404).end();
 * }).listen(8081, '127.0.0.1');
 * ```
 */
export function createLiveView(group: GroupHandle): LiveView {
  const observer = typeof group === 'object' && group !== null ? observerOf(group) : undefined;
  if (observer === undefined) {
    throw new TypeError(`Expected \`group\` to be a handle returned by startGroup, got ${describe(group)}`);
  }

  const state = new ViewState();
  const clients = new Set<ServerResponse>();
  let flushTimer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let lastFlush = 0;
  let closed = false;

  const groupState = (): string => {
    const snapshot = group.actor.getSnapshot();
    if (snapshot.status !== 'active') return snapshot.status;
    return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
  };

  const send = (client: ServerResponse, event: string, data: unknown): void => {
    if (client.writableLength > maxBuffered) {
      drop(client);
      return;
    }
    // JSON escapes line breaks, so the data is one SSE line.
    client.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };

  const flush = (): void => {
    flushTimer = undefined;
    lastFlush = Date.now();
    let delta;
    try {
      delta = state.update(group.status(), groupState());
    } catch (error) {
      // Watching must never take the supervised process down: the page says what broke.
      delta = state.update([], `status() failed: ${errorText(error)}`);
    }
    if (delta !== undefined) for (const client of clients) send(client, 'delta', delta);
  };

  // Coalesces: however many events arrive, one read of status() per `coalesceMs`.
  const schedule = (): void => {
    if (closed || flushTimer !== undefined) return;
    flushTimer = setTimeout(flush, Math.max(0, lastFlush + coalesceMs - Date.now()));
    flushTimer.unref();
  };

  // What the workers were doing before the view was made: the start of their timelines.
  flush();
  const unsubscribe = observer.subscribe((event) => {
    state.record(event);
    schedule();
  });
  // The group ending changes its state: watched on the actor, not on `done`, where a handler
  // would hide an escalation's rejection that the program leaves unhandled.
  const ending = group.actor.subscribe({ complete: schedule, error: schedule });

  const drop = (client: ServerResponse): void => {
    if (!clients.delete(client)) return;
    client.end();
    if (clients.size === 0) {
      clearInterval(pollTimer);
      clearInterval(pingTimer);
      pollTimer = pingTimer = undefined;
    }
  };

  const events = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // Bring the pages already open up to date, then give this one the same state whole.
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    flush();
    res.write('retry: 1000\n\n');
    send(res, 'snapshot', state.snapshot());
    clients.add(res);
    res.on('close', () => drop(res));
    if (pollTimer === undefined) {
      pollTimer = setInterval(schedule, pollMs);
      pollTimer.unref();
      pingTimer = setInterval(() => {
        for (const client of clients) client.write(': ping\n\n');
      }, pingMs);
      pingTimer.unref();
    }
  };

  const tree = (res: ServerResponse): void => {
    const body = JSON.stringify(actorTree(group.actor));
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };

  const page = (res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(pageHtml);
  };

  return {
    handle(req, res) {
      if (closed || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      let path: string;
      try {
        path = new URL(req.url ?? '/', 'http://view.invalid').pathname;
      } catch {
        return false;
      }
      switch (path) {
        case '/':
          page(res);
          return true;
        case '/events':
          events(req, res);
          return true;
        case '/tree':
          tree(res);
          return true;
        default:
          return false;
      }
    },
    close() {
      if (closed) return;
      // serveGroup closes the view as the group's actor ends, before the flush that end
      // scheduled: the pages get the group as it is now (ended) before their streams end.
      clearTimeout(flushTimer);
      if (clients.size > 0) flush();
      closed = true;
      unsubscribe();
      ending.unsubscribe();
      for (const client of [...clients]) drop(client);
    },
  };
}
