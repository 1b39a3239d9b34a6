import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, signPagerDuty, webhookBody } from '../fakes/pagerduty-webhooks.js';
import { activeFaults, spawnBot, startBotFixture, waitUntil, type Bot, type BotFixture } from './harness.js';

const SECRET = 'pd-console-secret';
/** The service and incident of the webhook fixtures. */
const SERVICE = 'PCHK4PI';
const INCIDENT = 'Q3FLT7KZ0M1XQA';

/** The incident's status as the bot's store has it (read-only, beside the running bot). */
function storedStatus(dbPath: string): string | undefined {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[string], { status: string }>('SELECT status FROM incidents WHERE id = ?').get(INCIDENT)?.status;
  } finally {
    db.close();
  }
}

function experimentState(dbPath: string, id: string): string | undefined {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[string], { state: string }>('SELECT state FROM experiments WHERE id = ?').get(id)?.state;
  } finally {
    db.close();
  }
}

/** Types propose, approve (carol) and start (alice); the experiment's id. */
async function proposeApproveStart(bot: Bot, playbook: string): Promise<string> {
  const before = bot.output().length;
  bot.type('/as alice');
  bot.type(`/chaos propose ${playbook}`);
  await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(bot.output().slice(before)));
  const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output().slice(before))![1]!;
  bot.type('/as carol');
  bot.type(`/chaos approve ${id}`);
  bot.type('/as alice');
  bot.type(`/chaos start ${id}`);
  return id;
}

describe('the console with PORT and PAGERDUTY_WEBHOOK_SECRET serves webhooks, /healthz and /metrics', () => {
  let fx: BotFixture;
  let bot: Bot;
  let url: string;
  /** `faultline start` on the fixture's config with PORT=0 (any free port); `url` is where it serves. */
  async function start(): Promise<void> {
    bot = spawnBot(fx.configFile, { PORT: '0', PAGERDUTY_WEBHOOK_SECRET: SECRET, PAGERDUTY_API_TOKEN: '' });
    await waitUntil('ready', () => bot.output().includes('ready'), 30_000);
    const m = /HTTP: (http:\/\/127\.0\.0\.1:\d+) \(GET \/healthz, GET \/readyz, GET \/metrics, POST \/webhooks\/pagerduty\)/.exec(bot.output());
    expect(m, bot.output()).not.toBeNull();
    url = m![1]!;
  }
  beforeAll(async () => {
    fx = await startBotFixture('faultline-console-http-', { server: { host: '127.0.0.1' }, pagerduty: { linkedServices: [SERVICE], autoFreeze: false } });
    await start();
  });
  afterAll(async () => {
    if (bot && bot.child.exitCode === null) {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    await fx?.close();
  });

  it('answers /healthz and /metrics', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, mode: 'console', running: 0, halted: false });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('faultline_experiments');
  });

  it('refuses an unsigned webhook with 401; a signed incident.triggered refuses the start (incident_open), also after a restart, until incident.resolved', async () => {
    const triggered = webhookBody('incident.triggered', { eventId: 'EV-CONSOLE-T' });
    expect((await postWebhook(`${url}/webhooks/pagerduty`, triggered, { 'x-webhook-id': 'w-unsigned' })).status).toBe(401);
    expect((await postWebhook(`${url}/webhooks/pagerduty`, triggered, { 'x-pagerduty-signature': signPagerDuty(triggered, SECRET), 'x-webhook-id': 'w-t' })).status).toBe(202);
    const dbPath = path.join(fx.dir, 'faultline.db');
    await waitUntil('the incident stored', () => storedStatus(dbPath) === 'triggered');

    const mark = bot.output().length;
    const id = await proposeApproveStart(bot, 'checkout-latency');
    await waitUntil('the refusal', () => bot.output().slice(mark).includes('[incident_open]'));
    const refusal = bot.output().slice(mark);
    expect(refusal).toContain('#4211 "checkout-api 5xx ratio above 2% for 5 minutes"');
    expect((await activeFaults(fx.sandbox.adminUrl)).filter((f) => f.experimentId === id)).toEqual([]);

    // A restarted bot (same SQLite file) still knows the incident is open.
    bot.child.kill('SIGTERM');
    expect(await bot.exited, bot.output()).toBe(143);
    await start();
    const again = bot.output().length;
    bot.type('/as alice');
    bot.type(`/chaos start ${id}`);
    await waitUntil('the refusal after the restart', () => bot.output().slice(again).includes('[incident_open]'));
    expect(bot.output().slice(again)).toContain('#4211');

    const resolved = webhookBody('incident.resolved', { eventId: 'EV-CONSOLE-R' });
    expect((await postWebhook(`${url}/webhooks/pagerduty`, resolved, { 'x-pagerduty-signature': signPagerDuty(resolved, SECRET), 'x-webhook-id': 'w-r' })).status).toBe(202);
    await waitUntil('the resolve stored', () => storedStatus(dbPath) === 'resolved');
    const lifted = bot.output().length;
    bot.type(`/chaos start ${id}`);
    // The gate let it through: it started (the sandbox's own steady state decides what happens next).
    await waitUntil('the start', () => experimentState(dbPath, id) !== 'approved');
    expect(bot.output().slice(lifted)).not.toContain('[incident_');

    bot.child.kill('SIGTERM');
    expect(await bot.exited, bot.output()).toBe(143);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('the console without a configured port', () => {
  let fx: BotFixture;
  beforeAll(async () => {
    fx = await startBotFixture('faultline-console-noport-', { pagerduty: { linkedServices: [SERVICE] } });
  });
  afterAll(async () => fx?.close());

  it('opens no port, and with only a webhook secret refuses linked starts as incident_unknown naming PORT', async () => {
    const bot = spawnBot(fx.configFile, { PORT: '', PAGERDUTY_WEBHOOK_SECRET: SECRET, PAGERDUTY_API_TOKEN: '' });
    try {
      await waitUntil('ready', () => bot.output().includes('ready'), 30_000);
      expect(bot.output()).not.toContain('HTTP: ');
      const mark = bot.output().length;
      await proposeApproveStart(bot, 'checkout-latency');
      await waitUntil('the refusal', () => bot.output().slice(mark).includes('[incident_unknown]'));
      expect(bot.output().slice(mark)).toMatch(/serves no HTTP/);
      expect(bot.output().slice(mark)).toContain('PORT or server.port');
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
  });
});
