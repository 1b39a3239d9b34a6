import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandRegistry } from '../../commands/index.js';
import { ConsoleChat, ConsoleSession } from '../../src/adapters/chat/console/index.js';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { GrafanaStandIn } from '../fakes/grafana-api.js';
import { activeFaults, ROOT, statsRequests, waitForSteadySandbox, waitUntil } from './harness.js';
import { startSandboxProcess, type SandboxProcess } from './sandbox-process.js';

const TOKEN = 'glsa_faultline_it';

/** The app as `faultline start` builds it (createApp), on the real sandbox, with Grafana configured. */
async function startApp(dir: string, sandbox: SandboxProcess, grafanaUrl: string, env: { grafanaToken?: string }) {
  const config = Config.parse({
    approvers: ['alice', 'bob', 'carol'],
    store: { path: path.join(dir, 'faultline.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'playbooks')] },
    templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: '500ms', statusInterval: '1s', postcheckTimeout: '30s', signalTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    grafana: { url: grafanaUrl, timeout: '2s' },
  });
  const transcript: string[] = [];
  const write = (t: string) => transcript.push(t);
  const logFile = path.join(dir, 'faultline.log');
  const log = createLogger({ level: 'info', file: logFile });
  const app = await createApp({ config, chat: new ConsoleChat(write), log, vars: playbookVars(config, sandbox), cwd: ROOT, env });
  const session = new ConsoleSession({ engine: app.engine.facade, log, registry: commandRegistry(), config: { user: 'alice', channel: '#chaos' }, write, echo: true });
  return { app, session, logFile, transcript };
}

describe('Grafana annotations from the app built by createApp, on the real sandbox', () => {
  let dir: string;
  let sandbox: SandboxProcess;
  let grafana: GrafanaStandIn;
  let app: App;
  let session: ConsoleSession;
  let logFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-grafana-it-'));
    grafana = await GrafanaStandIn.start({ token: TOKEN });
    sandbox = await startSandboxProcess({ statsWindowSeconds: 2 });
    await waitUntil('sandbox traffic', async () => (await statsRequests(sandbox.adminUrl)) >= 40);
    ({ app, session, logFile } = await startApp(path.join(dir, 'with-token'), sandbox, grafana.url, { grafanaToken: TOKEN }));
  });
  afterAll(async () => {
    await app?.shutdown('test finished');
    await sandbox?.stop();
    await grafana?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startRun(args: string): Promise<string> {
    await waitForSteadySandbox(sandbox.adminUrl);
    await session.handle('/as alice');
    await session.handle(`/chaos propose ${args}`);
    const id = app.engine.experiments.list(1)[0]!.record.id;
    await session.handle('/as bob');
    await session.handle(`/chaos approve ${id}`);
    await session.handle('/as alice');
    await session.handle(`/chaos start ${id}`);
    return id;
  }
  const tagsOf = (id: string) => grafana.withTags('faultline', id).map((a) => a.tags.slice(3));

  it('a run to completion: start, the fault window from inject to revert, the end tagged held', async () => {
    const id = await startRun('checkout-latency duration=2s');
    await waitUntil(`${id} to end`, () => ['completed', 'aborted', 'failed'].includes(app.engine.experiments.get(id).record.state), 60_000);
    const r = app.engine.experiments.get(id).record;
    expect(r).toMatchObject({ state: 'completed', verdict: 'held' });
    await waitUntil('the end annotation', () => grafana.withTags(id, 'end').length === 1, 10_000);

    expect(tagsOf(id)).toEqual([['start'], ['fault'], ['end', 'held']]);
    for (const a of grafana.withTags(id)) expect(a.tags.slice(0, 3)).toEqual(['faultline', id, 'latency']);
    const fault = grafana.withTags(id, 'fault')[0]!;
    expect(fault.time).toBe(r.injectedAt);
    // Reverted once the fault's time was up (endsAt: the intent's time + 2 s), before the post-check ended the run.
    expect(fault.timeEnd).toBeGreaterThanOrEqual(r.endsAt!);
    expect(fault.timeEnd).toBeLessThanOrEqual(r.endedAt!);
    expect(grafana.requests.filter((q) => q.method === 'PATCH' && q.path === `/api/annotations/${fault.id}`)).toHaveLength(1);
    expect(grafana.withTags(id, 'start')[0]!.time).toBe(r.startedAt);
    expect(grafana.withTags(id, 'end')[0]!.time).toBe(r.endedAt);
    expect(grafana.requests.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('an aborted run: start, fault window, abort and end, and nothing left injected', async () => {
    const id = await startRun('checkout-latency duration=1m');
    await waitUntil('the fault in the sandbox', async () => (await activeFaults(sandbox.adminUrl)).some((f) => f.experimentId === id), 20_000);
    await session.handle('/as bob');
    await session.handle(`/chaos abort ${id} checking the grafana marks`);
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
    await waitUntil('the end annotation', () => grafana.withTags(id, 'end').length === 1, 10_000);

    expect(tagsOf(id)).toEqual([['start'], ['fault'], ['abort'], ['end', r.verdict!]]);
    const abort = grafana.withTags(id, 'abort')[0]!;
    expect(abort.time).toBe(r.abort!.at);
    expect(abort.text).toContain('checking the grafana marks');
    expect(grafana.withTags(id, 'fault')[0]!.timeEnd).toBeLessThan(r.injectedAt! + 60_000);
    expect(readFileSync(logFile, 'utf8')).not.toContain('grafana annotation failed');
    expect(readFileSync(logFile, 'utf8')).not.toContain(TOKEN);
  });

  it('without GRAFANA_TOKEN: no annotator, and the start warns naming the variable', async () => {
    const before = grafana.requests.length;
    const other = await startApp(path.join(dir, 'no-token'), sandbox, grafana.url, {});
    try {
      const lines = readFileSync(other.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; variable?: string });
      expect(lines.find((l) => l.msg.startsWith('grafana annotations off'))).toMatchObject({ level: 40, variable: 'GRAFANA_TOKEN' });
      expect(grafana.requests.length).toBe(before);
    } finally {
      await other.app.shutdown('test finished');
    }
  });
});
