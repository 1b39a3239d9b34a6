import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineFactory } from './engine-harness.js';

const engine = engineFactory();

describe('chat down (the Slack-outage equivalent)', () => {
  it('a chat port that rejects every call: the experiment still runs, reverts and drafts its post-mortem', async () => {
    const e = engine();
    e.chat.mode = 'fail';
    const id = await e.launch();
    await e.engine.runner.settle();
    await e.engine.notifier.flush();

    const r = e.service.get(id).record;
    expect(r.state).toBe('completed');
    expect(r.verdict).toBe('held');
    expect(e.service.get(id).card).toBeNull();
    expect(e.target.injectCalls).toHaveLength(1);
    expect(e.target.faults.size).toBe(0);
    expect(e.kinds(id)).toEqual(expect.arrayContaining(['inject-intent', 'injected', 'reading', 'reverted', 'postcheck', 'verdict', 'postmortem']));

    const draft = e.journal(id).find((j) => j.kind === 'postmortem')!.data.path as string;
    expect(existsSync(draft)).toBe(true);
    expect(readFileSync(draft, 'utf8')).toContain(id);

    expect(e.chat.calls.length).toBeGreaterThan(3);
    expect(e.chat.calls.every((c) => c.outcome === 'failed')).toBe(true);
    expect(e.log.messages('warn').filter((m) => m === 'chat call failed').length).toBe(e.chat.calls.length);
    expect(e.store.verifyAudit().ok).toBe(true);
  });

  it('chat coming back mid-run: later messages get through and the experiment is unaffected', async () => {
    const e = engine({ playbooks: [{ duration: '400ms' }] });
    e.chat.mode = 'fail';
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.chat.mode = 'ok';
    await e.engine.runner.settle();
    await e.engine.notifier.flush();
    expect(e.service.get(id).record.state).toBe('completed');
    // This chat takes no files: the thread names the draft's path instead.
    expect(e.chat.transcript()).toMatch(new RegExp(`📎 ${id}: post-mortem draft: .*${id}\\.md`));
  });
});
