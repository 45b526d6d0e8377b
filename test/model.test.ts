// Model-based tests: paths generated with @xstate/graph over each machine, each executed
// against the real machine with controllable work and a simulated clock, asserting state
// and context at every step. Coverage is measured from the transitions the real actors
// took (the `@xstate.microstep` inspection events), against every transition defined.
import { getShortestPaths, type StatePath } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import {
  assign,
  createActor,
  setup,
  SimulatedClock,
  waitFor,
  type AnyActorRef,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
  type InspectionEvent,
  initialTransition,
  transition,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import { groupMachine } from '../machines/group.js';
import type { WorkerReport, WorkerSpec } from '../machines/types.js';
import { workerMachine, type WorkerInput } from '../machines/worker.js';
import { FatalError } from '../machines/fatal.js';
import { controllableWork } from './helpers.js';

type AnyEvent = { type: string } & Record<string, unknown>;

function transitionKey(transition: AnyTransitionDefinition): string {
  const guard = transition.guard === undefined ? '' : `[${typeof transition.guard === 'string' ? transition.guard : 'inline'}]`;
  const targets = transition.target?.map((node) => node.id).join(',') ?? '(stay)';
  return `${transition.source.id} --${transition.eventType || '(always)'}${guard}--> ${targets}`;
}

/** Every transition the machine defines, eventless ones included. */
function allTransitions(machine: AnyStateMachine): Set<string> {
  const keys = new Set<string>();
  const visit = (node: AnyStateNode) => {
    for (const transitions of node.transitions.values()) for (const t of transitions) keys.add(transitionKey(t));
    for (const t of node.always ?? []) keys.add(transitionKey(t));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return keys;
}

/**
 * Records the transitions actors running `machine` actually take (from their first
 * snapshot on, whose eventless transitions run inside `createActor`).
 */
function transitionRecorder(taken: Set<string>, machine: AnyStateMachine) {
  return (event: InspectionEvent) => {
    if (event.type === '@xstate.microstep' && (event.actorRef as { logic?: unknown }).logic === machine) {
      for (const t of event._transitions) taken.add(transitionKey(t));
    }
  };
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Edge coverage: for every state the traversal reaches, its shortest path, then each of
 * its transitions in turn. Unlike simple paths this includes self-loops (a transition
 * that only runs actions), so every transition gets executed.
 */
function edgePaths<TLogic extends AnyStateMachine>(
  machine: TLogic,
  options: {
    input: InputFrom<TLogic>;
    events: (snapshot: SnapshotFrom<TLogic>) => AnyEvent[];
    serializeState: (snapshot: SnapshotFrom<TLogic>) => string;
  },
): Array<StatePath<SnapshotFrom<TLogic>, AnyEvent>> {
  type Path = StatePath<SnapshotFrom<TLogic>, AnyEvent>;
  const traversal = { ...options, events: (snapshot: SnapshotFrom<TLogic>) => options.events(snapshot) as never[] };
  const shortest = getShortestPaths(machine, traversal as never) as unknown as Path[];
  // @xstate/graph keeps one snapshot per serialized state, which may come from another
  // history (the attempt count is capped): keep its event sequences, replay them here.
  const [initial] = initialTransition(machine, options.input);
  const replay = (events: AnyEvent[]): Path => {
    let snapshot = initial;
    const steps = events.map((event) => {
      if (event.type !== 'xstate.init') [snapshot] = transition(machine, snapshot, event as EventFromLogic<TLogic>);
      return { event, state: snapshot };
    });
    return { state: snapshot, weight: steps.length, steps };
  };
  return shortest.flatMap((prefix) => {
    const events = prefix.steps.map((step) => step.event);
    const end = replay(events).state;
    // A final actor takes no event (XState warns about each one sent to it): its path ends.
    if ((end as { status?: string }).status !== 'active') return [replay(events)];
    return options.events(end).map((event) => replay([...events, event]));
  });
}

describe('worker machine, model-based', () => {
  const stopTimeoutMs = 50;
  const resetAfterMs = 500;
  const crash = new Error('crash');
  const fatal = new FatalError('fatal');
  const ownTimeout = 'xstate.after.stopTimeout.worker.attempt.stopping.untilOwnDeadline';
  const warmedUp = 'xstate.after.resetAfter.worker.attempt.running.warmingUp';
  // The events the environment can produce in each state: the work settles only while it
  // runs, each timer fires only in the state that started it, the group's STOP_TIMEOUT
  // comes only while stopping, a restart leaves the window only after one was counted.
  const eventsIn = (snapshot: SnapshotFrom<typeof workerMachine>): AnyEvent[] => [
    { type: 'STOP' },
    // A group removing one worker tells it to time its own stop.
    ...(snapshot.matches({ attempt: 'running' }) ? [{ type: 'STOP', deadline: 'own' }] : []),
    ...(snapshot.matches('attempt')
      ? [
          { type: 'xstate.done.actor.work', output: undefined, actorId: 'work' },
          { type: 'xstate.error.actor.work', error: crash, actorId: 'work' },
          { type: 'xstate.error.actor.work', error: fatal, actorId: 'work' },
        ]
      : []),
    ...(snapshot.matches('backoff') ? [{ type: 'xstate.after.backoff.worker.backoff' }] : []),
    ...(snapshot.matches({ attempt: { running: 'warmingUp' } }) ? [{ type: warmedUp }] : []),
    ...(snapshot.matches({ attempt: { stopping: 'untilOwnDeadline' } }) ? [{ type: ownTimeout }] : []),
    ...(snapshot.matches({ attempt: 'stopping' })
      ? [{ type: 'STOP_TIMEOUT', stopTimeoutMs }, { type: 'STOP_TIMEOUT', stopTimeoutMs: stopTimeoutMs + 1 }]
      : []),
    ...(snapshot.status === 'active' && snapshot.context.recentRestarts > 0 ? [{ type: 'RESTART_WINDOW_PASSED' }] : []),
  ];
  const taken = new Set<string>();

  const restarts = ['on-failure', 'always', 'never'] as const;
  const modes = [
    ...(['own', 'group'] as const).flatMap((stopDeadline) => restarts.map((restart) => [stopDeadline, restart, 'plain'] as const)),
    ...(['resetAfterMs', 'maxRestarts'] as const).flatMap((policy) => restarts.map((restart) => ['group', restart, policy] as const)),
  ];
  describe.each(modes)('timing its stop: %s, restart: %s, policy: %s', (stopDeadline, restart, policy) => {
    const baseInput: WorkerInput = {
      name: 'w',
      work: () => undefined,
      backoff: { initialMs: 100, factor: 2, maxMs: 1000, ...(policy === 'resetAfterMs' ? { resetAfterMs } : {}) },
      // A window no test clock reaches: the executor sends its end itself.
      ...(policy === 'maxRestarts' ? { maxRestarts: { count: 1, withinMs: 1e9 } } : {}),
      stopTimeoutMs,
      stopDeadline,
      restart,
    };
    const paths = edgePaths(workerMachine, {
      input: baseInput,
      events: eventsIn,
      // Cap the attempt count: the restart loop is one cycle, not an infinite state space.
      serializeState: (snapshot) =>
        JSON.stringify([
          snapshot.value,
          Math.min(snapshot.context.attempts, 2),
          Math.min(snapshot.context.crashes, 2),
          snapshot.context.stopDeadline,
          snapshot.context.recentRestarts,
          snapshot.context.stopTimedOut,
        ]),
    });

    test('reaches every state', () => {
      const visited = new Set(paths.flatMap((path) => path.steps.map((step) => JSON.stringify(step.state.value))));
      const stopping = stopDeadline === 'own' ? ['untilOwnDeadline'] : ['untilGroupDeadline', 'untilOwnDeadline'];
      const byRestart = {
        'on-failure': ['"backoff"', '"done"'],
        always: ['"backoff"'],
        never: ['"done"'],
      }[restart];
      const running = policy === 'resetAfterMs' ? ['warmingUp', 'warm'] : ['warm'];
      expect(visited).toEqual(
        new Set([
          ...running.map((state) => `{"attempt":{"running":"${state}"}}`),
          ...stopping.map((state) => `{"attempt":{"stopping":"${state}"}}`),
          '"stopped"',
          '"failed"',
          ...byRestart,
        ]),
      );
    });

    test('every path holds on the real machine, step by step', async () => {
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        const clock = new SimulatedClock();
        const work = controllableWork();
        const worker = createActor(workerMachine, {
          clock,
          input: { ...baseInput, work: work.work },
          inspect: transitionRecorder(taken, workerMachine),
        });
        worker.start();
        for (const step of path.steps) {
          const event = step.event;
          if (event.type === 'STOP') worker.send(event.deadline === 'own' ? { type: 'STOP', deadline: 'own' } : { type: 'STOP' });
          else if (event.type === 'STOP_TIMEOUT') worker.send({ type: 'STOP_TIMEOUT', stopTimeoutMs: Number(event.stopTimeoutMs) });
          else if (event.type === 'RESTART_WINDOW_PASSED') worker.send({ type: 'RESTART_WINDOW_PASSED' });
          else if (event.type === 'xstate.done.actor.work') work.last().settle.resolve();
          else if (event.type === 'xstate.error.actor.work') work.last().settle.reject(event.error);
          else if (event.type === 'xstate.after.backoff.worker.backoff') clock.increment(worker.getSnapshot().context.delayMs);
          else if (event.type === ownTimeout) clock.increment(stopTimeoutMs);
          else if (event.type === warmedUp) clock.increment(resetAfterMs);
          else if (event.type !== 'xstate.init') throw new Error(`no executor for ${event.type}`);
          const expected = step.state;
          const real = await waitFor(worker, (s) => sameValue(s.value, expected.value), { timeout: 1000 });
          const pick = ({ attempts, crashes, recentRestarts, delayMs, errored, lastError, stopTimedOut, outcome }: typeof real.context) =>
            ({ attempts, crashes, recentRestarts, delayMs, errored, lastError, stopTimedOut, outcome });
          expect(pick(real.context), `${path.steps.map((s) => s.event.type).join(' → ')}`).toEqual(pick(expected.context));
          expect(real.status).toBe(expected.status);
          expect(work.attempts).toHaveLength(real.context.attempts);
        }
        worker.stop();
      }
    });
  });

  test('the executed paths took every transition of the worker machine', () => {
    expect([...allTransitions(workerMachine)].filter((key) => !taken.has(key))).toEqual([]);
    expect(taken.size).toBe(allTransitions(workerMachine).size);
  });
});

describe('group machine, model-based', () => {
  // Controllable workers: the group is the machine under test, its children the environment.
  const testWorker = setup({
    types: {
      input: {} as WorkerInput,
      context: {} as { name: string; stopped: boolean; gaveUp: boolean; timedOut: number | undefined },
      events: {} as
        | { type: 'STOP' }
        | { type: 'STOP_TIMEOUT'; stopTimeoutMs: number }
        | { type: 'FINISH' }
        | { type: 'GIVE_UP' }
        | { type: 'FAIL' },
      output: {} as WorkerReport,
    },
  }).createMachine({
    context: ({ input }) => ({ name: input.name, stopped: false, gaveUp: false, timedOut: undefined }),
    initial: 'live',
    states: {
      live: {
        on: {
          STOP: { actions: assign({ stopped: true }) },
          STOP_TIMEOUT: { actions: assign({ timedOut: ({ event }) => event.stopTimeoutMs }) },
          FINISH: 'finished',
          GIVE_UP: { target: 'finished', actions: assign({ gaveUp: true }) },
          FAIL: { actions: () => { throw new Error('worker fault'); } },
        },
      },
      finished: { type: 'final' },
    },
    output: ({ context }) => ({
      name: context.name,
      outcome: context.gaveUp ? 'failed' : context.stopped ? 'stopped' : 'done',
      attempts: 1,
      restarts: 0,
      stopTimedOut: false,
    }),
  });
  const machine = groupMachine.provide({ actors: { worker: testWorker as unknown as typeof workerMachine } });
  const names = ['a', 'b'];
  const stopTimeoutMs = 50;
  const specs = names.map((name) => ({ name, work: () => undefined, stopTimeoutMs }));
  type GroupSnapshot = ReturnType<typeof machine.getInitialSnapshot>;
  const finishedNames = (snapshot: GroupSnapshot) => {
    const result: string[] = [];
    for (let entry = snapshot.context.finished; entry !== null; entry = entry.rest) result.push(entry.id);
    return result.sort();
  };
  const fault = new Error('worker fault');
  const taken = new Set<string>();

  let added = 0;
  describe.each(['isolate', 'escalate'] as const)('onGiveUp: %s', (onGiveUp) => {
    const input = { workers: specs, onGiveUp };
    // The workers in the group that have not finished. (A removed worker's own finish is
    // left out of the model: it is the same transition as any other worker's.)
    const liveWorkers = (snapshot: GroupSnapshot) =>
      snapshot.context.names.filter((name) => !finishedNames(snapshot).includes(name)).sort();
    const paths = edgePaths(machine, {
      input,
      events: (snapshot) =>
        [
          { type: 'STOP' },
          // The root's own deadline fires only while it is stopping; STOP_TIMEOUT is what an
          // inner group gets from its parent.
          ...(snapshot.value === 'stopping'
            ? [{ type: 'STOP_DEADLINE', stopTimeoutMs }, { type: 'STOP_TIMEOUT', stopTimeoutMs }]
            : []),
          // One worker can be added, any can be removed. The traversal runs every path in one
          // actor system, so each offered ADD has a name of its own.
          ...(snapshot.value === 'running' && !Object.keys(snapshot.children).some((name) => name.startsWith('added'))
            ? [{ type: 'ADD', worker: { name: `added${(added += 1)}`, work: () => undefined, stopTimeoutMs } }]
            : []),
          ...(snapshot.value === 'running' ? snapshot.context.names.map((name) => ({ type: 'REMOVE', name })) : []),
          ...liveWorkers(snapshot).flatMap((name) => [
            {
              type: `xstate.done.actor.${name}`,
              actorId: name,
              output: { name, outcome: snapshot.context.stopRequested ? 'stopped' : 'done', attempts: 1, restarts: 0, stopTimedOut: false },
            },
            ...(snapshot.context.stopRequested
              ? []
              : [{
                  type: `xstate.done.actor.${name}`,
                  actorId: name,
                  output: { name, outcome: 'failed', attempts: 1, restarts: 0, stopTimedOut: false },
                }]),
            { type: `xstate.error.actor.${name}`, actorId: name, error: fault },
          ]),
        ],
      serializeState: (snapshot) =>
        JSON.stringify([
          snapshot.value,
          snapshot.context.live,
          snapshot.context.stopRequested,
          finishedNames(snapshot),
          snapshot.context.names,
          liveWorkers(snapshot),
        ]),
    });

    test('every path holds on the real machine, step by step', async () => {
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        const clock = new SimulatedClock();
        const group = createActor(machine, { clock, input, inspect: transitionRecorder(taken, machine) });
        group.start();
        const child = (name: string) => group.getSnapshot().children[name] as AnyActorRef;
        for (const step of path.steps) {
          const event = step.event;
          const live = liveWorkers(group.getSnapshot());
          if (event.type === 'STOP') {
            group.send({ type: 'STOP' });
            // Every worker still in the group got the STOP.
            for (const name of live) await waitFor(child(name), (s: { context: { stopped: boolean } }) => s.context.stopped, { timeout: 1000 });
          } else if (event.type === 'STOP_DEADLINE' || event.type === 'STOP_TIMEOUT') {
            if (event.type === 'STOP_DEADLINE') clock.increment(stopTimeoutMs);
            else group.send({ type: 'STOP_TIMEOUT', stopTimeoutMs });
            // Every worker still in the group was told its stop timeout passed.
            for (const name of live) {
              await waitFor(child(name), (s: { context: { timedOut?: number } }) => s.context.timedOut === stopTimeoutMs, { timeout: 1000 });
            }
          } else if (event.type === 'ADD') {
            group.send({ type: 'ADD', worker: event.worker as WorkerSpec });
          } else if (event.type === 'REMOVE') {
            const name = String(event.name);
            const wasLive = live.includes(name);
            group.send({ type: 'REMOVE', name });
            // A live worker is asked to stop; a finished one is only dropped.
            if (wasLive) await waitFor(child(name), (s: { context: { stopped: boolean } }) => s.context.stopped, { timeout: 1000 });
          } else if (event.type.startsWith('xstate.done.actor.')) {
            const failed = (event.output as WorkerReport).outcome === 'failed';
            child(String(event.actorId)).send({ type: failed ? 'GIVE_UP' : 'FINISH' });
          } else if (event.type.startsWith('xstate.error.actor.')) child(String(event.actorId)).send({ type: 'FAIL' });
          else if (event.type !== 'xstate.init') throw new Error(`no executor for ${event.type}`);
          const expected = step.state;
          const real = await waitFor(
            group,
            (s) => sameValue(s.value, expected.value) && sameValue(finishedNames(s), finishedNames(expected)),
            { timeout: 1000 },
          );
          expect(real.context.live).toBe(expected.context.live);
          expect(real.context.names).toEqual(expected.context.names);
          expect(real.context.stopRequested).toBe(expected.context.stopRequested);
          expect(real.status).toBe(expected.status);
          if (real.status === 'done') {
            expect(real.output?.outcome).toBe(expected.context.stopRequested ? 'stopped' : 'done');
            expect(real.output?.workers.map((report) => report.name)).toEqual(expected.context.names);
          }
        }
        group.stop();
      }
    });
  });

  test('an inner group passes an escalation up to the root, which stops every branch', async () => {
    const clock = new SimulatedClock();
    const group = createActor(machine, {
      clock,
      input: { workers: ['a', 'b', 'c'].map((name) => ({ name, work: () => undefined })), fanOut: 2, onGiveUp: 'escalate' },
      inspect: transitionRecorder(taken, machine),
    }).start();
    const worker = (name: string) => group.system.get(name) as AnyActorRef;
    const [b, c] = [worker('b'), worker('c')];
    worker('a').send({ type: 'GIVE_UP' });
    await waitFor(group, (s) => s.value === 'stopping', { timeout: 1000 });
    for (const other of [b, c]) await waitFor(other, (s: { context: { stopped: boolean } }) => s.context.stopped, { timeout: 1000 });
    b.send({ type: 'FINISH' });
    c.send({ type: 'FINISH' });
    const done = await waitFor(group, (s) => s.status === 'done', { timeout: 1000 });
    expect(done.output?.workers.map((report) => report.outcome)).toEqual(['failed', 'stopped', 'stopped']);
  });

  test('the executed paths took every transition of the group machine', () => {
    expect([...allTransitions(machine)].filter((key) => !taken.has(key))).toEqual([]);
  });
});
