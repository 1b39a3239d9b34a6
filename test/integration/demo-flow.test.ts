import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeFaults, startHarness, statsRequests, waitForSteadySandbox, waitUntil, type Harness } from './harness.js';

describe('the demo flow through the console, on the real sandbox and a real SQLite file', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => h?.close());

  it('proposes, refuses self-approval, approves, starts, breaks a guardrail, aborts, reverts and drafts a post-mortem', async () => {
    const { session, app, transcript } = h;
    await session.handle('/chaos propose checkout-errors');
    const id = app.engine.experiments.list(1)[0]!.record.id;
    expect(app.engine.experiments.get(id).record.state).toBe('proposed');

    await session.handle(`/chaos approve ${id}`);
    expect(transcript.join('\n')).toContain('[approval_self]');
    expect(app.engine.experiments.get(id).record.state).toBe('proposed');

    await session.handle('/as bob');
    await session.handle(`/chaos approve ${id}`);
    expect(app.engine.experiments.get(id).record.state).toBe('approved');

    await session.handle('/as alice');
    await session.handle(`/chaos start ${id}`);
    await waitUntil('the fault to be active', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === id));
    await app.engine.runner.settle();

    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(r.abort?.by.id).toBe('faultline');
    expect(r.verdict).toBe('refuted');
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);

    const kinds = app.engine.journal.of(id).map((e) => e.kind);
    const at = (k: string) => kinds.indexOf(k);
    for (const k of ['proposed', 'inject-intent', 'injected', 'reading', 'breach', 'revert-started', 'reverted', 'postcheck', 'verdict', 'postmortem']) {
      expect(kinds, `journal has ${k}`).toContain(k);
    }
    expect(at('inject-intent')).toBeLessThan(at('injected'));
    expect(at('breach')).toBeLessThan(at('reverted'));
    expect(at('reverted')).toBeLessThan(at('postcheck'));

    const draft = app.engine.journal.of(id).find((e) => e.kind === 'postmortem')!.data.path as string;
    expect(existsSync(draft)).toBe(true);
    expect(readFileSync(draft, 'utf8')).toContain(id);
    expect(app.store.verifyAudit().ok).toBe(true);

    const text = transcript.join('\n');
    expect(text).toContain('guardrail breached: customer-facing error rate');
    expect(text).toMatch(/⟳ .* running \/ observing/);
  });

  it('a refused command changes nothing but its audit line', async () => {
    const before = h.app.store.events().length;
    const states = h.app.engine.experiments.list(50).map((e) => `${e.record.id}:${e.record.state}`);
    await h.session.handle('/chaos approve exp-ffffff');
    await h.session.handle('/chaos frobnicate');
    await h.session.handle('/chaos propose');
    const after = h.app.store.events();
    expect(after.length).toBe(before + 3);
    expect(after.slice(-3).map((e) => [e.kind, e.data.code])).toEqual([
      ['refused', 'experiment_not_found'],
      ['refused', 'command_unknown'],
      ['refused', 'command_usage'],
    ]);
    expect(h.app.engine.experiments.list(50).map((e) => `${e.record.id}:${e.record.state}`)).toEqual(states);
    const text = h.transcript.join('\n');
    expect(text).toContain('Unknown command "frobnicate"');
    expect(text).toContain('Usage: /chaos propose <playbook>');
    expect(text).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });

  it('halt aborts what runs and blocks starts until resume', async () => {
    const { session, app } = h;
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await session.handle('/as alice');
    await session.handle('/chaos propose checkout-latency duration=1m');
    const id = app.engine.experiments.list(1)[0]!.record.id;
    await session.handle('/as bob');
    await session.handle(`/chaos approve ${id}`);
    await session.handle('/chaos halt game day paused');
    await session.handle(`/chaos start ${id}`);
    expect(app.engine.experiments.get(id).record.state).toBe('approved');
    expect(h.transcript.join('\n')).toContain('[halted]');
    await session.handle('/chaos resume');
    await session.handle(`/chaos start ${id}`);
    await waitUntil('the latency fault', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === id));
    await session.handle('/as carol');
    await session.handle('/chaos halt stop everything');
    expect(app.engine.experiments.get(id).record.phase).toBe('reverting'); // the halt aborted it on the spot
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h.sandbox.adminUrl)).length === 0, 5000);
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('halt');
    expect(r.abort?.by.id).toBe('carol');
    await session.handle('/chaos resume');
  });
});
