import type { SupervisorEvent } from '../../machines/types.js';
import type { WorkerStatus } from '../../machines/status.js';
import { summarize } from '../options.js';
import type { DeltaMessage, SnapshotMessage, TimelineEntry, WorkerRow } from './protocol.js';

/** Transitions kept per worker: enough to see a crash loop's rhythm, bounded for 1,000s of workers. */
export const ringSize = 30;

/** What the view knows of one worker. */
interface Track {
  /** Its recent transitions, oldest first, at most {@link ringSize}. */
  ring: TimelineEntry[];
  /** The seq of its newest entry (entries are numbered from 1). */
  seq: number;
  /** The seq of the newest entry already in a message. */
  sent: number;
  /** Its row as last sent, and that row as JSON (to tell what changed). */
  row: WorkerRow | undefined;
  json: string;
  /** The last error and its summary, so that an unchanged error is not summarized again. */
  error: unknown;
  errorText: string | undefined;
}

/** A thrown value as a line of text (summarize never throws, whatever the value does). */
export function errorText(error: unknown): string {
  return summarize(error);
}

/** The state a worker is in after an event, and the event in words. */
function describeEvent(event: SupervisorEvent): { state: string; text: string } | undefined {
  switch (event.type) {
    case 'worker.started':
      return { state: 'running', text: `started (attempt ${event.attempt})` };
    case 'worker.crashed':
      return { state: 'backoff', text: `crashed: ${errorText(event.error)}; restart in ${event.delayMs} ms` };
    case 'worker.exited':
      return event.restartInMs === undefined
        ? { state: 'done', text: 'returned: done' }
        : { state: 'backoff', text: `returned; restart in ${event.restartInMs} ms` };
    case 'worker.stopped':
      return {
        state: 'stopped',
        text: event.stopTimedOut ? `stopped (did not settle within ${event.stopTimeoutMs} ms)` : 'stopped',
      };
    case 'worker.failed':
      return { state: 'failed', text: `gave up after ${event.attempts} attempts: ${errorText(event.error)}` };
    case 'group.stopping':
    case 'group.stopped':
      return undefined;
    default: {
      // A worker event this view does not know yet (`worker.hung` and later ones): shown by
      // its type, with the detail it carries.
      const { type } = event as { type: string };
      const detail = (event as { timeout?: unknown }).timeout;
      const state = type.startsWith('worker.') ? type.slice('worker.'.length) : type;
      return { state, text: typeof detail === 'string' ? `${state} (${detail})` : state };
    }
  }
}

/** `status()` as the page shows it: the error as a string; readiness and heartbeat when reported. */
function toRow(status: WorkerStatus, track: Track): WorkerRow {
  const row: WorkerRow = { name: status.name, state: status.state, attempts: status.attempts, restarts: status.restarts };
  if ('lastError' in status) {
    if (track.errorText === undefined || track.error !== status.lastError) {
      track.error = status.lastError;
      track.errorText = errorText(status.lastError);
    }
    row.lastError = track.errorText;
  }
  if (status.nextAttemptAt !== undefined) row.nextAttemptAt = status.nextAttemptAt;
  // Read by name: status fields that other parts of the package add over time.
  const extra = status as { ready?: unknown; lastHeartbeatAt?: unknown };
  if (typeof extra.ready === 'boolean') row.ready = extra.ready;
  if (typeof extra.lastHeartbeatAt === 'number') row.lastHeartbeatAt = extra.lastHeartbeatAt;
  return row;
}

/**
 * The live view's model of a group: each worker's current row and its recent transitions.
 * Events feed the timelines as they happen ({@link record}); {@link update} reads `status()`
 * and says what changed since the last update, so a page is sent the current state, not a
 * log of messages, and a page that connects late gets all of it ({@link snapshot}).
 */
export class ViewState {
  /** By worker name (a Map: a user's string is never a plain-object key). */
  readonly #tracks = new Map<string, Track>();
  /** Names in the order of the last `status()`. */
  #order: string[] = [];
  #group = '';

  constructor(private readonly now: () => number = Date.now) {}

  #track(name: string): Track {
    let track = this.#tracks.get(name);
    if (track === undefined) {
      track = { ring: [], seq: 0, sent: 0, row: undefined, json: '', error: undefined, errorText: undefined };
      this.#tracks.set(name, track);
    }
    return track;
  }

  #push(track: Track, state: string, text: string): void {
    track.seq += 1;
    track.ring.push({ seq: track.seq, at: this.now(), state, text });
    if (track.ring.length > ringSize) track.ring.shift();
  }

  /** Adds an event to its worker's timeline. O(1): called for every event of the group. */
  record(event: SupervisorEvent): void {
    const described = describeEvent(event);
    if (described === undefined || !('name' in event)) return;
    this.#push(this.#track(event.name), described.state, described.text);
  }

  /**
   * Reads the group's status now and returns what changed since the last call, or
   * undefined when nothing did. A state reached without an event (`stopping`) is added to
   * the worker's timeline here.
   */
  update(statuses: readonly WorkerStatus[], group: string): DeltaMessage | undefined {
    const upsert: WorkerRow[] = [];
    const append: [string, TimelineEntry[]][] = [];
    const order: string[] = [];
    const seen = new Set<string>();
    for (const status of statuses) {
      const track = this.#track(status.name);
      seen.add(status.name);
      order.push(status.name);
      const row = toRow(status, track);
      const json = JSON.stringify(row);
      // A worker first seen here started before the view watched: its timeline starts with
      // where it was then.
      if (track.row === undefined && track.ring.length === 0) {
        this.#push(track, row.state, `${row.state} (attempt ${row.attempts}) when the view started`);
      }
      if (json !== track.json) {
        const latest = track.ring.at(-1)?.state;
        if (track.row !== undefined && track.row.state !== row.state && latest !== row.state) {
          this.#push(track, row.state, row.state);
        }
        track.row = row;
        track.json = json;
        upsert.push(row);
      }
      if (track.seq > track.sent) {
        append.push([status.name, track.ring.filter((entry) => entry.seq > track.sent)]);
        track.sent = track.seq;
      }
    }
    const remove: string[] = [];
    for (const [name, track] of this.#tracks) {
      if (seen.has(name)) continue;
      this.#tracks.delete(name);
      // Only a worker a page was told about needs removing from it.
      if (track.row !== undefined) remove.push(name);
    }
    this.#order = order;
    const groupChanged = group !== this.#group;
    this.#group = group;
    if (upsert.length === 0 && append.length === 0 && remove.length === 0 && !groupChanged) return undefined;
    return { now: this.now(), group, upsert, remove, append };
  }

  /** Everything a page needs to draw the group as of the last {@link update}. */
  snapshot(): SnapshotMessage {
    const workers: WorkerRow[] = [];
    const timelines: TimelineEntry[][] = [];
    for (const name of this.#order) {
      const track = this.#tracks.get(name);
      if (track?.row === undefined) continue;
      workers.push(track.row);
      timelines.push(track.ring.slice());
    }
    return { now: this.now(), group: this.#group, workers, timelines };
  }
}
