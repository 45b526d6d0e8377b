import { clearInterval, setInterval } from 'node:timers';
import type { AnyActorRef, Observer } from 'xstate';
import { groupMachine } from '../machines/group.js';
import { groupMembers, type GroupMember } from '../machines/status.js';
import type { GroupReport, WorkerReport } from '../machines/types.js';
import { workerReport, type WorkerContext } from '../machines/worker.js';
import { groupFailureBrand } from './group-failure.js';
import { maxTimerMs, summarize } from './options.js';

/** The report of a worker whose signal was aborted before it could start: it runs no work. */
export function notStarted(name: string): WorkerReport {
  return { name, outcome: 'stopped', attempts: 0, restarts: 0, stopTimedOut: false };
}

/** What settle() needs of a worker or group actor. */
interface SupervisionActor<TOutput> {
  readonly logic: unknown;
  send(event: { type: 'STOP' }): void;
  subscribe(observer: Partial<Observer<unknown>>): unknown;
  getSnapshot(): { status: string; output?: TOutput | undefined; context?: unknown };
  start(): unknown;
  stop(): unknown;
}

/** The members of each group actor stopped with `actor.stop()`, as they were just before. */
const stoppedFromOutside = new WeakMap<object, GroupMember[]>();

/**
 * The report of a group actor stopped from outside (`actor.stop()`), as `done` gives it;
 * undefined for any other. `status()` reads it: the stopped root has no children left to walk.
 */
export function reportAtStop(actor: object): GroupReport | undefined {
  const members = stoppedFromOutside.get(actor);
  return members === undefined ? undefined : groupReport(members);
}

/**
 * Starts a supervision actor and resolves with its output once it is final. Aborting
 * `signal` sends STOP. `cleanup` and the abort listener are removed on every path.
 *
 * Whatever happens to the actor from outside, the promise settles with a report:
 * - stopped with `actor.stop()` (a group's actor is public in its handle): XState aborts
 *   every work's signal but gives no output; the report is built from what the actors
 *   knew, every unfinished worker `stopped`;
 * - the actor itself broke (an error XState raised in it): a worker's report is `failed`
 *   with that error as `lastError`; a group rejects with a `GroupFailure` (`report` as
 *   above, `cause` the error) after its workers were stopped, so no work is left running.
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
  // By the machine's id, which `.provide()` keeps: a provided group machine is still one.
  const isGroup = (actor.logic as { id?: unknown }).id === groupMachine.id;
  return new Promise((resolve, reject) => {
    const keepAlive = setInterval(() => {}, maxTimerMs);
    const send = (): void => actor.send({ type: 'STOP' });
    signal?.addEventListener('abort', send, { once: true });
    // `stop()` empties the group's children before observers hear of it: its members
    // (actor refs, whose snapshots outlive the stop) are taken first.
    let membersAtStop: GroupMember[] | undefined;
    if (isGroup) {
      const stop = actor.stop.bind(actor);
      Object.defineProperty(actor, 'stop', {
        configurable: true,
        writable: true,
        value: () => {
          if (actor.getSnapshot().status === 'active') {
            membersAtStop = groupMembers(actor as unknown as AnyActorRef);
            stoppedFromOutside.set(actor, membersAtStop);
          }
          return stop();
        },
      });
    }
    const finish = (): void => {
      clearInterval(keepAlive);
      signal?.removeEventListener('abort', send);
      cleanup();
    };
    actor.subscribe({
      complete: () => {
        finish();
        try {
          const snapshot = actor.getSnapshot();
          if (snapshot.status === 'done') resolve(snapshot.output as TOutput);
          else if (isGroup) resolve(groupReport(membersAtStop ?? []) as TOutput);
          else resolve(workerReport(snapshot.context as WorkerContext, 'stopped') as TOutput);
        } catch (error) {
          reject(brokenSupervision(error));
        }
      },
      error: (error) => {
        finish();
        try {
          if (!isGroup) {
            const report = workerReport(actor.getSnapshot().context as WorkerContext, 'failed');
            resolve({ ...report, lastError: error } as TOutput);
            return;
          }
          const members = groupMembers(actor as unknown as AnyActorRef);
          for (const member of members) stopActor(member.actor);
          reject(groupBroken(groupReport(members), error));
        } catch (inner) {
          reject(brokenSupervision(error ?? inner));
        }
      },
    });
    actor.start();
  });
}

/** The report of a group whose root actor ended without output: what its workers knew. */
function groupReport(members: readonly GroupMember[]): GroupReport {
  return {
    outcome: 'stopped',
    workers: members.map((member) => {
      if (member.report !== undefined) return member.report;
      const snapshot = member.actor?.getSnapshot() as { output?: WorkerReport; context?: WorkerContext } | undefined;
      if (snapshot?.output !== undefined) return snapshot.output;
      return snapshot?.context === undefined ? notStarted(member.name) : workerReport(snapshot.context, 'stopped');
    }),
  };
}

/** Stops a live worker actor of a broken group (a child actor refuses `stop()`). */
function stopActor(actor: AnyActorRef | undefined): void {
  if ((actor?.getSnapshot() as { status?: string } | undefined)?.status === 'active') (actor as unknown as { _stop(): void })._stop();
}

/** The `GroupFailure` of a group whose root actor itself broke. */
function groupBroken(report: GroupReport, cause: unknown): Error & { report: GroupReport } {
  const error = new Error(`the group's actor failed: ${summarize(cause)}; its workers were stopped`, { cause }) as Error & {
    report: GroupReport;
  };
  error.report = report;
  // A GroupFailure as escalation's is: isGroupFailure() recognises it by this brand.
  Object.defineProperty(error, groupFailureBrand, { value: true });
  return error;
}

function brokenSupervision(cause: unknown): Error {
  return new Error(`the supervision actor failed: ${summarize(cause)}`, { cause });
}
