import type { SupervisorEvent } from '../src/index.js';

/** Records a group's events and resolves waiters on the first (past or future) match. */
export function eventLog() {
  const events: SupervisorEvent[] = [];
  const waiters: Array<{ match: (event: SupervisorEvent) => boolean; resolve: () => void }> = [];
  return {
    events,
    onEvent: (event: SupervisorEvent): void => {
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.match(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    /** Resolves once an event matching `match` happened (at once if one already did). */
    until(match: (event: SupervisorEvent) => boolean): Promise<void> {
      if (events.some(match)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

export interface Answer {
  status: number;
  type: string | null;
  text: string;
  json: () => unknown;
}

/** One GET over a real socket. */
export async function get(url: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(url, { method });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), text, json: () => JSON.parse(text) as unknown };
}

/** The value of one sample in Prometheus text (undefined when the series is absent). */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
