import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { defaultStopTimeoutMs } from '../machines/worker.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

interface Probe {
  httpGet: { path: string; port: string | number };
  periodSeconds: number;
  failureThreshold: number;
  timeoutSeconds: number;
}
interface Container {
  command: string[];
  ports: Array<{ name: string; containerPort: number }>;
  lifecycle: { preStop: { sleep: { seconds: number } } };
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
}
interface Deployment {
  kind: string;
  spec: {
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { terminationGracePeriodSeconds: number; containers: Container[] };
    };
  };
}

/** The program both examples run: its port and escalation exit status. */
const program = read('examples/production.ts');
const programPort = Number(/export const port = (\d+);/.exec(program)?.[1]);
const escalationExitCode = Number(/export const escalationExitCode = (\d+);/.exec(program)?.[1]);

/** The README's probes table: `| \`livenessProbe\` | \`/livez\` | 10 | 3 | 1 | … |`. */
function readmeProbe(kind: string) {
  const row = read('README.md').split('\n').find((line) => line.startsWith(`| \`${kind}\` |`));
  const cells = row?.split('|').map((cell) => cell.trim().replaceAll('`', '')) ?? [];
  return { path: cells[2], periodSeconds: Number(cells[3]), failureThreshold: Number(cells[4]), timeoutSeconds: Number(cells[5]) };
}

const deployment = parse(read('examples/kubernetes/deployment.yaml')) as Deployment;
const pod = deployment.spec.template;
const container = pod.spec.containers[0] as Container;

describe('examples/kubernetes', () => {
  test('is a Deployment whose probes port is the program\'s', () => {
    expect(deployment.kind).toBe('Deployment');
    expect(programPort).toBe(9464);
    expect(container.ports).toEqual([{ name: 'probes', containerPort: programPort }]);
  });

  test.each(['startupProbe', 'livenessProbe', 'readinessProbe'] as const)('%s: serveGroup\'s route, the README\'s period and thresholds', (kind) => {
    const probe = container[kind];
    expect(probe.httpGet.port).toBe('probes');
    expect({ path: probe.httpGet.path, periodSeconds: probe.periodSeconds, failureThreshold: probe.failureThreshold, timeoutSeconds: probe.timeoutSeconds })
      .toEqual(readmeProbe(kind));
  });

  test('liveness and startup at /livez, readiness at /readyz', () => {
    expect([container.startupProbe.httpGet.path, container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path])
      .toEqual(['/livez', '/livez', '/readyz']);
  });

  test('Prometheus scrapes /metrics on the probes port', () => {
    expect(pod.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(programPort), 'prometheus.io/path': '/metrics' });
  });

  test('the grace period covers the preStop delay and the default stop timeout', () => {
    const graceMs = pod.spec.terminationGracePeriodSeconds * 1000;
    expect(graceMs).toBeGreaterThan(container.lifecycle.preStop.sleep.seconds * 1000 + defaultStopTimeoutMs);
  });
});

describe('examples/systemd', () => {
  const unit = read('examples/systemd/workers.service');
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  for (const line of unit.split('\n')) {
    const section = /^\[(\w+)\]$/.exec(line);
    if (section?.[1] !== undefined) sections.set(section[1], (current = new Map<string, string>()));
    else if (/^\w+=/.test(line)) current.set(line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1));
  }
  const service = sections.get('Service') ?? new Map<string, string>();

  test('restarts on failure, and always on the escalation\'s exit status', () => {
    expect(service.get('Restart')).toBe('on-failure');
    expect(escalationExitCode).toBe(70);
    expect(service.get('RestartForceExitStatus')).toBe(String(escalationExitCode));
    expect(sections.get('Unit')?.get('StartLimitBurst')).toBe('5');
  });

  test('stops with SIGTERM and waits longer than the default stop timeout', () => {
    expect(service.get('KillSignal')).toBe('SIGTERM');
    expect(Number(service.get('TimeoutStopSec')) * 1000).toBeGreaterThan(defaultStopTimeoutMs);
  });

  test('runs the program the Deployment runs', () => {
    expect(service.get('ExecStart')).toBe('/usr/bin/node dist/main.js');
    expect(container.command).toEqual(['node', 'dist/main.js']);
  });
});
