/**
 * How the aws adapter meets the world: the IAM policy in deploy/ grants exactly the calls it makes,
 * the SDK's endpoint variables are honoured with nothing in code, and a bot that never uses AWS
 * never loads the SDK.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAwsDriver } from '../../src/adapters/targets/aws/driver.js';
import { AwsTargetConfig } from '../../src/adapters/targets/aws/schema.js';
import { TEST_CREDENTIALS } from '../fakes/aws/index.js';
import { ACCOUNT, awsBench, fault, injectContext, target, type AwsBench } from './aws-support.js';

let b: AwsBench;
beforeEach(async () => {
  b = await awsBench();
});
afterEach(async () => {
  await b.close();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** FIS speaks REST: its calls as IAM names them. */
function fisAction(call: string): string {
  const [method, path] = call.split(' ') as [string, string];
  const routes: Array<[string, RegExp, string]> = [
    ['GET', /^\/experimentTemplates$/, 'ListExperimentTemplates'],
    ['GET', /^\/experimentTemplates\/[^/]+$/, 'GetExperimentTemplate'],
    ['POST', /^\/experimentTemplates$/, 'CreateExperimentTemplate'],
    ['DELETE', /^\/experimentTemplates\/[^/]+$/, 'DeleteExperimentTemplate'],
    ['GET', /^\/experiments$/, 'ListExperiments'],
    ['POST', /^\/experiments$/, 'StartExperiment'],
    ['GET', /^\/experiments\/[^/]+$/, 'GetExperiment'],
    ['DELETE', /^\/experiments\/[^/]+$/, 'StopExperiment'],
    ['POST', /^\/tags\//, 'TagResource'],
    ['GET', /^\/tags\//, 'ListTagsForResource'],
    ['DELETE', /^\/tags\//, 'UntagResource'],
  ];
  const hit = routes.find(([m, re]) => m === method && re.test(path));
  return hit ? `fis:${hit[2]}` : `fis:unknown ${call}`;
}

interface Statement {
  Action: string | string[];
}

describe('deploy/aws-iam-policy.json', () => {
  it('grants exactly the actions a whole cycle calls (preview, all four faults, revert, listOwned, read-back)', async () => {
    const w = b.aws.world;
    const a = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'api' } });
    w.addAsg({ name: 'web-asg', instanceIds: [a.id] });
    const d = b.driver();
    for (const [type, handleId] of [
      ['ec2-stop', 'h-1'],
      ['zone-outage', 'h-2'],
    ] as const) {
      const t = target({ selector: { app: type === 'ec2-stop' ? 'api' : 'web' }, zone: 'eu-west-1a' });
      const f = fault({ type });
      const targets = await d.preview(t, { log: quiet });
      await d.impact!(f, targets, { log: quiet });
      await d.inject(f, targets, injectContext(b.log, { handleId }));
    }
    // The FIS family: an existing template by its tags, and a one-off template over subnets found by tag.
    b.aws.fis.addTemplate({ description: 'cpu stress', tags: { playbook: 'cpu' }, runMs: 60_000 });
    w.addSubnet({ zone: 'eu-west-1a', tags: { tier: 'app' } });
    const fisRuns = [
      [{ template: { tags: { playbook: 'cpu' } } }, { type: 'fis-experiment' }, 'h-3'],
      [
        { fisTargets: { subnets: { resourceType: 'aws:ec2:subnet', resourceTags: { tier: 'app' }, selectionMode: 'ALL' } } },
        {
          type: 'fis-action',
          parameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/faultline-fis`, actions: { cut: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: 'PT2M' }, targets: { Subnets: 'subnets' } } } },
        },
        'h-4',
      ],
    ] as const;
    for (const [t, f, handleId] of fisRuns) {
      const targets = await d.preview(target(t), { log: quiet });
      await d.impact!(fault(f), targets, { log: quiet });
      await d.inject(fault(f), targets, injectContext(b.log, { handleId }));
    }
    const owned = await d.listOwned({ log: quiet });
    expect(owned.map((h) => h.handleId).sort()).toEqual(['h-1', 'h-2', 'h-3', 'h-4']);
    for (const h of owned) {
      await d.revert(h, { log: quiet });
      await d.confirmReverted(h, { log: quiet });
    }
    const called = new Set(b.aws.standIn.calls.map((c) => (c.service === 'fis' ? fisAction(c.action) : `${c.service}:${c.action}`)));
    // Not calls of their own: tagging on create/start needs fis:TagResource, and FIS runs a one-off template as the role passed to it.
    called.add('fis:TagResource');
    called.add('iam:PassRole');
    const policy = JSON.parse(readFileSync(path.join(ROOT, 'deploy/aws-iam-policy.json'), 'utf8')) as { Statement: Statement[] };
    const granted = new Set(policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    expect([...granted].sort()).toEqual([...called].sort());
  });
});

describe('endpoints and credentials from the SDK chain', () => {
  const saved: Record<string, string | undefined> = {};
  const setEnv = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!(k in saved)) saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
      delete saved[k];
    }
  });

  it('AWS_ENDPOINT_URL_EC2 and AWS_ENDPOINT_URL_AUTO_SCALING reach the stand-in with no endpoint in code', async () => {
    setEnv({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // the service variables win over the general one
      AWS_ENDPOINT_URL_EC2: b.aws.standIn.url,
      AWS_ENDPOINT_URL_AUTO_SCALING: b.aws.standIn.url,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: 'eu-west-1',
    });
    const a = b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-1' } });
    b.aws.world.addAsg({ name: 'web-asg', instanceIds: [a.id] });
    const d = createAwsDriver(AwsTargetConfig.parse({ accounts: [ACCOUNT] }), { log: quiet, now: Date.now });
    try {
      const found = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
      expect(found.map((t) => [t.name, t.attributes.region, t.attributes.asg])).toEqual([['web-1', 'eu-west-1', 'web-asg']]);
      expect(new Set(b.aws.standIn.calls.map((c) => c.service))).toEqual(new Set(['ec2', 'autoscaling']));
    } finally {
      await d.close?.();
    }
  });
});

describe('a named profile', () => {
  it('`profile` signs with that profile of the shared files, not with the environment', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-aws-profile-'));
    try {
      b.aws.standIn.addKey('AKIAPROFILECHAOS', 'chaos-profile-secret');
      writeFileSync(path.join(dir, 'credentials'), '[chaos]\naws_access_key_id = AKIAPROFILECHAOS\naws_secret_access_key = chaos-profile-secret\n');
      writeFileSync(path.join(dir, 'config'), '[profile chaos]\nregion = eu-west-1\n');
      const vars: Record<string, string | undefined> = {
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_ENDPOINT_URL: b.aws.standIn.url,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_PROFILE: undefined,
        AWS_REGION: undefined,
      };
      const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
      const put = (v: Record<string, string | undefined>) => {
        for (const [k, x] of Object.entries(v)) {
          if (x === undefined) delete process.env[k];
          else process.env[k] = x;
        }
      };
      put(vars);
      const d = createAwsDriver(AwsTargetConfig.parse({ accounts: [ACCOUNT], profile: 'chaos' }), { log: quiet, now: Date.now });
      try {
        b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
        expect(await d.preview(target({ selector: { app: 'web' } }), { log: quiet })).toHaveLength(1);
        expect(new Set(b.aws.standIn.calls.map((c) => c.accessKeyId))).toEqual(new Set(['AKIAPROFILECHAOS']));
      } finally {
        await d.close?.();
        put(saved);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loaded on first use', () => {
  it('building the registries, reconcile and the card load no @aws-sdk module while no account is allowed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'faultline-aws-lazy-'));
    const log = path.join(dir, 'resolved.txt');
    const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('@aws-sdk')) appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }`;
    const script = `
import { register } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(log)}, '');
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
const { buildTargets } = await import(${JSON.stringify(path.join(ROOT, 'src/app/registries.ts'))});
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const aws = buildTargets({}, { log: quiet, now: Date.now }).get('aws');
const t = aws.schemas.target.parse({ adapter: 'aws', selector: { app: 'web' }, zone: 'eu-west-1a' });
aws.schemas.fault.parse({ type: 'zone-outage', duration: '5m' });
const owned = await aws.listOwned({ log: quiet });
const scope = aws.describeTarget(t, []);
const before = readFileSync(${JSON.stringify(log)}, 'utf8');
await import(${JSON.stringify(path.join(ROOT, 'src/adapters/targets/aws/driver.ts'))});
const after = readFileSync(${JSON.stringify(log)}, 'utf8');
process.stdout.write(JSON.stringify({ owned, scope, before, loadsOnUse: after.includes('client-ec2') }));
`;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
      // `loadsOnUse`: the hook does see the SDK once the driver itself is imported.
      expect(JSON.parse(out)).toEqual({ owned: [], scope: { kind: 'instance', selection: 'zone=eu-west-1a,app=web' }, before: '', loadsOnUse: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
