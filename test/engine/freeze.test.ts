import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { alice, bob, carol, makeEngine, engineFactory, type Engine } from './engine-harness.js';

const engine = engineFactory();

const chaos = (e: Engine, line: string, actor = alice) => dispatch(line, { actor, channel: '#chaos', engine: e.engine.facade, log: e.log }, commandRegistry());

describe('freeze windows', () => {
  it('a window added in chat blocks starts (reason shown), halt still works, and removing it lifts it; it survives a restart', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const running = await e.launch();
    await e.waitForPhase(running, 'observing');
    const added = await chaos(e, '/chaos freeze add now +1h deploy of payments');
    expect(added.title).toMatch(/^Frozen /);
    const id = /frz-[0-9a-f]+/.exec(added.sections.join(' '))![0];

    const next = await e.proposeApproved();
    await expect(e.service.start(next, alice)).rejects.toMatchObject({ code: 'frozen', message: expect.stringContaining('deploy of payments') });
    expect(e.service.get(next).record.state).toBe('approved');

    await chaos(e, '/chaos halt freeze or not, stop', carol);
    await e.engine.runner.settle();
    expect(e.service.get(running).record.state).toBe('aborted');
    await chaos(e, '/chaos resume', carol);

    const again = makeEngine({ dir: e.dir, target: e.target });
    expect(again.engine.freezes.active()?.window.id).toBe(id);
    again.store.close();

    expect((await chaos(e, `/chaos freeze remove ${id}`)).title).toContain('removed');
    await e.service.start(next, alice);
    await e.waitForPhase(next, 'observing');
    e.service.abort(next, carol, 'test done'); // it started: nothing left to learn from sitting out its 5 s
  });

  it('configured windows block too; bad freeze input is refused with usage and audited', async () => {
    const now = Date.now();
    const e = engine({ settings: { freezeWindows: [{ id: 'config-1', kind: 'once', from: now - 1000, to: now + 3_600_000, reason: 'end-of-year freeze', by: 'config' }] } });
    const id = await e.proposeApproved();
    await expect(e.service.start(id, alice)).rejects.toMatchObject({ code: 'frozen', message: expect.stringContaining('end-of-year freeze') });
    const list = await chaos(e, '/chaos freeze list', bob);
    expect(list.title).toContain('Frozen until');
    const bad = await chaos(e, '/chaos freeze add tomorrow later');
    expect(bad.errorCode).toBe('command_usage');
    expect(e.store.events({ kinds: ['refused'] }).at(-1)?.data.code).toBe('command_usage');
  });
});
