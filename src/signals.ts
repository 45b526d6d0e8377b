import { constants } from 'node:os';

/** The signals that ask a group to stop gracefully. */
export const shutdownSignals = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof shutdownSignals)[number];

/**
 * Side effect, on purpose: makes SIGTERM and SIGINT call `onFirst` instead of ending the
 * process. A second one while the first is being handled exits at once with
 * 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as shells and container
 * runtimes expect. Returns the function that removes the handlers again.
 */
export function handleShutdownSignals(onFirst: (signal: ShutdownSignal) => void): () => void {
  let received = false;
  const handler = (signal: ShutdownSignal): void => {
    if (received) process.exit(128 + constants.signals[signal]);
    received = true;
    onFirst(signal);
  };
  for (const signal of shutdownSignals) process.on(signal, handler);
  return () => {
    for (const signal of shutdownSignals) process.off(signal, handler);
  };
}
