// A service template to copy on day one: a migration that must finish first, then a queue
// consumer and a poller supervised together, with JSON logs (pino), probes on HTTP,
// graceful SIGTERM/SIGINT, and a non-zero exit when supervision gives up, so that systemd
// or Kubernetes restarts the process.
//
//   node --import tsx examples/service/service.ts        (PORT=8080 by default)
//
// In your project, import from 'xstate-supervisor' instead of '../../src/index.js', and
// replace the three stand-ins marked REPLACE with your database, queue and upstream.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  FatalError,
  isGroupFailure,
  serveGroup,
  startGroup,
  supervise,
  type GroupReport,
  type SupervisorEvent,
  type Work,
} from '../../src/index.js';

// `service`, not pino's `name`: the events carry the worker's `name`.
const log = pino({ base: { service: 'orders-service' } });
const port = Number(process.env.PORT ?? 8080);

// REPLACE: your schema migration. Idempotent, and it stops when `signal` aborts.
const migrate: Work = async ({ signal }) => {
  log.info('migrating');
  await sleep(500, undefined, { signal });
};

// REPLACE: your queue client. Configuration errors are fatal: restarting cannot fix them.
const consume: Work = async ({ signal, attempt }) => {
  const queueUrl = process.env.QUEUE_URL ?? 'memory://orders';
  if (!queueUrl.includes('://')) throw new FatalError(`QUEUE_URL is not a URL: ${queueUrl}`);
  log.info({ queueUrl, attempt }, 'consuming');
  try {
    for (;;) {
      await sleep(1000, undefined, { signal }); // stands for: await queue.receive({ signal })
    }
  } finally {
    await sleep(100); // stands for: await queue.close(); the stop waits for it
  }
};

// REPLACE: your upstream. A failed poll throws: the worker restarts it after a backoff.
const poll: Work = async ({ signal }) => {
  for (;;) {
    if (process.env.PRICES_URL !== undefined) {
      const response = await fetch(process.env.PRICES_URL, { signal });
      if (!response.ok) throw new Error(`prices: HTTP ${response.status}`);
    }
    await sleep(5000, undefined, { signal });
  }
};

// Every supervision event as one JSON line; a thrown value under pino's `err` key.
function onEvent(event: SupervisorEvent): void {
  if ('error' in event) {
    const { error, ...rest } = event;
    log.warn({ ...rest, err: error }, event.type);
  } else {
    log.info(event, event.type);
  }
}

/**
 * The exit code after the group stopped: 0, or 1 when a stop timed out. After a timed-out
 * stop the work that did not settle may still hold a socket or a timer that keeps the
 * process alive, and the signal handlers are gone (the next SIGTERM would kill it with
 * 143): so the service exits explicitly.
 */
function exitCode(report: GroupReport): number {
  return report.workers.some((worker) => worker.stopTimedOut) ? 1 : 0;
}

// 1. The migration, alone, before anything else: once (restart 'never'), stopped by
//    SIGTERM/SIGINT like the rest. A failed migration ends the process non-zero.
const shutdown = new AbortController();
const stopMigration = () => shutdown.abort();
process.once('SIGTERM', stopMigration).once('SIGINT', stopMigration);
const migration = await supervise('migration', migrate, {
  restart: 'never',
  stopTimeoutMs: 30_000,
  signal: shutdown.signal,
  logger: false,
  onEvent,
});
process.off('SIGTERM', stopMigration).off('SIGINT', stopMigration);
if (migration.outcome !== 'done') {
  log.error({ outcome: migration.outcome, err: migration.lastError }, 'migration did not finish');
  process.exit(migration.outcome === 'stopped' && !migration.stopTimedOut ? 0 : 1);
}

// 2. The workers. startGroup's SIGTERM/SIGINT handling: the first signal stops them
//    gracefully, a second one exits at once (130/143).
const group = startGroup(
  [
    { name: 'orders-consumer', work: consume, stopTimeoutMs: 20_000, maxRestarts: { count: 5, withinMs: 60_000 } },
    { name: 'price-poller', work: poll, backoff: { initialMs: 1000, maxMs: 30_000 } },
  ],
  { onGiveUp: 'escalate', logger: false, onEvent },
);

// 3. Probes for the orchestrator: /livez, /readyz, /metrics, /status and the live view.
const server = await serveGroup(group, { port, host: '0.0.0.0' });
log.info({ url: server.url }, 'probes and live view');

try {
  const report = await group.done;
  log.info({ report }, 'stopped');
  await server.close();
  process.exit(exitCode(report));
} catch (error) {
  if (!isGroupFailure(error)) throw error;
  log.fatal({ err: error, report: error.report }, 'gave up: exiting so that the process is restarted');
  await server.close();
  process.exit(1);
}
