/**
 * The aws adapter against the AWS stand-in (real SDK clients, SigV4 checked on every request, the
 * endpoint and credentials from the SDK's environment only):
 * - preview of a selector matching 5,000 instances over three zones, each in an Auto Scaling group
 *   (paginated DescribeInstances, DescribeAutoScalingInstances in batches of 50); goal ≤ 1 s;
 * - a zone outage of 100 instances applied (DryRun checks, tags, SuspendProcesses, StopInstances);
 *   goal ≤ 2 s; and its revert (start, wait for running, resume, untag).
 * The stand-in runs in its own process, as AWS would. Median of a few runs each.
 */
import { awsFaultSchema, awsTargetAdapter, awsTargetSchema } from '../src/adapters/targets/aws/index.js';
import type { FaultSpec, TargetSpec } from '../src/core/ports.js';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_CREDENTIALS } from '../test/fakes/aws/aws-standin.js';

const PREVIEW_INSTANCES = 5_000;
const OUTAGE_INSTANCES = 100;
const RUNS = Number(process.env.BENCH_AWS_RUNS ?? 5);
const ROOT = path.resolve(import.meta.dirname, '..');
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function benchAws(log: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/aws-stand-in-main.ts', String(PREVIEW_INSTANCES), String(OUTAGE_INSTANCES)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as { msg: string; url?: string; running?: number; stopped?: number; suspended?: string[] };
  const web = async () => {
    child.stdin!.write('web\n');
    return next();
  };
  const saved = { ...process.env };
  try {
    const ready = await next();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: ready.url,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const driver = awsTargetAdapter.create(awsTargetAdapter.configSchema.parse({ region: 'eu-west-1', accounts: ['123456789012'], pollInterval: '20ms' }), { log: quiet, now: Date.now });
    const target = (t: Record<string, unknown>) => awsTargetSchema.parse({ adapter: 'aws', ...t }) as unknown as TargetSpec;
    const fleet = target({ selector: { app: 'fleet' }, blastRadius: 'all' });
    await driver.preview(fleet, { log: quiet }); // warm-up: the SDK loads, connections open

    const previews: number[] = [];
    let found = 0;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      found = (await driver.preview(fleet, { log: quiet })).length;
      previews.push(performance.now() - t0);
    }
    log(`aws preview: ${found} instances (${Math.ceil(PREVIEW_INSTANCES / 500)} ASGs) in ${median(previews).toFixed(0)} ms median of ${RUNS} (goal ≤ 1000 ms)`);

    const applied: number[] = [];
    const reverted: number[] = [];
    const fault = awsFaultSchema.parse({ type: 'zone-outage', duration: '10m' }) as unknown as FaultSpec;
    for (let r = 0; r < RUNS; r++) {
      const targets = await driver.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' }), { log: quiet });
      const t0 = performance.now();
      const handle = await driver.inject(fault, targets, { experimentId: `exp-bench${r}`, handleId: `fh-bench${r}`, expiresAt: Date.now() + 600_000, now: Date.now, log: quiet, note: () => {} });
      applied.push(performance.now() - t0);
      const during = await web();
      if (during.stopped !== OUTAGE_INSTANCES || !during.suspended?.includes('Launch')) throw new Error(`the zone outage did not go in: ${JSON.stringify(during)}`);
      const t1 = performance.now();
      await driver.revert(handle, { log: quiet });
      reverted.push(performance.now() - t1);
      const after = await web();
      if (after.running !== OUTAGE_INSTANCES || after.suspended?.length) throw new Error(`the revert left something behind: ${JSON.stringify(after)}`);
    }
    log(`aws zone outage: ${OUTAGE_INSTANCES} instances applied in ${median(applied).toFixed(0)} ms median of ${RUNS} (goal ≤ 2000 ms); reverted (running again, resumed, untagged) in ${median(reverted).toFixed(0)} ms`);
    await driver.close?.();
  } finally {
    process.env = saved;
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAws((l) => process.stdout.write(`${l}\n`));
