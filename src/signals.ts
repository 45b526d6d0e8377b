import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';

/** The signals that ask a group to stop gracefully. */
export const shutdownSignals = ['SIGTERM', 'SIGINT'] as const;
export type ShutdownSignal = (typeof shutdownSignals)[number];

/**
 * How long a repeat of the same signal is taken for the first one, in ms. Some launchers
 * deliver one keypress twice: `tsx` forwards the terminal's SIGINT to its child and sends
 * it again about 30 ms later, and a terminal's process group gets it beside. A person
 * pressing Ctrl-C again takes longer than this.
 */
export const repeatWindowMs = 150;

/** One group that asked for shutdown signals. */
interface Registration {
  onFirst: (signal: ShutdownSignal) => void;
  /** It was told to stop: a further signal from a person exits the process. */
  stopping: boolean;
}

/**
 * Every group of the process that handles shutdown signals. One `process` listener per
 * signal serves all of them (N groups added N listeners, and Node warned
 * MaxListenersExceeded from the 11th on); it is removed with the last registration.
 */
const registrations = new Set<Registration>();
let first: { signal: ShutdownSignal; at: number } | undefined;

function onSignal(signal: ShutdownSignal): void {
  const now = performance.now();
  if (first !== undefined && first.signal === signal && now - first.at < repeatWindowMs) return;
  const all = [...registrations];
  if (all.some((registration) => registration.stopping)) {
    process.exit(128 + constants.signals[signal]);
  }
  first = { signal, at: now };
  for (const registration of all) {
    registration.stopping = true;
    try {
      registration.onFirst(signal);
    } catch {
      // One group's failure to start stopping must not keep the others running.
    }
  }
}

/**
 * Side effect, on purpose: makes SIGTERM and SIGINT call `onFirst` instead of ending the
 * process. One listener per signal serves every group of the process; a signal stops them
 * all. The same signal again within {@link repeatWindowMs} (150 ms) is the same keypress
 * delivered twice and is ignored; after that, a second one while a group is stopping exits
 * at once with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as shells and
 * container runtimes expect. Returns the function that removes this group again (and the
 * process listeners with the last group).
 */
export function handleShutdownSignals(onFirst: (signal: ShutdownSignal) => void): () => void {
  const registration: Registration = { onFirst, stopping: false };
  if (registrations.size === 0) {
    first = undefined;
    for (const signal of shutdownSignals) process.on(signal, onSignal);
  }
  registrations.add(registration);
  return () => {
    if (!registrations.delete(registration) || registrations.size > 0) return;
    for (const signal of shutdownSignals) process.off(signal, onSignal);
  };
}
