import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineFactory, waitFor, type Engine } from './engine-harness.js';

/**
 * Invariant 2 on the ugly paths: whatever breaks inside the bot (a store write, the store itself,
 * a target answering after its deadline, a target that says yes and does nothing), no fault stays in
 * past its experiment.
 */
const engine = engineFactory({ playbooks: [{ duration: '10s' }] });

/** A real SQLite trigger on the bot's own file: every insert of these event kinds fails, as a full or broken disk would. */
function failWrites(e: Engine, kinds: string[] | 'all'): () => void {
  const db = new Database(e.dbPath);
  const when = kinds === 'all' ? '' : `WHEN NEW.kind IN (${kinds.map((k) => `'${k}'`).join(', ')})`;
  db.exec(`CREATE TRIGGER fail_writes BEFORE INSERT ON events ${when} BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
  return () => {
    db.exec('DROP TRIGGER fail_writes');
    db.close();
  };
}

const thread = (e: Engine) => e.chat.transcript();

describe('a run that throws never leaves its fault in', () => {
  it('one failed journal write during observation aborts the run with code error and reverts at once', async () => {
    const e = engine();
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    expect(e.target.faultsOf(id)).toHaveLength(1);
    const heal = failWrites(e, ['reading']);
    await e.waitForState(id, 'aborted');
    heal();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.abort).toMatchObject({ code: 'error', reason: expect.stringContaining('internal error: store append failed') });
    expect(r.verdict).toBe('inconclusive');
    expect(e.target.faults.size).toBe(0);
    expect(e.kinds(id)).toEqual(expect.arrayContaining(['revert-started', 'reverted', 'revert-confirmed', 'postcheck', 'verdict']));
    expect(thread(e)).toMatch(/aborted by .*internal error: store append failed .*disk I\/O error/);
    expect(e.log.messages('error')).toContain('run crashed; aborting and reverting');
    expect(e.store.verifyAudit().ok).toBe(true);
  });

  it('when even the crash cannot be recorded, the fault is reverted from memory; a reconcile pass settles the record later', async () => {
    const e = engine();
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    const heal = failWrites(e, 'all');
    await waitFor('the fault to be reverted from memory', () => e.target.faults.size === 0);
    await e.engine.runner.settle();
    expect(e.log.messages('warn')).toContain('fault reverted from memory after a crash');
    // The store refused everything: the record still says what it said before.
    expect(e.service.get(id).record.state).toBe('running');

    heal();
    const report = await e.reconcile('running');
    expect(report.recovered).toEqual([id]);
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('error');
    expect(e.store.verifyAudit().ok).toBe(true);
  });

  it('the store gone mid-run (closed under it): the fault is still reverted', async () => {
    const e = engine();
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.store.close();
    await waitFor('the fault to be reverted from memory', () => e.target.faults.size === 0);
    await e.engine.runner.settle();
    expect(e.target.revertCalls.map((c) => c.experimentId)).toEqual([id]);
  });
});

describe('a target call that passes its deadline is not abandoned', () => {
  it('an inject that lands after the deadline is reverted when it lands, journaled and said in the thread', async () => {
    const e = engine({ settings: { targetTimeoutMs: 100 } });
    e.target.hangInject(400);
    const id = await e.launch();
    await e.waitForState(id, 'failed');
    expect(e.service.get(id).record.failure).toMatch(/inject failed: .*no answer within 100 ms/);
    await waitFor('the late inject to land', () => e.target.injectCalls[0]?.returnedAt !== undefined);
    await waitFor('the landed fault to be reverted', () => e.target.faults.size === 0 && e.kinds(id).includes('revert-confirmed'));

    const landed = e.target.injectCalls[0]!;
    const late = e.target.revertCalls.filter((c) => c.handleId === landed.handleId);
    expect(late.length).toBeGreaterThan(0);
    expect(late.at(-1)!.at).toBeGreaterThanOrEqual(landed.returnedAt!);
    const kinds = e.kinds(id);
    expect(kinds.indexOf('inject-late')).toBeGreaterThan(kinds.indexOf('inject-failed'));
    expect(kinds.lastIndexOf('reverted')).toBeGreaterThan(kinds.indexOf('inject-late'));
    await waitFor('the thread to say so', () => /answered after its deadline and had applied the fault; reverted and confirmed/.test(thread(e)));
  });

  it('an inject that lands after the deadline and never answers is found by the watch and reverted', async () => {
    const e = engine({ settings: { targetTimeoutMs: 100 } });
    e.target.hangInject(400);
    e.target.loseInjectAnswer = true;
    const id = await e.launch();
    await e.waitForState(id, 'failed');
    await waitFor('the inject to land', () => e.target.injectCalls[0]?.appliedAt !== undefined);
    await waitFor('the landed fault to be reverted', () => e.target.faults.size === 0 && e.kinds(id).includes('revert-confirmed'));
    const landed = e.target.injectCalls[0]!;
    expect(landed.returnedAt).toBeUndefined();
    expect(e.target.revertCalls.some((c) => c.handleId === landed.handleId && c.at >= landed.appliedAt!)).toBe(true);
    await waitFor('the thread to say so', () => /landed after its deadline and had applied the fault; reverted and confirmed/.test(thread(e)));
    e.engine.runner.faults.stop();
  });

  it('the run ends at the expiry journaled with the intent, not a duration after a slow inject', async () => {
    const e = engine({ playbooks: [{ duration: '600ms' }] });
    e.target.hangInject(250);
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    const intent = e.journal(id).find((j) => j.kind === 'inject-intent')!;
    const r = e.service.get(id).record;
    expect(r.endsAt).toBe(intent.data.expiresAt);
    expect(e.target.faultsOf(id)[0]!.expiresAt).toBe(intent.data.expiresAt);
    await e.waitForState(id, 'completed');
  });
});

describe('the revert receipt', () => {
  it('a confirmed revert says so in the thread and the journal', async () => {
    const e = engine({ playbooks: [{ duration: '200ms' }] });
    const id = await e.launch();
    await e.waitForState(id, 'completed');
    expect(e.kinds(id)).toContain('revert-confirmed');
    expect(e.target.confirmCalls).toBe(1);
    expect(thread(e)).toMatch(/reverted and confirmed: latency on .* reads as before/);
    await e.engine.runner.settle();
    const draft = readFileSync(String(e.journal(id).find((j) => j.kind === 'postmortem')!.data.path), 'utf8');
    expect(draft).toContain('Every injected fault was reverted and confirmed');
    expect(draft).toMatch(/Target read back after the revert: as it was before/);
  });

  it('a target that says yes but keeps the fault: the run fails loudly, naming what differs and how to finish', async () => {
    const e = engine({ playbooks: [{ duration: '200ms' }] });
    e.target.revertLies = true;
    const id = await e.launch();
    await e.waitForState(id, 'failed');
    const r = e.service.get(id).record;
    expect(r.failure).toMatch(/revert NOT confirmed: latency still active on .*Finish by hand: clear memory fault fh-/);
    expect(e.kinds(id)).toContain('revert-unconfirmed');
    expect(e.target.confirmCalls).toBe(3); // looked again twice before saying so
    expect(thread(e)).toMatch(/revert NOT confirmed/);
    await e.engine.runner.settle();
    const draft = readFileSync(String(e.journal(id).find((j) => j.kind === 'postmortem')!.data.path), 'utf8');
    expect(draft).toContain('At least one revert FAILED or is NOT confirmed');
    expect(draft).toMatch(/Revert NOT confirmed \(handle fh-[0-9a-f]+\): latency still active on .*Finish by hand: clear memory fault/);
  });
});

describe('reconcile while the bot runs', () => {
  it('reverts a fault no running experiment holds, journals it under the experiment and replies in its thread', async () => {
    const e = engine({ playbooks: [{ duration: '200ms' }] });
    const id = await e.launch();
    await e.waitForState(id, 'completed');
    e.target.plant({ handleId: 'fh-lost0001', experimentId: id });
    e.target.plant({ handleId: 'fh-lost0002', experimentId: 'exp-unknown' });

    const loop = e.engine.startReconcileLoop(25);
    await waitFor('the lost faults to be reverted', () => e.target.faults.size === 0);
    await loop.stop();
    const entry = e.journal(id).find((j) => j.kind === 'reconcile-revert')!;
    expect(entry.data).toMatchObject({ handleId: 'fh-lost0001', confirmed: true });
    expect(e.kinds('exp-unknown')).toEqual(['reconcile-revert']);
    await waitFor('the thread reply', () => thread(e).includes('still applied with no run holding it; reconcile reverted it: reverted and confirmed'));
  });

  it('never touches the fault of a run in progress', async () => {
    const e = engine();
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    const report = await e.reconcile('running');
    expect(report).toEqual({ recovered: [], orphansReverted: [], errors: [] });
    expect(e.target.faultsOf(id)).toHaveLength(1);
    e.service.abort(id, { id: 'carol', team: 'T1', name: 'Carol' }, 'done');
    await e.waitForState(id, 'aborted');
  });
});
