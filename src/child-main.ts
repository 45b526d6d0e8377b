/**
 * The process side of `inChildProcess` for a module: the entry a forked child runs for one
 * attempt. Gets the attempt and the abort over IPC, sends heartbeats, readiness and the
 * settlement back, then exits. When the IPC channel closes (the parent died, even by an
 * uncaught exception or SIGKILL), the child exits at once: it never outlives its parent.
 */
import { fromTransferable, runInside, toTransferable, type InboundMessage, type OutboundMessage } from './boundary.js';

const controller = new AbortController();
const send = (message: OutboundMessage): Promise<void> =>
  new Promise((resolve, reject) => {
    process.send!(message, undefined, undefined, (error) => (error === null ? resolve() : reject(error)));
  });
const exitWith = (message: OutboundMessage): void => {
  send(message).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};

process.on('disconnect', () => process.exit(1));
// An exception nobody caught still reaches the parent as the attempt's error.
process.on('uncaughtException', (error) => exitWith({ type: 'supervisor.threw', error: toTransferable(error), reason: false }));
process.on('message', (message: InboundMessage) => {
  if (message.type === 'supervisor.abort') controller.abort(fromTransferable(message.reason));
  else void start(message);
});

async function start(message: Extract<InboundMessage, { type: 'supervisor.start' }>): Promise<void> {
  const settled = await runInside(message, (out) => void send(out).catch(() => {}), controller);
  try {
    structuredClone(settled);
  } catch (error) {
    exitWith({
      type: 'supervisor.threw',
      reason: false,
      error: toTransferable(new TypeError('The work returned or threw a value that cannot cross the process boundary', { cause: error })),
    });
    return;
  }
  exitWith(settled);
}
