// Model-based tests: paths generated with @xstate/graph over each machine, each executed
// against the real machine with controllable work and a simulated clock, asserting state
// and context at every step. Coverage is measured from the transitions the real actors
// took (the `@xstate.microstep` inspection events), against every transition defined.
import { getShortestPaths, type StatePath } from '@xstate/graph';
import { describe, expect, test } from 'vitest';
import {
  assign,
  createActor,
  enqueueActions,
  setup,
  SimulatedClock,
  waitFor,
  type Actor,
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
import { branchMachine } from '../machines/branch.js';
import { groupMachine } from '../machines/group.js';
import { groupMembers } from '../machines/status.js';
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
 * Makes the real worker take a path step that every worker model shares: an event it is
 * sent, the work settling, the backoff passing. False for a step the caller plays itself.
 */
function playCommonStep(
  worker: Actor<typeof workerMachine>,
  work: ReturnType<typeof controllableWork>,
  clock: SimulatedClock,
  event: { type: string; error?: unknown },
): boolean {
  if (event.type === 'STOP') worker.send({ type: 'STOP' });
  else if (event.type === 'supervisor.stopDeadline') worker.send({ type: 'supervisor.stopDeadline' });
  else if (event.type === 'RESTART_WINDOW_PASSED') worker.send({ type: 'RESTART_WINDOW_PASSED' });
  else if (event.type === 'xstate.done.actor.work') work.last().settle.resolve();
  else if (event.type === 'xstate.error.actor.work') work.last().settle.reject(event.error);
  else if (event.type === 'xstate.after.backoff.worker.backoff') clock.increment(worker.getSnapshot().context.delayMs);
  else return false;
  return true;
}

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

/** A worker state for the traversal: the attempt and crash counts capped, so the restart loop is one cycle. */
const serializeWorker = (snapshot: SnapshotFrom<typeof workerMachine>): string =>
  JSON.stringify([
    snapshot.value,
    Math.min(snapshot.context.attempts, 2),
    Math.min(snapshot.context.crashes, 2),
    snapshot.context.config.stopDeadline,
    snapshot.context.recentRestarts,
    snapshot.context.stopTimedOut,
  ]);

describe('worker machine, model-based', () => {
  const stopTimeoutMs = 50;
  const resetAfterMs = 500;
  const crash = new Error('crash');
  const fatal = new FatalError('fatal');
  const ownTimeout = 'xstate.after.stopTimeout.worker.attempt.stopping.untilOwnDeadline';
  const warmedUp = 'xstate.after.resetAfter.worker.attempt.running.warmingUp';
  // The events the environment can produce in each state: the work settles only while it
  // runs, each timer fires only in the state that started it, the parent's stop deadline
  // comes only while stopping, a restart leaves the window only after one was counted.
  const eventsIn = (snapshot: SnapshotFrom<typeof workerMachine>): AnyEvent[] => [
    { type: 'STOP' },
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
    ...(snapshot.matches({ attempt: 'stopping' }) ? [{ type: 'supervisor.stopDeadline' }] : []),
    ...(snapshot.status === 'active' && snapshot.context.recentRestarts > 0 ? [{ type: 'RESTART_WINDOW_PASSED' }] : []),
  ];
  const taken = new Set<string>();

  const restarts = ['on-failure', 'always', 'never'] as const;
  const modes = [
    ...(['own', 'parent'] as const).flatMap((stopDeadline) => restarts.map((restart) => [stopDeadline, restart, 'plain'] as const)),
    ...(['resetAfterMs', 'maxRestarts'] as const).flatMap((policy) => restarts.map((restart) => ['parent', restart, policy] as const)),
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
      serializeState: serializeWorker,
    });

    test('reaches every state', () => {
      const visited = new Set(paths.flatMap((path) => path.steps.map((step) => JSON.stringify(step.state.value))));
      const stopping = stopDeadline === 'own' ? ['untilOwnDeadline'] : ['untilParentDeadline'];
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
          if (!playCommonStep(worker, work, clock, event)) {
            if (event.type === ownTimeout) clock.increment(stopTimeoutMs);
            else if (event.type === warmedUp) clock.increment(resetAfterMs);
            else if (event.type !== 'xstate.init') throw new Error(`no executor for ${event.type}`);
          }
          const expected = step.state;
          const real = await waitFor(worker, (s) => sameValue(s.value, expected.value), { timeout: 1000 });
          const pick = ({ attempts, crashes, recentRestarts, delayMs, errored, lastError, stopTimedOut }: typeof real.context) =>
            ({ attempts, crashes, recentRestarts, delayMs, errored, lastError, stopTimedOut });
          expect(pick(real.context), `${path.steps.map((s) => s.event.type).join(' → ')}`).toEqual(pick(expected.context));
          expect(real.output?.outcome).toBe(expected.output?.outcome);
          expect(real.status).toBe(expected.status);
          expect(work.attempts).toHaveLength(real.context.attempts);
        }
        worker.stop();
      }
    });
  });

  // Watched workers: the watchdog's guards read the clock, so the traversal runs a copy of
  // the machine whose guards read which deadline the (abstract) watchdog event says passed,
  // and the executor makes the real one pass on the simulated clock: it advances ms by ms,
  // heartbeating unless the heartbeat is the deadline to miss, until the watchdog fires.
  const hungTimeout = 'xstate.after.stopTimeout.worker.attempt.hung';
  type Due = 'ready' | 'heartbeat' | 'attempt' | 'none';
  const watchModes = [
    // ready after the first heartbeat deadline: every deadline can pass while starting.
    ['ready+heartbeat', { readyTimeoutMs: 300, heartbeatTimeoutMs: 100 }, { starting: ['ready', 'heartbeat', 'none'], running: ['heartbeat', 'none'] }],
    ['ready+attempt', { readyTimeoutMs: 300, attemptTimeoutMs: 200 }, { starting: ['attempt'], running: ['attempt'] }],
    ['heartbeat+attempt', { heartbeatTimeoutMs: 100, attemptTimeoutMs: 250 }, { starting: [], running: ['heartbeat', 'attempt', 'none'] }],
  ] as const;
  const byEventDue = (due: Due) => ({ event }: { event: { type: string; due?: Due } }) => event.due === due;
  const traversed = workerMachine.provide({
    guards: { readyTimedOut: byEventDue('ready'), heartbeatTimedOut: byEventDue('heartbeat'), attemptTimedOut: byEventDue('attempt') },
  });
  describe.each(watchModes.flatMap(([label, timeouts, dues]) => restarts.map((restart) => [label, restart, timeouts, dues] as const)))(
    'watched (%s), restart: %s',
    (_, restart, timeouts, dues) => {
      const baseInput: WorkerInput = {
        name: 'w',
        work: () => undefined,
        backoff: { initialMs: 100, factor: 2, maxMs: 1000 },
        ...(restart === 'on-failure' ? {} : { maxRestarts: { count: 1, withinMs: 1e9 } }),
        stopTimeoutMs,
        stopDeadline: 'parent',
        restart,
        ...timeouts,
      };
      const watchEvents = (snapshot: SnapshotFrom<typeof workerMachine>): AnyEvent[] => [
        ...eventsIn(snapshot),
        ...(snapshot.matches({ attempt: 'starting' })
          ? [{ type: 'supervisor.ready', attempt: snapshot.context.attempts }, ...dues.starting.map((due) => ({ type: 'supervisor.watchdog', due }))]
          : []),
        ...(snapshot.matches({ attempt: 'running' }) ? dues.running.map((due) => ({ type: 'supervisor.watchdog', due })) : []),
        ...(snapshot.matches({ attempt: 'hung' }) ? [{ type: hungTimeout }] : []),
      ];
      const paths = edgePaths(traversed, {
        input: baseInput,
        events: watchEvents,
        serializeState: serializeWorker,
      });

      test('reaches the starting and hung states', () => {
        const visited = new Set(paths.flatMap((path) => path.steps.map((step) => JSON.stringify(step.state.value))));
        expect(visited).toContain('{"attempt":"hung"}');
        if ('readyTimeoutMs' in timeouts) expect(visited).toContain('{"attempt":"starting"}');
      });

      test('every path holds on the real machine, step by step', async () => {
        expect(paths.length).toBeGreaterThan(10);
        for (const path of paths) {
          const clock = new SimulatedClock();
          const work = controllableWork();
          let watchdogs = 0;
          const record = transitionRecorder(taken, workerMachine);
          const worker = createActor(workerMachine, {
            clock,
            input: { ...baseInput, work: work.work, now: () => clock.now() },
            inspect: (event) => {
              record(event);
              if (event.type === '@xstate.event' && event.event.type === 'supervisor.watchdog') watchdogs += 1;
            },
          });
          worker.start();
          for (const step of path.steps) {
            const event = step.event;
            if (!playCommonStep(worker, work, clock, event)) {
              if (event.type === ownTimeout || event.type === hungTimeout) clock.increment(stopTimeoutMs);
              else if (event.type === 'supervisor.ready') work.last().context.ready();
              else if (event.type === 'supervisor.watchdog') {
                const due = event.due as Due;
                const before = watchdogs;
                const watching = () => worker.getSnapshot().matches({ attempt: 'starting' }) || worker.getSnapshot().matches({ attempt: 'running' });
                for (let ms = 0; ms < 1000 && (due === 'none' ? watchdogs === before : watching()); ms++) {
                  clock.increment(1);
                  if (due !== 'heartbeat') work.last().context.heartbeat();
                }
              } else if (event.type !== 'xstate.init') throw new Error(`no executor for ${event.type}`);
            }
            const expected = step.state;
            const real = await waitFor(worker, (s) => sameValue(s.value, expected.value), { timeout: 1000 });
            const pick = ({ attempts, crashes, recentRestarts, delayMs, errored, stopTimedOut }: typeof real.context) =>
              ({ attempts, crashes, recentRestarts, delayMs, errored, stopTimedOut });
            expect(pick(real.context), `${path.steps.map((s) => s.event.type).join(' → ')}`).toEqual(pick(expected.context));
          expect(real.output?.outcome).toBe(expected.output?.outcome);
            expect(String(real.context.lastError)).toBe(String(expected.context.lastError));
            expect(real.status).toBe(expected.status);
            expect(work.attempts).toHaveLength(real.context.attempts);
          }
          worker.stop();
        }
      });
    },
  );

  test('the executed paths took every transition of the worker machine', () => {
    expect([...allTransitions(workerMachine)].filter((key) => !taken.has(key))).toEqual([]);
    expect(taken.size).toBe(allTransitions(workerMachine).size);
  });
});

describe('group machine (root and branches), model-based', () => {
  // Controllable workers: the root and its branches are the machines under test, the
  // workers the environment. The model is an abstract group (each worker's phase);
  // @xstate/graph walks it, and every path is executed against the real tree with
  // fan-out 2, so branches, sub-branches and a second top branch exist.
  const testWorker = setup({
    types: {
      input: {} as WorkerInput,
      context: {} as { name: string; stopped: boolean; gaveUp: boolean; timedOut: boolean },
      events: {} as
        | { type: 'STOP' }
        | { type: 'supervisor.stopDeadline' }
        | { type: 'FINISH' }
        | { type: 'GIVE_UP' }
        | { type: 'FAIL' },
      output: {} as WorkerReport,
    },
  }).createMachine({
    context: ({ input }) => ({ name: input.name, stopped: false, gaveUp: false, timedOut: false }),
    initial: 'live',
    states: {
      live: {
        on: {
          STOP: { actions: assign({ stopped: true }) },
          'supervisor.stopDeadline': { target: 'finished', actions: assign({ timedOut: true }) },
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
      stopTimedOut: context.timedOut,
    }),
  });
  const machine = groupMachine.provide({ actors: { worker: testWorker as unknown as typeof workerMachine } });
  const stopTimeoutMs = 50;
  const spec = (name: string): WorkerSpec => ({ name, work: () => undefined, stopTimeoutMs });
  // Two workers fill the first top branch (capacity 2); ADD grows a second one, of depth 2.
  const initial = ['a', 'b'];
  const extra = ['c', 'd'];

  type Phase = 'running' | 'stopping' | 'done' | 'stopped';
  /** A worker's phase: in the group (live, finished) or leaving it (removing). */
  type WorkerPhase = 'live' | 'stopping' | 'done' | 'failed' | 'stopped' | 'removing';
  interface Model {
    phase: Phase;
    workers: Array<[name: string, phase: WorkerPhase]>;
    added: number;
  }
  type ModelEvent = { type: string; name?: string };
  const isLive = (phase: WorkerPhase) => phase === 'live' || phase === 'stopping' || phase === 'removing';

  /** The abstract group: what the real one must do, in a few lines. */
  function step(model: Model, event: ModelEvent, options: { onGiveUp: 'isolate' | 'escalate'; autoShutdown: 'all-done' | 'never' }): Model {
    let workers = model.workers.map(([name, phase]): [string, WorkerPhase] => [name, phase]);
    let phase = model.phase;
    let added = model.added;
    const set = (name: string | undefined, to: WorkerPhase | undefined) => {
      workers = to === undefined ? workers.filter(([n]) => n !== name) : workers.map(([n, p]) => [n, n === name ? to : p]);
    };
    const beginStop = () => {
      phase = 'stopping';
      workers = workers.map(([n, p]) => [n, p === 'live' ? 'stopping' : p]);
    };
    const current = workers.find(([n]) => n === event.name)?.[1];
    switch (event.type) {
      case 'STOP': beginStop(); break;
      case 'ADD': workers.push([extra[added]!, 'live']); added += 1; break;
      case 'REMOVE': set(event.name, current === 'live' ? 'removing' : undefined); break;
      case 'FINISH': set(event.name, current === 'removing' ? undefined : current === 'stopping' ? 'stopped' : 'done'); break;
      case 'GIVE_UP':
      case 'FAIL':
        set(event.name, current === 'removing' ? undefined : 'failed');
        if (options.onGiveUp === 'escalate' && phase === 'running' && current === 'live') beginStop();
        break;
      case 'DEADLINE':
        workers = workers.flatMap(([n, p]): Array<[string, WorkerPhase]> => (p === 'removing' ? [] : [[n, p === 'stopping' ? 'stopped' : p]]));
        break;
    }
    const live = workers.some(([, p]) => isLive(p));
    if (phase === 'stopping' && !live) phase = 'stopped';
    if (phase === 'running' && !live && options.autoShutdown === 'all-done') phase = 'done';
    return { phase, workers, added };
  }

  const modes = [
    ['isolate', 'all-done'],
    ['escalate', 'all-done'],
    ['isolate', 'never'],
  ] as const;
  const taken = new Set<string>();
  const recorder = (event: InspectionEvent) => {
    const logic = (event.actorRef as { logic?: { id?: string } }).logic;
    if (event.type === '@xstate.microstep' && (logic?.id === 'group' || logic?.id === 'branch')) {
      for (const t of event._transitions) taken.add(transitionKey(t));
    }
  };

  describe.each(modes)('onGiveUp: %s, autoShutdown: %s', (onGiveUp, autoShutdown) => {
    const options = { onGiveUp, autoShutdown };
    const start: Model = { phase: 'running', workers: initial.map((name) => [name, 'live']), added: 0 };
    const model = setup({ types: { context: {} as Model, events: {} as ModelEvent } }).createMachine({
      context: start,
      on: { '*': { actions: assign(({ context, event }) => step(context, event, options)) } },
    });
    // One ADD is enough for the variants: the first mode grows the second top branch fully.
    const adds = onGiveUp === 'isolate' && autoShutdown === 'all-done' ? extra.length : 1;
    const eventsOf = (m: Model): ModelEvent[] => {
      if (m.phase === 'done' || m.phase === 'stopped') return [];
      const events: ModelEvent[] = [];
      if (m.phase === 'running') {
        events.push({ type: 'STOP' });
        if (m.added < adds) events.push({ type: 'ADD' });
      }
      for (const [name, phase] of m.workers) {
        if (m.phase === 'running' && phase !== 'removing') events.push({ type: 'REMOVE', name });
        // Under 'isolate' GIVE_UP takes the same transitions as FAIL: left out, it halves the paths.
        if (phase === 'live') events.push({ type: 'FINISH', name }, { type: 'FAIL', name }, ...(onGiveUp === 'escalate' ? [{ type: 'GIVE_UP', name }] : []));
        if (phase === 'stopping') events.push({ type: 'FINISH', name });
        if (phase === 'removing') events.push({ type: 'FINISH', name });
      }
      if (m.workers.some(([, p]) => p === 'removing' || p === 'stopping')) events.push({ type: 'DEADLINE' });
      return events;
    };
    // The shortest path to every abstract state.
    type ModelSnapshot = SnapshotFrom<typeof model>;
    // Deeper states repeat transitions already taken; the cap keeps the suite fast.
    const maxSteps = 6;
    const paths = (getShortestPaths(model, {
      events: (snapshot: ModelSnapshot) => eventsOf(snapshot.context),
      serializeState: (snapshot: ModelSnapshot) => JSON.stringify(snapshot.context),
    })).filter((path) => path.steps.length <= maxSteps);

    test('every path holds on the real tree, step by step', () => {
      expect(paths.length).toBeGreaterThan(50);
      for (const path of paths) {
        const clock = new SimulatedClock();
        const group = createActor(machine, {
          clock,
          input: { workers: initial.map(spec), fanOut: 2, onGiveUp, autoShutdown },
          inspect: recorder,
        }).start();
        const worker = (name: string) => group.system.get(name) as AnyActorRef;
        let added = 0;
        for (const { event, state } of path.steps) {
          if (event.type === 'STOP') group.send({ type: 'STOP' });
          else if (event.type === 'ADD') group.send({ type: 'ADD', worker: spec(extra[added++]!) });
          else if (event.type === 'REMOVE') group.send({ type: 'REMOVE', name: event.name! });
          else if (event.type === 'DEADLINE') clock.increment(stopTimeoutMs);
          else if (event.type !== 'xstate.init') worker(event.name!).send({ type: event.type as 'FINISH' });
          const expected = state.context;
          const real = group.getSnapshot();
          expect(real.value).toBe(expected.phase);
          const inGroup = expected.workers.filter(([, phase]) => phase !== 'removing');
          const outcome = (phase: WorkerPhase) => (phase === 'live' ? 'running' : phase);
          if (real.status === 'done') {
            expect(real.output?.outcome).toBe(expected.phase);
            expect(real.output?.workers.map((report) => [report.name, report.outcome])).toEqual(inGroup.map(([name, phase]) => [name, outcome(phase)]));
          } else {
            // The one walk of the tree (status()) sees the same workers, in order.
            const stateOf = (member: ReturnType<typeof groupMembers>[number]) =>
              member.report?.outcome ?? ((member.actor?.getSnapshot() as { context: { stopped: boolean } }).context.stopped ? 'stopping' : 'running');
            expect(groupMembers(group).map((member) => [member.name, stateOf(member)])).toEqual(
              inGroup.map(([name, phase]) => [name, outcome(phase)]),
            );
            // Every worker asked to stop got STOP.
            for (const [name, phase] of expected.workers) {
              if (phase === 'stopping' || phase === 'removing') expect((worker(name).getSnapshot() as { context: { stopped: boolean } }).context.stopped).toBe(true);
            }
          }
        }
        group.stop();
      }
    }, 60_000);
  });

  test('a branch that breaks (a fault injected into the package) is isolated in every phase', () => {
    // depth: the branches that throw (1: those hosting workers); on: the message they throw on.
    const faulty = (on: 'supervisor.remove' | 'STOP', depth: number) =>
      groupMachine.provide({
        actors: {
          worker: testWorker as unknown as typeof workerMachine,
          branch: branchMachine.provide({
            actions: {
              ...(on === 'supervisor.remove'
                ? {
                    removeWorker: enqueueActions(({ context, event, enqueue }) => {
                      if (context.config.depth <= depth) throw new Error('branch fault');
                      // Above the faulty depth: pass it down, as the real action does.
                      const { childCapacity, fanOut } = context.config;
                      if (event.type === 'supervisor.remove') enqueue.sendTo(`b${Math.floor(event.position / childCapacity) % fanOut}`, event);
                    }),
                  }
                : {}),
              forwardStop: enqueueActions(({ context, enqueue }) => {
                if (on === 'STOP' && context.config.depth <= depth) throw new Error('branch fault on STOP');
                context.slots.forEach((slot, i) => {
                  if (slot?.kind === 'branch') enqueue.sendTo(`b${i}`, { type: 'STOP' });
                  else if (slot?.kind === 'worker' && slot.report === undefined) enqueue.sendTo(`w${i}`, { type: 'STOP' });
                });
              }),
            },
          }),
        },
      });
    const run = (on: 'supervisor.remove' | 'STOP', depth: number, names: string[]) =>
      createActor(faulty(on, depth), { input: { workers: names.map(spec), fanOut: 2 }, inspect: recorder }).start();
    const outcomes = (actor: AnyActorRef) =>
      (actor.getSnapshot() as { output?: { workers: WorkerReport[] } }).output?.workers.map((report) => [report.name, report.outcome]);

    // A leaf branch breaks while running, three levels down: its parent reports its live
    // worker lost, up through the top branch; the rest go on.
    const leaf = run('supervisor.remove', 1, ['a', 'b', 'c', 'd', 'e']);
    leaf.send({ type: 'REMOVE', name: 'e' });
    expect(leaf.getSnapshot().value).toBe('running');
    expect(leaf.getSnapshot().context.live).toBe(4);
    leaf.send({ type: 'STOP' });
    for (const name of ['a', 'b', 'c', 'd']) (leaf.system.get(name) as AnyActorRef).send({ type: 'FINISH' });
    expect(outcomes(leaf)?.slice(0, 4)).toEqual([['a', 'stopped'], ['b', 'stopped'], ['c', 'stopped'], ['d', 'stopped']]);

    // A top branch breaks while running: the root counts its workers out and ends.
    const top = run('supervisor.remove', 9, ['a']);
    top.send({ type: 'REMOVE', name: 'a' });
    expect(outcomes(top)).toEqual([['a', 'failed']]);

    // Branches break on STOP: a leaf under a stopping branch, a top branch under the stopping
    // root, and a top branch the root stops once every worker is done.
    const stoppingLeaf = run('STOP', 1, ['a', 'b', 'c']);
    stoppingLeaf.send({ type: 'STOP' });
    expect(outcomes(stoppingLeaf)).toEqual([['a', 'failed'], ['b', 'failed'], ['c', 'failed']]);
    const stoppingTop = run('STOP', 9, ['a', 'b', 'c']);
    stoppingTop.send({ type: 'STOP' });
    expect(outcomes(stoppingTop)).toEqual([['a', 'failed'], ['b', 'failed'], ['c', 'failed']]);
    const ending = run('STOP', 9, ['a']);
    (ending.system.get('a') as AnyActorRef).send({ type: 'FINISH' });
    // a's report was taken before its branch broke: it stays done.
    expect(outcomes(ending)).toEqual([['a', 'done']]);
  });

  test('the executed paths took every transition of the root and the branch machines', () => {
    const all = [...allTransitions(groupMachine), ...allTransitions(branchMachine)];
    expect(all.filter((key) => !taken.has(key))).toEqual([]);
  });
});
