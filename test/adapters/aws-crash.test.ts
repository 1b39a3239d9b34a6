/**
 * The crash test of the AWS half: a real bot (`faultline start`, its own process) runs a zone outage
 * against the EC2 and Auto Scaling stand-in, reached only through the SDK's environment variables, and
 * is SIGKILLed while the instances are stopped. The next start reverts before anything else: the
 * instances run again and the group's processes are resumed (only those Faultline suspended).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { TEST_CREDENTIALS, startAwsStandIn, type AwsStandInHandle } from '../fakes/aws/index.js';
import { spawnBot, waitUntil, type Bot } from '../integration/harness.js';
import { ACCOUNT } from './aws-support.js';

let aws: AwsStandInHandle;
let dir: string;
let health: Server;
let healthUrl: string;
const bots: Bot[] = [];

beforeAll(async () => {
  aws = await startAwsStandIn();
  dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-aws-crash-'));
  health = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorRate: 0 }));
  });
  healthUrl = `http://127.0.0.1:${await listenOn(health, 0, '127.0.0.1')}/health`;
});
afterEach(() => {
  for (const b of bots.splice(0)) if (b.child.exitCode === null) b.child.kill('SIGKILL');
});
afterAll(async () => {
  await closeServer(health);
  await aws.close();
  rmSync(dir, { recursive: true, force: true });
});

function configFile(): string {
  const playbooks = path.join(dir, 'playbooks');
  mkdirSync(playbooks, { recursive: true });
  writeFileSync(
    path.join(playbooks, 'web-zone-outage.yaml'),
    stringify({
      kind: 'Experiment',
      name: 'aws-web-zone-outage',
      title: 'eu-west-1a goes dark for web',
      hypothesis: 'If eu-west-1a goes dark, then the health endpoint stays healthy.',
      owner: 'team-web',
      target: { adapter: 'aws', selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' },
      fault: { type: 'zone-outage', duration: '2m' },
      guardrails: [{ name: 'error rate', signal: { source: 'http', url: healthUrl, path: 'errorRate' }, comparison: '>', threshold: 0.5, for: '5s' }],
    }),
  );
  const file = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    file,
    stringify({
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [playbooks] },
      sandbox: { autoStart: false },
      engine: { guardrailInterval: '500ms', signalTimeout: '1s' },
      adapters: { targets: { aws: { accounts: [ACCOUNT], region: 'eu-west-1', pollInterval: '50ms', waitTimeout: '20s' } } },
      log: { level: 'info' },
    }),
  );
  return file;
}

const awsEnv = (): Record<string, string> => ({
  AWS_ENDPOINT_URL: aws.standIn.url,
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: '',
  AWS_REGION: 'eu-west-1',
  AWS_PROFILE: '',
});

it('SIGKILL during a zone outage: the next start starts the instances and resumes the group before anything else', async () => {
  const w = aws.world;
  w.transitionMs = 100;
  const inA = [1, 2].map((n) => w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: `web-a${n}` } }));
  const others = ['eu-west-1b', 'eu-west-1c'].flatMap((zone) => [1, 2].map((n) => w.addInstance({ zone, tags: { app: 'web', Name: `web-${zone.slice(-1)}${n}` } })));
  const asg = w.addAsg({ name: 'web-asg', instanceIds: [...inA, ...others].map((i) => i.id) });
  asg.suspended.push('AZRebalance'); // someone else's: it must stay suspended
  const file = configFile();

  const bot = spawnBot(file, awsEnv());
  bots.push(bot);
  await waitUntil('the bot to be ready', () => bot.output().includes('ready'), 30_000);
  bot.type('/as alice');
  bot.type('/chaos propose aws-web-zone-outage');
  await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(bot.output()));
  const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output())![1]!;
  bot.type('/as bob');
  bot.type(`/chaos approve ${id}`);
  bot.type('/as alice');
  bot.type(`/chaos start ${id}`);
  await waitUntil('the zone to be stopped', () => inA.every((i) => w.instances.get(i.id)!.state === 'stopped'), 20_000);
  bot.child.kill('SIGKILL');
  await bot.exited;
  expect(asg.suspended.sort()).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
  expect(w.instances.get(inA[0]!.id)!.tags[AWS_TAGS.experiment]).toBe(id);

  const again = spawnBot(file, awsEnv());
  bots.push(again);
  // Reconcile at start-up comes before chat: by the time the console is ready, the zone is back.
  await waitUntil('the bot to be ready', () => again.output().includes('ready'), 30_000);
  expect(inA.map((i) => w.instances.get(i.id)!.state)).toEqual(['running', 'running']);
  expect(asg.suspended).toEqual(['AZRebalance']);
  for (const i of inA) expect(Object.keys(w.instances.get(i.id)!.tags).filter((k) => k.startsWith('faultline:'))).toEqual([]);
  expect(Object.keys(asg.tags).filter((k) => k.startsWith('faultline:'))).toEqual([]);
  for (const i of others) expect(w.changes.some((c) => c.ids.includes(i.id))).toBe(false);
});
