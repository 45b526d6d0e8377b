// What the live view's server sends its page, and the chart layout baked into the page.
// Types only: the Node side (live-view.ts) and the browser side (page/main.ts, typechecked
// under page/tsconfig.json with the DOM library) both import it, so the two stay in step.

/** One transition in a worker's recent history. */
export interface TimelineEntry {
  /** Numbers the worker's entries from 1, so a page never applies one twice. */
  seq: number;
  /** When it happened, in ms since the epoch (the server's clock). */
  at: number;
  /** The status state it led to (`running`, `backoff`, `hung`, …). */
  state: string;
  /** What happened, in words (a crash's error already summarized). */
  text: string;
}

/** One worker as the page shows it: `status()` with the error as a string. */
export interface WorkerRow {
  name: string;
  state: string;
  attempts: number;
  restarts: number;
  lastError?: string;
  nextAttemptAt?: number;
  ready?: boolean;
  lastHeartbeatAt?: number;
}

/** The whole group: sent when a page connects (or reconnects). */
export interface SnapshotMessage {
  /** The server's clock when it was sent, so the page can count down backoffs on its own. */
  now: number;
  /** The group actor's state: its state value while active, else its status (`done`, `error`). */
  group: string;
  workers: WorkerRow[];
  /** Per worker (same order as `workers`): its recent transitions, oldest first. */
  timelines: TimelineEntry[][];
}

/** What changed since the last message: sent at most every `coalesceMs`. */
export interface DeltaMessage {
  now: number;
  group: string;
  /** Workers that are new or changed, whole. */
  upsert: WorkerRow[];
  /** Workers no longer in the group. */
  remove: string[];
  /** New transitions: `[name, entries]`, each list oldest first. */
  append: [string, TimelineEntry[]][];
}

/** One node of the group's actor tree, as `/tree` returns it. */
export interface TreeNode {
  /** The actor's id within its parent (the package's own ids for branches and workers). */
  id: string;
  /** Its logic's id (a machine's `id`, e.g. `group` or `worker`), if it has one. */
  logic?: string;
  /** The snapshot's status: `active`, `done`, `error`, `stopped`. */
  status: string;
  /** The snapshot's state value as JSON, for machines. */
  value?: string;
  /** A worker's name (its `context.name`), when the snapshot has one. */
  name?: string;
  children: TreeNode[];
  /** Children left out to keep the answer small. */
  more: number;
}

/** A state node of the chart, in absolute coordinates. */
export interface ChartNode {
  /** The state node's id (`worker.attempt.running`), or `<parent id>#initial` for an initial marker. */
  id: string;
  /** The state's key (`running`); empty for an initial marker. */
  key: string;
  kind: 'atomic' | 'compound' | 'parallel' | 'final' | 'history' | 'initial';
  /** The id of the enclosing state node, if any. */
  parent?: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A transition of the chart: one per source, target and event (guards joined). */
export interface ChartEdge {
  source: string;
  target: string;
  label: string;
  /** The route, start to end, in absolute coordinates. */
  points: [number, number][];
  /** The label's box, absolute. */
  labelBox?: { x: number; y: number; width: number; height: number };
}

/** The worker machine's chart, laid out at build time (scripts/view-assets.ts). */
export interface ChartLayout {
  machine: string;
  width: number;
  height: number;
  nodes: ChartNode[];
  edges: ChartEdge[];
}
