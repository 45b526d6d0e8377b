/**
 * The thread side of `inThread`: the entry a worker thread runs for one attempt. Gets the
 * attempt in `workerData`, the abort as a message, and posts heartbeats, readiness and
 * the settlement back. The parent terminates the thread once it has the settlement.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fromTransferable, runInside, toTransferable, type InboundMessage, type OutboundMessage } from './boundary.js';

const port = parentPort!;
const controller = new AbortController();
port.on('message', (message: InboundMessage) => {
  if (message.type === 'supervisor.abort') controller.abort(fromTransferable(message.reason));
});
const send = (message: OutboundMessage): void => port.postMessage(message);

const settled = await runInside(workerData as Extract<InboundMessage, { type: 'supervisor.start' }>, send, controller);
try {
  send(settled);
} catch (error) {
  // A value that cannot be cloned (a function, a socket) cannot come out: that is a crash.
  send({
    type: 'supervisor.threw',
    reason: false,
    error: toTransferable(new TypeError('The work returned or threw a value that cannot cross the thread boundary', { cause: error })),
  });
}
// Nothing more comes in: let the thread end when the work left nothing behind.
port.unref();
