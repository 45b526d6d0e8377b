// Reproduction for bench/upstream/cancel-all-scan.md: every actor stop calls
// `system.scheduler.cancelAll(actor)`, which in xstate 5 scans every delayed event of the
// whole system. One system holds N sleeping actors, each with one pending delayed event;
// a short-lived child (no timers of its own) is spawned and stopped M times. CPU per stop,
// with XState's scheduler and with the indexed one (the algorithm of the proposed patch,
// installed through this package's installIndexedScheduler), each in a fresh process.
//
//   node --import tsx bench/upstream/cancel-all-scan.ts [M]      (default 2000 stops)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createActor, fromCallback, setup, spawnChild, stopChild } from 'xstate';
import { installIndexedScheduler } from '../../machines/scheduler.js';

function measure(n: number, m: number, indexed: boolean): Record<string, unknown> {
  const sleeper = setup({}).createMachine({ initial: 'asleep', states: { asleep: { after: { 3_600_000: 'awake' } }, awake: {} } });
  const blip = fromCallback(() => undefined);
  // The sleepers live under one actor and the short-lived child under another, so that
  // spawning it copies no large children object: only the scheduler sees all N.
  const holder = setup({ actors: { sleeper } }).createMachine({
    context: ({ spawn }) => ({ sleepers: Array.from({ length: n }, (_, i) => spawn('sleeper', { id: `s${i}` })) }),
  });
  const cycler = setup({ actors: { blip } }).createMachine({
    on: {
      SPAWN: { actions: spawnChild('blip', { id: 'blip' }) },
      STOP: { actions: stopChild('blip') },
    },
  });
  const root = setup({ actors: { holder, cycler } }).createMachine({
    invoke: [
      { src: 'holder', id: 'holder' },
      { src: 'cycler', id: 'cycler', systemId: 'cycler' },
    ],
  });
  const actor = createActor(root);
  if (indexed && !installIndexedScheduler(actor)) throw new Error('the indexed scheduler could not be installed');
  actor.start();
  const target = actor.system.get('cycler') as { send(event: { type: string }): void };
  const pending = Object.keys(actor.system.getSnapshot()._scheduledEvents).length;
  for (let i = 0; i < Math.min(m, 200); i++) {
    target.send({ type: 'SPAWN' }); // warm-up
    target.send({ type: 'STOP' });
  }
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < m; i++) {
    target.send({ type: 'SPAWN' });
    target.send({ type: 'STOP' });
  }
  const cpu = process.cpuUsage(cpu0);
  actor.stop();
  return { scheduler: indexed ? 'indexed' : 'xstate', pending_delayed_events: pending, stops: m, cpu_us_per_spawn_and_stop: Math.round(((cpu.user + cpu.system) / m) * 10) / 10 };
}

const [mode, n, m, indexed] = process.argv.slice(2);
if (mode === '--measure') {
  console.log(JSON.stringify(measure(Number(n), Number(m), indexed === 'indexed')));
} else {
  const stops = Number(mode ?? 2000);
  const self = fileURLToPath(import.meta.url);
  for (const size of [100, 10_000]) {
    for (const scheduler of ['xstate', 'indexed']) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--measure', String(size), String(stops), scheduler], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(run.stderr);
      console.log(run.stdout.trim());
    }
  }
}
