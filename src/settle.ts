import { clearInterval, setInterval } from 'node:timers';
import type { Observer } from 'xstate';
import type { WorkerReport } from '../machines/types.js';
import { maxTimerMs } from './options.js';

/** The report of a worker whose signal was aborted before it could start: it runs no work. */
export function notStarted(name: string): WorkerReport {
  return { name, outcome: 'stopped', attempts: 0, restarts: 0, stopTimedOut: false };
}

/** What settle() needs of a worker or group actor. */
interface SupervisionActor<TOutput> {
  send(event: { type: 'STOP' }): void;
  subscribe(observer: Partial<Observer<unknown>>): unknown;
  getSnapshot(): { output?: TOutput | undefined };
  start(): unknown;
}

/**
 * Starts a supervision actor and resolves with its output once it is final. Aborting
 * `signal` sends STOP. `cleanup` and the abort listener are removed on every path.
 *
 * Until then the process is kept alive, as the reference's run loop does: work that only
 * waits on its signal holds no handle, and Node would otherwise exit (code 13) with the
 * supervision still pending. One idle timer per call, from node:timers so that fake timers
 * in a user's tests neither replace nor run it.
 */
export function settle<TOutput>(
  actor: SupervisionActor<TOutput>,
  signal: AbortSignal | undefined,
  cleanup: () => void,
): Promise<TOutput> {
  return new Promise((resolve, reject) => {
    const keepAlive = setInterval(() => {}, maxTimerMs);
    const stop = (): void => actor.send({ type: 'STOP' });
    signal?.addEventListener('abort', stop, { once: true });
    const finish = (): void => {
      clearInterval(keepAlive);
      signal?.removeEventListener('abort', stop);
      cleanup();
    };
    actor.subscribe({
      complete: () => {
        finish();
        resolve(actor.getSnapshot().output as TOutput);
      },
      error: (error) => {
        finish();
        reject(error instanceof Error ? error : new Error('supervision actor failed', { cause: error }));
      },
    });
    actor.start();
  });
}
