import { spawnSync } from 'node:child_process';
import { Registry, Counter } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { groupMetrics, startGroup } from '../src/index.js';
import { escapeLabelValue } from '../src/metrics.js';
import { aborted } from './helpers.js';
import { eventLog, sample } from './serve-helpers.js';

const waitForever = ({ signal }: { signal: AbortSignal }) => aborted(signal);
const quiet = { installSignals: false, logger: false } as const;

/** Debian's prometheus package ships promtool; .ci/run installs it. */
const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool) console.warn('promtool not found: the promtool checks are skipped (apt-get install prometheus)');

function promtoolCheck(text: string) {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// '__proto__' and '#_parent' belong here too once the group stops using names as actor ids (issue #11).
const hostile = ['back\\slash', 'quote"d', 'new\nline', '{worker="x"} 1', 'ünï 🔥', ' ', 'a\\"\n'];

describe('groupMetrics', () => {
  test('label values escape backslash, double quote and newline', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain ünï')).toBe('plain ünï');
  });

  test('hostile worker names each get their own escaped series', async () => {
    const group = startGroup(hostile.map((name) => ({ name, work: waitForever })), quiet);
    const text = groupMetrics(group);
    for (const name of hostile) {
      expect(sample(text, `xstate_supervisor_crashes_total{worker="${escapeLabelValue(name)}"}`)).toBe(0);
    }
    expect(sample(text, 'xstate_supervisor_worker_state{worker="new\\nline",state="running"}')).toBe(1);
    // Seven states per worker, one of them 1.
    expect(text.split('\n').filter((line) => line.startsWith('xstate_supervisor_worker_state{'))).toHaveLength(7 * hostile.length);
    await group.stop();
  });

  test('HELP and TYPE for each family, a trailing newline', async () => {
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const text = groupMetrics(group);
    for (const family of ['starts_total', 'crashes_total', 'hangs_total']) {
      expect(text).toContain(`# TYPE xstate_supervisor_${family} counter\n`);
      expect(text).toContain(`# HELP xstate_supervisor_${family} `);
    }
    expect(text).toContain('# TYPE xstate_supervisor_worker_state gauge\n');
    expect(text.endsWith('} 0\n')).toBe(true);
    await group.stop();
  });

  test('is a TypeError for anything but a startGroup handle', () => {
    expect(() => groupMetrics({ status: () => [] } as never)).toThrow(TypeError);
  });

  test.runIf(promtool)('promtool check metrics accepts real output: hostile names, crashes, an empty group', async () => {
    const log = eventLog();
    const group = startGroup(
      [...hostile.map((name) => ({ name, work: waitForever })), { name: 'flaky', work: () => { throw new Error('x'); }, backoff: { initialMs: 600_000, maxMs: 600_000 } }],
      { ...quiet, onEvent: log.onEvent },
    );
    await log.until((event) => event.type === 'worker.crashed');
    const text = groupMetrics(group);
    expect(sample(text, 'xstate_supervisor_crashes_total{worker="flaky"}')).toBe(1);
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
    await group.stop();

    const empty = startGroup([], quiet);
    expect(promtoolCheck(groupMetrics(empty))).toEqual({ status: 0, output: '' });
  });

  test.runIf(promtool)('promtool rejects broken text (the check can fail)', () => {
    expect(promtoolCheck('# TYPE x counter\nx{worker="a} 1\n').status).not.toBe(0);
  });

  test.runIf(promtool)('appended to prom-client registry output, as the README shows, it stays valid', async () => {
    const register = new Registry();
    new Counter({ name: 'app_jobs_total', help: 'Jobs done.', registers: [register] }).inc();
    const group = startGroup([{ name: 'a', work: waitForever }], quiet);
    const text = (await register.metrics()) + groupMetrics(group);
    expect(text).toContain('app_jobs_total 1\n');
    expect(promtoolCheck(text)).toEqual({ status: 0, output: '' });
    expect(register.contentType).toContain('version=0.0.4');
    await group.stop();
  });
});
