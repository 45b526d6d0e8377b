// `npm run bench -- heartbeat [N] [SECONDS]`: N workers (default 10,000), each looping on a
// 10 ms timer; once with a heartbeat() per turn and `heartbeatTimeoutMs` (the watchdog
// armed), once without either. Each variant runs in a fresh `node --expose-gc` process.
// Prints one JSON line per variant, then the comparison: the CPU each heartbeat added,
// the share of the process's CPU that heartbeating took, and a tight loop of heartbeat()
// calls (the call itself, without the event loop around it).
import { spawnSync } from 'node:child_process';
import { compiled } from './compiled.js';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startGroup, type WorkContext, type WorkerSpec } from '../src/index.js';

type Variant = 'with' | 'without';

async function measure(variant: Variant, n: number, seconds: number): Promise<Record<string, number | string>> {
  let heartbeats = 0;
  let started = 0;
  let first: WorkContext | undefined;
  const specs: WorkerSpec[] = Array.from({ length: n }, (_, index) => ({
    name: `w${index}`,
    ...(variant === 'with' ? { heartbeatTimeoutMs: 1000 } : {}),
    work: async (context: WorkContext) => {
      first ??= context;
      started += 1;
      while (!context.signal.aborted) {
        await delay(10, undefined, { signal: context.signal }).catch(() => undefined);
        if (variant === 'with') {
          context.heartbeat();
          heartbeats += 1;
        }
      }
    },
  }));
  const group = startGroup(specs, { logger: false, installSignals: false });
  while (started < n) await delay(50);
  await delay(1000); // start-up garbage settles
  gc?.();
  const beats = heartbeats;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await delay(seconds * 1000);
  const cpu = process.cpuUsage(cpuStart);
  const wall = performance.now() - wallStart;
  const counted = heartbeats - beats;
  const hung = group.status().filter((status) => status.state !== 'running').length;
  await group.stop();

  // The call alone: ten million heartbeat() calls on a live attempt's context.
  let callNs = 0;
  if (variant === 'with' && first !== undefined) {
    const context = first;
    const calls = 10_000_000;
    const start = process.cpuUsage();
    for (let i = 0; i < calls; i++) context.heartbeat();
    const used = process.cpuUsage(start);
    callNs = ((used.user + used.system) * 1000) / calls;
  }
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    scenario: 'heartbeat',
    variant,
    n,
    seconds,
    cpu_ms: Math.round(cpuMs),
    cpu_share: +(cpuMs / wall).toFixed(3),
    heartbeats_per_s: Math.round((counted / wall) * 1000),
    not_running: hung,
    ...(variant === 'with' ? { heartbeat_call_ns: +callNs.toFixed(1) } : {}),
  };
}

declare const gc: (() => void) | undefined;

// As `run.ts MODE N SECONDS` in a child, or through bench/index.ts as `heartbeat N SECONDS`.
const argv = process.argv.slice(2).filter((arg) => arg !== 'heartbeat');
const [mode, nArg, secondsArg] = argv;
if (mode === 'with' || mode === 'without') {
  console.log(JSON.stringify({ ...(await measure(mode, Number(nArg), Number(secondsArg))), node: process.version }));
} else {
  // Run from bench/index.ts: `heartbeat [N] [SECONDS]`.
  const n = Number(mode ?? 10_000) || 10_000;
  const seconds = Number(nArg ?? 3) || 3;
  const self = fileURLToPath(import.meta.url);
  const rows = (['without', 'with'] as const).map((variant) => {
    const child = spawnSync(process.execPath, ['--expose-gc', compiled(self), variant, String(n), String(seconds)], {
      encoding: 'utf8',
    });
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) throw new Error(`heartbeat ${variant} failed:\n${child.stderr}`);
    console.log(line);
    return JSON.parse(line) as Record<string, number>;
  });
  const [without, withBeats] = rows as [Record<string, number>, Record<string, number>];
  const perSecond = (row: Record<string, number>) => (row.cpu_ms ?? 0) / (row.seconds ?? 1);
  const added = perSecond(withBeats) - perSecond(without);
  const beats = withBeats.heartbeats_per_s ?? 0;
  console.log(
    JSON.stringify({
      scenario: 'heartbeat',
      n,
      cpu_us_per_heartbeat: beats > 0 ? +((added * 1000) / beats).toFixed(3) : null,
      heartbeat_cpu_share: +(added / perSecond(withBeats)).toFixed(3),
      heartbeat_call_ns: withBeats.heartbeat_call_ns,
    }),
  );
}
