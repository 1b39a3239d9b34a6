import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerCloudWatch, type CloudWatchStandIn } from '../fakes/aws/cloudwatch-service.js';
import { startAwsStandIn, TEST_CREDENTIALS, type AwsStandInHandle } from '../fakes/aws/index.js';
import { spawnBot, waitUntil, type Bot } from './harness.js';

/**
 * Crash mid-fault on AWS, end to end: a real bot takes zone eu-west-1a out (instances stopped, the
 * Auto Scaling group told not to heal it away) against the AWS stand-in, reached only through the
 * SDK's standard environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_REGION). It is SIGKILLed with
 * the fault in; the next start finds the fault from AWS's tags, starts the instances and resumes only
 * the processes it had suspended.
 */

let aws: AwsStandInHandle;
let cloudwatch: CloudWatchStandIn;
let dir: string;
const bots: Bot[] = [];
const ZONE_A = ['i-0a0000000000000a1', 'i-0a0000000000000a2', 'i-0a0000000000000a3'];

function botConfig(): string {
  const home = mkdtempSync(path.join(dir, 'bot-'));
  const playbooks = path.join(home, 'playbooks');
  mkdirSync(playbooks);
  writeFileSync(
    path.join(playbooks, 'web-zone-outage.yaml'),
    stringify({
      kind: 'Experiment',
      name: 'aws-web-zone-outage',
      title: 'web loses eu-west-1a',
      hypothesis: 'If eu-west-1a is lost, then the web tier keeps answering from the other zones.',
      owner: 'team-web',
      target: { adapter: 'aws', selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' },
      fault: { type: 'zone-outage', duration: '1m' },
      guardrails: [{ name: 'web 5xx alarm', signal: { source: 'cloudwatch', alarm: 'web-5xx' }, comparison: '>=', threshold: 1 }],
    }),
  );
  const file = path.join(home, 'faultline.config.yaml');
  writeFileSync(
    file,
    stringify({
      store: { path: path.join(home, 'faultline.db') },
      postmortems: { dir: path.join(home, 'postmortems') },
      playbooks: { dirs: [playbooks] },
      sandbox: { autoStart: false },
      caps: { maxPercent: 100 },
      engine: { guardrailInterval: '500ms', signalTimeout: '2s' },
      adapters: { targets: { aws: { region: 'eu-west-1', accounts: ['123456789012'], pollInterval: '100ms', waitTimeout: '20s' } } },
      log: { level: 'info' },
    }),
  );
  return file;
}

/** The SDK's own environment: nothing in the config says where AWS is or who we are. */
const awsEnv = () => ({
  AWS_ENDPOINT_URL: aws.standIn.url,
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PROFILE: '',
});

const state = (id: string) => aws.world.instances.get(id)!.state;
const faultlineTags = (tags: Record<string, string>) => Object.keys(tags).filter((k) => k.startsWith('faultline:'));

beforeAll(async () => {
  aws = await startAwsStandIn();
  cloudwatch = registerCloudWatch(aws.standIn, { alarms: [{ name: 'web-5xx', state: 'OK' }], series: [] });
  aws.world.transitionMs = 50;
  for (const id of ZONE_A) aws.world.addInstance({ id, zone: 'eu-west-1a', tags: { app: 'web', Name: `web-${id.slice(-2)}` } });
  for (const n of [1, 2]) aws.world.addInstance({ id: `i-0b0000000000000b${n}`, zone: 'eu-west-1b', tags: { app: 'web', Name: `web-b${n}` } });
  aws.world.addInstance({ id: 'i-0c0000000000000c1', zone: 'eu-west-1a', tags: { app: 'db', Name: 'db-1' } });
  aws.world.addAsg({ name: 'web-asg', instanceIds: [...ZONE_A, 'i-0b0000000000000b1', 'i-0b0000000000000b2'] });
  // Someone paused AZRebalance by hand before: a revert must leave that one suspended.
  aws.world.asgs.get('web-asg')!.suspended.push('AZRebalance');
  dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-aws-crash-'));
});

afterEach(() => {
  for (const b of bots.splice(0)) if (b.child.exitCode === null) b.child.kill('SIGKILL');
});

afterAll(async () => {
  await aws?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGKILL during a zone outage (real bot process, AWS through the SDK)', () => {
  it('the next start starts the instances, resumes only what it suspended and removes its tags', async () => {
    const config = botConfig();
    const first = spawnBot(config, awsEnv());
    bots.push(first);
    await waitUntil('the bot to be ready', () => first.output().includes('ready'), 30_000);
    first.type('/as alice');
    first.type('/chaos propose aws-web-zone-outage');
    await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(first.output()), 20_000);
    const id = /Proposed (exp-[0-9a-f]+)/.exec(first.output())![1]!;
    // The card lists exactly the instances that would be hit, with their Name tags.
    for (const name of ['web-a1', 'web-a2', 'web-a3']) expect(first.output()).toContain(name);
    expect(first.output()).not.toContain('db-1');
    first.type('/as bob');
    first.type(`/chaos approve ${id}`);
    first.type('/as alice');
    first.type(`/chaos start ${id}`);
    await waitUntil('zone a stopped', () => ZONE_A.every((i) => state(i) === 'stopped'), 20_000);
    const asg = aws.world.asgs.get('web-asg')!;
    expect([...asg.suspended].sort()).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    first.child.kill('SIGKILL');
    await first.exited;

    // Nobody is left to revert: the fault stays in, marked on the instances themselves.
    expect(ZONE_A.map(state)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(aws.world.instances.get(ZONE_A[0]!)!.tags['faultline:experiment']).toBe(id);
    expect(state('i-0b0000000000000b1')).toBe('running');
    expect(state('i-0c0000000000000c1')).toBe('running');

    const second = spawnBot(config, awsEnv());
    bots.push(second);
    await waitUntil('the instances to run again', () => ZONE_A.every((i) => state(i) === 'running'), 30_000);
    await waitUntil('the group to heal again', () => !asg.suspended.includes('Launch') && !asg.suspended.includes('ReplaceUnhealthy'), 20_000);
    // Resumed only what the fault had suspended; the hand-made pause stays.
    expect(asg.suspended).toEqual(['AZRebalance']);
    await waitUntil('the tags to be gone', () => ZONE_A.every((i) => faultlineTags(aws.world.instances.get(i)!.tags).length === 0) && faultlineTags(asg.tags).length === 0, 20_000);
    await waitUntil('the bot to be ready', () => second.output().includes('ready'), 30_000);
    second.type(`/chaos status ${id}`);
    await waitUntil('the status', () => /aborted/.test(second.output()), 20_000);
    expect(second.output()).toMatch(/recovered after restart/);
    expect(cloudwatch.received.length).toBeGreaterThan(0);
  });
});
