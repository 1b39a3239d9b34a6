import path from 'node:path';
import { ConsoleChat, ConsoleSession } from '../adapters/chat/console/index.js';
import { commandRegistry } from '../../commands/index.js';
import { boot } from './boot.js';
import { Config, withDemoApprovers } from './config.js';
import { createLogger } from './logger.js';

export const DEMO_PLAYBOOK = 'checkout-errors';

async function waitForTraffic(adminUrl: string, minRequests: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const stats = (await (await fetch(`${adminUrl}/stats`, { signal: AbortSignal.timeout(1000) })).json()) as { requests?: number };
      if ((stats.requests ?? 0) >= minRequests) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the sandbox saw fewer than ${minRequests} requests within ${timeoutMs} ms`);
}

/**
 * `npm run demo`: a whole experiment on the embedded default, typed through the console exactly as
 * people would, with its own database and a sandbox on free ports so it never collides with `npm start`.
 */
export async function demoAction(opts: { fast?: boolean; dataDir?: string } = {}): Promise<void> {
  const started = Date.now();
  const dataDir = opts.dataDir ?? 'data';
  const config = withDemoApprovers(
    Config.parse({
      store: { path: path.join(dataDir, 'demo.db') },
      postmortems: { dir: path.join(dataDir, 'postmortems') },
      // A 5 s stats window: the post-check after the revert waits for the fault's errors to leave it.
      sandbox: { proxyPort: 0, adminPort: 0, autoStart: true, statsWindow: '5s' },
      engine: { guardrailInterval: '1s', statusInterval: '2s', postcheckTimeout: '40s', signalTimeout: '2s' },
    }),
  );
  const log = createLogger({ level: 'info', file: path.join(dataDir, 'demo.log') });
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const chat = new ConsoleChat(out);
  out('Faultline demo: a chaos experiment on the local sandbox (3 checkout replicas behind the fault proxy, ~30 req/s).');
  const { app, sandbox } = await boot({ config, chat, log, embedded: true });
  let ok = false;
  try {
    out(`Sandbox up: traffic ${sandbox!.proxyUrl}, stats ${sandbox!.adminUrl}/stats. Waiting for steady traffic…\n`);
    await waitForTraffic(sandbox!.adminUrl, 40, 20_000);
    const session = new ConsoleSession({ engine: app.engine.facade, log, registry: commandRegistry(), config: { user: 'alice', channel: '#chaos' }, write: out, echo: true });
    const pause = (ms: number) => new Promise((r) => setTimeout(r, opts.fast ? 0 : ms));

    await session.handle('/as alice');
    await session.handle(`/chaos propose ${DEMO_PLAYBOOK}`);
    const proposed = app.engine.experiments.list(5).find((e) => e.record.proposedBy.id === 'alice' && e.record.state === 'proposed');
    if (!proposed) throw new Error('the demo proposal was not recorded');
    const id = proposed.record.id;
    await pause(500);
    out('\n# alice tries to approve her own experiment: refused, a second person must.');
    await session.handle(`/chaos approve ${id}`);
    out('\n# bob, an approver, approves it.');
    await session.handle('/as bob');
    await session.handle(`/chaos approve ${id}`);
    await pause(500);
    out('\n# alice starts it. The fault makes 60 % of requests to two of three replicas fail; the guardrail will trip.');
    await session.handle('/as alice');
    await session.handle(`/chaos start ${id}`);
    await app.engine.runner.settle();
    await app.engine.notifier.flush();

    const final = app.engine.experiments.get(id).record;
    const draft = app.engine.journal.of(id).find((e) => e.kind === 'postmortem')?.data.path as string | undefined;
    const reverted = app.engine.journal.of(id).some((e) => e.kind === 'reverted');
    out('');
    await session.handle(`/chaos status ${id}`);
    out('');
    out(`Result: ${final.state}, verdict ${final.verdict}; ${final.abort ? `aborted by ${final.abort.by.id}: ${final.abort.reason}` : 'ran to the end'}; fault ${reverted ? 'reverted' : 'NOT reverted'}.`);
    const verdict = app.store.verifyAudit();
    out(`Audit chain: ${verdict.ok ? `ok (${verdict.count} rows)` : `BROKEN at row ${verdict.firstBadSeq}`}`);
    out(`Post-mortem draft: ${draft ? path.relative(process.cwd(), draft) : '(not written)'}`);
    out(`Demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    ok = Boolean(draft) && reverted && verdict.ok;
  } finally {
    await app.shutdown('demo finished');
    await sandbox?.stop();
  }
  if (!ok) process.exitCode = 1;
}
