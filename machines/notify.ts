import type { SupervisorEvent, SupervisorEventHandler } from './types.js';

/**
 * Hands an event to the hook, if any. A throwing hook must not become an actor error,
 * which would end supervision: its error is written to the console instead.
 */
export function notify(handler: SupervisorEventHandler | undefined, event: SupervisorEvent): void {
  if (handler === undefined) return;
  try {
    handler(event);
  } catch (error) {
    console.error(`xstate-supervisor: onEvent threw on ${event.type}:`, error);
  }
}
