// The program examples/kubernetes/deployment.yaml and examples/systemd/ run: a group that
// escalates, probes and metrics on port 9464, JSON logs through pino.
// In your project it imports from 'xstate-supervisor' and is built to dist/main.js, which both run.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { serveGroup, startGroup, type GroupFailure, type Work } from '../src/index.js';

/** The exit status of an escalation: systemd's RestartForceExitStatus names it. EX_SOFTWARE. */
export const escalationExitCode = 70;
/** Probes and metrics; the Deployment's containerPort and scrape annotation. */
export const port = 9464;

const consume: Work = async ({ signal }) => {
  while (!signal.aborted) await sleep(1000, undefined, { signal }).catch(() => undefined);
};

const logger = pino();
// The longest stopTimeoutMs (here the default, 10 s) must stay under terminationGracePeriodSeconds / TimeoutStopSec.
const group = startGroup([{ name: 'consumer', work: consume }], { logger, onGiveUp: 'escalate' });
// 0.0.0.0: the kubelet probes the pod's IP, not its loopback.
const server = await serveGroup(group, { host: '0.0.0.0', port });
logger.info({ url: server.url }, 'serving probes and metrics');
try {
  await group.done;
} catch (error) {
  logger.error({ err: error, report: (error as GroupFailure).report }, 'the group escalated');
  process.exitCode = escalationExitCode;
}
