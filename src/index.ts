/**
 * xstate-supervisor: in-process worker supervision for Node.js, built on XState v5.
 * @packageDocumentation
 */
export { runGroup, startGroup, type GroupFailure, type GroupHandle, type RunGroupOptions } from './group.js';
export type { WorkerState, WorkerStatus } from '../machines/status.js';
export { renderStatus, watchStatus, type RenderStatusOptions, type WatchStatusOptions } from './render.js';
export { supervise, type SuperviseOptions } from './supervise.js';
export type { LogFields, Logger } from './logger.js';
export type { InspectionObserver } from './hooks.js';
export { FatalError, isFatal } from '../machines/fatal.js';
export { isGroupFailure } from './group-failure.js';
export { workerMachine, type WorkerEvent, type WorkerInput } from '../machines/worker.js';
export type { WorkInput } from '../machines/attempt.js';
export { groupMachine, type GroupEvent, type GroupInput } from '../machines/group.js';
export type { BackoffOptions } from '../machines/backoff.js';
export type {
  GroupReport,
  SupervisorEvent,
  SupervisorEventHandler,
  Work,
  WorkContext,
  WorkerOptions,
  WorkerReport,
  WorkerSpec,
} from '../machines/types.js';
export { inThread, type ThreadOptions } from './thread.js';
export { inChildProcess, type ChildProcessOptions, type ExitError } from './child-process.js';
export { createLiveView, type LiveView } from './view/live-view.js';
export { serveGroup, type GroupServer, type ServeGroupOptions } from './serve.js';
export { groupMetrics, metricsContentType } from './metrics.js';
export { installIndexedScheduler } from '../machines/scheduler.js';
