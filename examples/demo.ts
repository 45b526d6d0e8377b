// `npm start` (node --import tsx examples/demo.ts): three supervised workers. In a terminal,
// a live table of their status at the bottom, kept in place, with the log lines scrolling
// above it; piped or redirected, plain log lines. Ctrl-C stops the group gracefully (a
// second Ctrl-C exits at once). It serves the group's live view, probes and metrics on a
// free port of 127.0.0.1 and prints the URL. `npm start -- --inspect` also relays every
// actor to the Stately inspector (stately.ai), on a free port.
//
// It runs under plain node with tsx as a loader, not under the `tsx` command: that wrapper
// forwards Ctrl-C to the program and sends it again when the program does not confirm
// within ~30 ms, which reads as a second Ctrl-C.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect as show } from 'node:util';
import { serveGroup, startGroup, watchStatus, type InspectionObserver, type SupervisorEvent, type Work } from '../src/index.js';

const live = process.stdout.isTTY === true;
const started = Date.now();
const stamp = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
// On a terminal watchStatus prints these above the live table; otherwise they are the output.
const say = (line: string) => console.log(`${stamp()}  ${line}`);

/** Sleeps, but settles at once (with an AbortError) when the worker is asked to stop. */
const tick = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal });

// Polls something flaky: every tick there is a 25 % chance it blows up.
const flaky: Work = async ({ signal, attempt }) => {
  for (let n = 1; ; n++) {
    await tick(700, signal);
    if (Math.random() < 0.25) throw new Error(`upstream timed out (attempt ${attempt}, tick ${n})`);
    say(`flaky     tick ${n}`);
  }
};

// A steady consumer: never fails, cleans up when stopped.
const steady: Work = async ({ signal }) => {
  try {
    for (let n = 1; ; n++) {
      await tick(1500, signal);
      say(`steady    handled message ${n}`);
    }
  } finally {
    say('steady    closing its connection');
    await sleep(300); // the group waits for this
    say('steady    connection closed');
  }
};

// A job that finishes: a clean return ends its supervision.
const migration: Work = async ({ signal }) => {
  for (let step = 1; step <= 3; step++) {
    await tick(1000, signal);
    say(`migration step ${step}/3`);
  }
};

const message = (error: unknown) => (error instanceof Error ? error.message : show(error));

function print(event: SupervisorEvent): void {
  switch (event.type) {
    case 'worker.started':
      say(`▶ ${event.name} started (attempt ${event.attempt})`);
      break;
    case 'worker.crashed':
      say(`✖ ${event.name} crashed: ${message(event.error)}; restarting in ${event.delayMs} ms`);
      break;
    case 'worker.exited':
      say(`✔ ${event.name} finished; not restarting`);
      break;
    case 'worker.stopped':
      say(`■ ${event.name} stopped${event.stopTimedOut ? ' (did not settle in time)' : ''}`);
      break;
    case 'group.stopping':
      say(`… stopping ${event.workers} workers (Ctrl-C again to exit at once)`);
      break;
    case 'group.stopped':
      say(`group ${event.outcome}`);
      break;
  }
}

/** A port no one listens on now: the one the OS picks for a listener on port 0. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, () => {
      const address = probe.address();
      probe.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

let inspect: InspectionObserver | undefined;
let closeInspector = () => {};
if (process.argv.includes('--inspect')) {
  // The Stately relay, for those who use stately.ai (the live view below needs no network).
  // createInspectorServer throws an unhandled 'error' when its port is taken (its server is
  // not ours to listen on), so it gets a port that was free a moment ago, never a fixed one:
  // two demos side by side, or something else on 8080, do not crash this one.
  try {
    const port = await freePort();
    const { createInspectorServer } = await import('@statelyai/inspect/server');
    const { createWebSocketInspector } = await import('@statelyai/inspect');
    const relay = createInspectorServer({ port, autoOpen: false });
    const inspector = createWebSocketInspector({ url: `ws://localhost:${port}` });
    inspect = inspector.inspect;
    closeInspector = () => {
      inspector.stop();
      relay.stop();
    };
    console.log(`Stately inspector relay: open http://localhost:${port} (it shows stately.ai's inspector, online).`);
  } catch (error) {
    console.log(`No Stately inspector relay (${message(error)}); the demo runs without it.`);
  }
}

console.log('Supervising 3 workers. Press Ctrl-C to stop them gracefully.\n');
const group = startGroup(
  [
    { name: 'flaky', work: flaky, backoff: { initialMs: 2000, maxMs: 8000 } },
    { name: 'steady', work: steady },
    { name: 'migration', work: migration },
  ],
  { logger: false, onEvent: print, ...(inspect ? { inspect } : {}) },
);
// The browser view, probes and metrics of the same group (a free port on 127.0.0.1).
const server = await serveGroup(group);
console.log(`Live view: ${server.url}/  (probes: /livez /readyz, metrics: /metrics)\n`);
watchStatus(group);

const report = await group.done;
await server.close();
closeInspector();
// On a terminal the last drawing of the live table is the report.
if (!live) {
  console.log('\nReport:');
  console.table(
    report.workers.map(({ name, outcome, attempts, restarts, stopTimedOut, lastError }) => ({
      name, outcome, attempts, restarts, stopTimedOut, lastError: lastError === undefined ? '' : message(lastError),
    })),
  );
}
