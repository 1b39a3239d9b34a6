/**
 * PagerDuty webhook received → every fault of the linked experiment reverted (sandbox target), over
 * 50 runs: a signed incident.triggered posted to the bot's /webhooks/pagerduty while a run is in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp, playbookVars } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { startOpsServer } from '../src/app/ops-server.js';
import { startSandbox } from '../src/sandbox/index.js';
import { postWebhook, signPagerDuty, webhookBody } from '../test/fakes/pagerduty-webhooks.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_PD_RUNS ?? 50);
const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 'bench-pd-secret';

export async function benchPagerDutyAbort(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-pd-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 20 });
  const config = Config.parse({
    approvers: ['bob'],
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'bench', 'playbooks')] },
    caps: { maxPercent: 100 },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: '1s', postcheckTimeout: '1s' },
    pagerduty: { linkedServices: ['PBENCH'], autoFreeze: false },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
  });
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'silent' }), vars: playbookVars(config, sandbox), cwd: ROOT, env: { pagerdutyWebhookSecrets: [SECRET] } });
  const ops = await startOpsServer([app.webhookRoute!], '127.0.0.1', 0);
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const { record } = await app.engine.experiments.propose({ playbook: 'bench-incident', actor: { id: 'alice' } });
      await app.engine.experiments.approve(record.id, { id: 'bob' });
      await app.engine.experiments.start(record.id, { id: 'alice' });
      while (app.engine.experiments.get(record.id).record.phase !== 'observing') await new Promise((r) => setTimeout(r, 5));
      const body = webhookBody('incident.triggered', { serviceId: 'PBENCH', eventId: `EV${i}`, incidentId: `PINC${i}` });
      const t0 = Date.now();
      const res = await postWebhook(`${ops.url}/webhooks/pagerduty`, body, { 'x-pagerduty-signature': signPagerDuty(body, SECRET), 'x-webhook-id': `w-${i}` });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      while (!app.engine.journal.of(record.id).some((e) => e.kind === 'reverted')) await new Promise((r) => setTimeout(r, 1));
      times.push(app.engine.journal.of(record.id).find((e) => e.kind === 'reverted')!.at - t0);
      await app.engine.runner.settle();
      // The incident is resolved before the next run: the start gate refuses a service with one open.
      const resolved = webhookBody('incident.resolved', { serviceId: 'PBENCH', eventId: `EV${i}r`, incidentId: `PINC${i}` });
      const done = await postWebhook(`${ops.url}/webhooks/pagerduty`, resolved, { 'x-pagerduty-signature': signPagerDuty(resolved, SECRET), 'x-webhook-id': `w-${i}r` });
      if (done.status !== 202) throw new Error(`resolve webhook answered ${done.status}`);
    }
    log(summary(`pagerduty webhook received → fault reverted (${RUNS} runs)`, times, 'ms'));
  } finally {
    await ops.close();
    await app.shutdown('bench done');
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
