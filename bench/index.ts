// `npm run bench -- SCENARIO ARGS…` prints one JSON line per implementation, each measured
// in a fresh `node --expose-gc` process running the tsc build of the bench (bench/compiled.ts). `npm run bench -- --table` runs the standard set
// and prints a summary with ratios to the baseline. `--impl NAME` (repeatable) narrows
// the implementations. The Python reference is added where it speaks the scenario.
// `--table --only restart-storm,pending-timers` runs part of the table (the other cells
// show –); the table ends with add-remove 10k (this package and the baseline only).
// `--repeat K` (an integer ≥ 1) measures in K interleaved rounds — round i runs every
// implementation once, in order, so drift of the machine hits them alike — and prints each
// row with `"round": i`. Per implementation the row kept is that of its median round by the
// scenario's CPU figure (cpu_us_per_worker in spawn-stop, cpu_ms_per_s in idle,
// cpu_us_per_restart elsewhere; for even K the lower median), and the ratio to xstate-bare
// is the median of the per-round ratios (round i ÷ round i), shown with their range. A single
// scenario runs once by default and with K > 1 ends with a summary of the medians; the table
// runs spawn-stop 10k and restart-storm 100×1000 (the scenarios of the ÷ xstate-bare goals)
// in 3 rounds by default, or K, and everything else once. Other modes ignore --repeat.
// `npm run bench -- --plot FILE [--points 1000,5000,20000]` writes an SVG of CPU
// per restart against N (restart-storm N 2) for the package, xstate-bare, the baseline, and
// the package on XState's stock scheduler (up to 5k workers: beyond, it takes minutes).
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { impls, optionalImpls } from './impls.js';
import { isolatedScenarios, runIsolated } from './isolated.js';
import { plotSvg } from './plot.js';
import { runAddRemove } from './add-remove.js';
import { compiled } from './compiled.js';

type Row = Record<string, unknown> & { impl: string; scenario: string };

const runner = fileURLToPath(new URL('./run.ts', import.meta.url));
const compiledRunner = (): string => compiled(runner);
const peer = fileURLToPath(new URL('../../shared/peer/bench_peer.py', import.meta.url));

function run(impl: string, scenario: string, args: string[]): Row {
  const child = spawnSync(process.execPath, ['--expose-gc', compiledRunner(), impl, scenario, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`${impl} ${scenario} ${args.join(' ')} failed:\n${child.stderr}`);
  }
  return JSON.parse(line) as Row;
}

function runPeer(scenario: string, args: string[]): Row | undefined {
  if (!existsSync(peer) || !['spawn-stop', 'restart-storm'].includes(scenario)) return undefined;
  const child = spawnSync('python3', [peer, scenario, ...args], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../shared/peer/', import.meta.url)) });
  const line = child.stdout?.trim().split('\n').at(-1) ?? '';
  return child.status === 0 && line.startsWith('{') ? (JSON.parse(line) as Row) : undefined;
}

/** The CPU figure a scenario is compared by: the median round's row is the one with its median. */
const metricOf = (scenario: string): string =>
  scenario === 'spawn-stop' ? 'cpu_us_per_worker' : scenario === 'idle' ? 'cpu_ms_per_s' : 'cpu_us_per_restart';

/** The lower median (for an even count, the smaller of the middle two) and the range. */
function median(values: number[]): { median: number; min: number; max: number } {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return { median: sorted[(sorted.length - 1) >> 1] ?? NaN, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN };
}

/** One scenario measured in `repeat` interleaved rounds (every implementation once per round). */
class Measured {
  constructor(
    readonly metric: string,
    readonly rounds: Row[][],
  ) {}

  /** The whole row of the implementation's median round, by the scenario's metric. */
  row(impl: string): Row | undefined {
    const rows = this.rounds.flatMap((round) => round.filter((row) => row.impl === impl));
    const { median: value } = median(rows.map((row) => Number(row[this.metric])));
    return rows.find((row) => Number(row[this.metric]) === value) ?? rows[0];
  }

  /** The per-round ratios impl ÷ base (round i with round i): their median and range. */
  ratio(impl: string, base: string): { median: number; min: number; max: number } {
    const value = (round: Row[], name: string) => Number(round.find((row) => row.impl === name)?.[this.metric] ?? NaN);
    return median(this.rounds.map((round) => value(round, impl) / value(round, base)).filter((r) => r > 0 && r < Infinity));
  }
}

/** `1.21×`, or after more than one round the median of the paired ratios and their range: `1.21× (1.10–1.35)`. */
function pairedRatio(measured: Measured, impl: string, base = 'xstate-bare'): string {
  const { median: ratio, min, max } = measured.ratio(impl, base);
  if (!Number.isFinite(ratio)) return '–';
  return measured.rounds.length > 1 ? `${ratio.toFixed(2)}× (${min.toFixed(2)}–${max.toFixed(2)})` : `${ratio.toFixed(2)}×`;
}

function measure(scenario: string, args: string[], names: string[], withPeer: boolean, repeat = 1): Measured {
  const rounds: Row[][] = [];
  for (let i = 1; i <= repeat && (only === undefined || only.has(scenario)); i++) {
    const rows: Row[] = [];
    const take = (row: Row | undefined) => {
      if (row === undefined) return;
      console.log(JSON.stringify(repeat > 1 ? { ...row, round: i } : row));
      rows.push(row);
    };
    for (const name of names) take(run(name, scenario, args));
    if (withPeer) take(runPeer(scenario, args));
    rounds.push(rows);
  }
  return new Measured(metricOf(scenario), rounds);
}

const argv = process.argv.slice(2);
const chosen: string[] = [];
const positional: string[] = [];
let only: Set<string> | undefined;
let plotFile: string | undefined;
let plotPoints = [1000, 2000, 5000, 10_000, 20_000];
let repeat: number | undefined;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--impl') chosen.push(argv[++i] ?? '');
  else if (argv[i] === '--only') only = new Set((argv[++i] ?? '').split(','));
  else if (argv[i] === '--plot') plotFile = argv[++i] ?? '';
  else if (argv[i] === '--points') plotPoints = (argv[++i] ?? '').split(',').map(Number);
  else if (argv[i] === '--repeat') {
    const value = argv[++i];
    if (value === undefined || !/^[1-9]\d*$/.test(value)) {
      console.error(`--repeat takes an integer ≥ 1, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
      process.exit(2);
    }
    repeat = Number(value);
  }
  else if (argv[i] !== '--table') positional.push(argv[i] ?? '');
}
const names = chosen.length > 0 ? chosen : Object.keys(impls).filter((name) => !optionalImpls.has(name));
for (const name of names) if (!(name in impls)) throw new Error(`unknown implementation ${name}`);

if (isolatedScenarios.includes(positional[0] ?? '')) {
  await runIsolated(positional[0] ?? '', positional.slice(1));
} else if (positional[0] === 'add-remove') {
  runAddRemove(positional.slice(1));
}
// Heartbeats compare two variants of this package, not the implementations: bench/heartbeat.ts.
else if (positional[0] === 'heartbeat') await import('./heartbeat.js');
else if (plotFile !== undefined) {
  const stockUpTo = 5000;
  const plotted = ['xstate-supervisor', 'xstate-supervisor-stock-scheduler', 'xstate-bare', 'baseline'];
  const series = plotted.map((impl) => ({
    name: impl === 'xstate-supervisor-stock-scheduler' ? 'xstate-supervisor, stock scheduler' : impl,
    points: plotPoints
      .filter((n) => impl !== 'xstate-supervisor-stock-scheduler' || n <= stockUpTo)
      .map((n) => {
        const row = run(impl, 'restart-storm', [String(n), '2']);
        console.log(JSON.stringify(row));
        return [n, Number(row.cpu_us_per_restart)] as const;
      }),
  }));
  writeFileSync(
    plotFile,
    plotSvg(series, {
      title: 'CPU per restart in a crash storm of N workers (restart-storm N 2)',
      x: 'workers in the group (N), log scale',
      y: 'CPU per restart (µs), log scale',
      note: `node ${process.version}, one run per point; the stock scheduler is measured up to ${stockUpTo / 1000}k workers`,
    }),
  );
  console.log(`wrote ${plotFile}`);
} else if (!argv.includes('--table')) {
  const [scenario = 'spawn-stop', ...args] = positional;
  const measured = measure(scenario, args, names, chosen.length === 0, repeat);
  if (measured.rounds.length > 1) {
    const withBare = names.includes('xstate-bare');
    console.log(
      `\nmedian of ${measured.rounds.length} interleaved rounds, ${measured.metric}` +
        `${withBare ? '; ÷ xstate-bare: median of the per-round ratios (range)' : ''}:`,
    );
    for (const impl of measured.rounds[0]?.map((row) => row.impl) ?? []) {
      const value = Number(measured.row(impl)?.[measured.metric]).toFixed(1);
      const paired = withBare ? `  ${pairedRatio(measured, impl)}` : '';
      console.log(`  ${impl.padEnd(34)} ${value.padStart(9)}${paired}`);
    }
  }
} else {
  const number = (row: Row | undefined, key: string): number => Number(row?.[key] ?? NaN);
  const by = (measured: Measured, impl: string) => measured.row(impl);
  const ratio = (value: number, base: number) => (Number.isFinite(value) && base > 0 ? `${(value / base).toFixed(1)}×` : '–');
  const ratio2 = (value: number, base: number) => (Number.isFinite(value) && base > 0 ? `${(value / base).toFixed(2)}×` : '–');
  const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
  // The two scenarios the goals are set on run in interleaved rounds (--repeat, 3 by default).
  const rounds = repeat ?? 3;

  // The table also shows xstate-bare as it was measured before (the work called in a
  // microtask), beside the floor the goals are set against; `--impl` narrows it as usual.
  if (chosen.length === 0) names.splice(names.indexOf('xstate-bare') + 1, 0, 'xstate-bare-deferred');
  const spawn10k = measure('spawn-stop', ['10000'], names, true, rounds);
  const spawn100k = measure('spawn-stop', ['100000'], names, false);
  const storm = measure('restart-storm', ['100', '1000'], names, true, rounds);
  // The same crash loop in a large group: every worker in backoff holds a pending timer.
  const wideStorm = measure('restart-storm', ['20000', '2'], names, false);
  // 100 workers crash-looping among N that each hold a pending `resetAfterMs` timer.
  const pending100 = measure('pending-timers', ['100', '100', '100'], names, false);
  const pending10k = measure('pending-timers', ['10000', '100', '100'], names, false);
  const idling = measure('idle', ['10000'], names, false);
  // Effect sleeps through setTimeout even for a zero delay (≥ 1 ms in Node):
  // a million restarts would take over 16 minutes. It soaks with `--impl effect`.
  const soaking = measure('soak', ['1000000'], names.filter((name) => name !== 'effect'), false);

  const base = 'baseline';
  const lines = [
    '| implementation | spawn-stop 10k: CPU/worker | ÷ baseline | ÷ xstate-bare | heap/worker | start / stop | 100k ÷ 10k CPU | restart-storm 100×1000: CPU/restart | ÷ baseline | ÷ xstate-bare | restart-storm 20k×2: CPU/restart | ÷ xstate-bare | pending timers, 100 crashing among 100 / 10k: CPU/restart | 10k ÷ 100 | idle 10k: timers, CPU ms/s | soak 1M: heap growth |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const impl of [...names, 'python-seed']) {
    const s10 = by(spawn10k, impl);
    const s100 = by(spawn100k, impl);
    const st = by(storm, impl);
    const wide = by(wideStorm, impl);
    const p100 = number(by(pending100, impl), 'cpu_us_per_restart');
    const p10k = number(by(pending10k, impl), 'cpu_us_per_restart');
    const id = by(idling, impl);
    const so = by(soaking, impl);
    if (!s10 && !st && !wide && !Number.isFinite(p100)) continue;
    lines.push(
      `| ${impl} | ${fmt(number(s10, 'cpu_us_per_worker'), 1)} µs | ${ratio(number(s10, 'cpu_us_per_worker'), number(by(spawn10k, base), 'cpu_us_per_worker'))} | ` +
        `${pairedRatio(spawn10k, impl)} | ` +
        `${fmt(number(s10, 'heap_per_worker_bytes') || number(s10, 'rss_per_worker_bytes'))} B | ${fmt(number(s10, 'start_ms'))} / ${fmt(number(s10, 'stop_ms'))} ms | ` +
        `${ratio2(number(s100, 'cpu_ms_total'), number(s10, 'cpu_ms_total'))} | ${fmt(number(st, 'cpu_us_per_restart'), 1)} µs | ` +
        `${ratio(number(st, 'cpu_us_per_restart'), number(by(storm, base), 'cpu_us_per_restart'))} | ` +
        `${pairedRatio(storm, impl)} | ${fmt(number(wide, 'cpu_us_per_restart'), 1)} µs | ` +
        `${ratio2(number(wide, 'cpu_us_per_restart'), number(by(wideStorm, 'xstate-bare'), 'cpu_us_per_restart'))} | ${fmt(p100, 1)} / ${fmt(p10k, 1)} µs | ${ratio2(p10k, p100)} | ` +
        `${id ? `${fmt(number(id, 'timers'))}, ${fmt(number(id, 'cpu_ms_per_s'), 2)}` : '–'} | ${so ? `${fmt(number(so, 'heap_growth_bytes'))} B` : '–'} |`,
    );
  }
  console.log(`\n${lines.join('\n')}`);
  console.log('\npython-seed heap column: RSS per worker (its benchmark reports RSS, not heap).');
  if (rounds > 1) {
    console.log(
      `spawn-stop 10k and restart-storm 100×1000: each implementation's row is its median round of ${rounds} (interleaved, by CPU); ` +
        '÷ xstate-bare is the median of the per-round ratios, with their range.',
    );
  }
  // A dynamic group: only this package and the baseline speak it (bench/add-remove.ts).
  if (only === undefined || only.has('add-remove')) {
    const dynamic = runAddRemove(['10000']);
    const baseRow = (dynamic as Row[]).find((row) => row.impl === base);
    const baseAdd = number(baseRow, 'cpu_us_per_add');
    const baseRemove = number(baseRow, 'cpu_us_per_remove');
    const added = [
      '| implementation | add-remove 10k: CPU/add | ratio | CPU/remove | ratio | heap/worker | heap left after removing all |',
      '|---|---|---|---|---|---|---|',
      ...(dynamic as Row[]).map(
        (row) =>
          `| ${row.impl} | ${fmt(number(row, 'cpu_us_per_add'), 1)} µs | ${ratio(number(row, 'cpu_us_per_add'), baseAdd)} | ` +
          `${fmt(number(row, 'cpu_us_per_remove'), 1)} µs | ${ratio(number(row, 'cpu_us_per_remove'), baseRemove)} | ` +
          `${fmt(number(row, 'heap_per_worker_bytes'))} B | ${fmt(number(row, 'heap_after_bytes'))} B |`,
      ),
    ];
    console.log(`\n${added.join('\n')}`);
  }
}
