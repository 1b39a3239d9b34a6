import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { plainMentions } from '../../src/core/mention.js';
import { GameDaySteps } from '../../src/engine/gamedays/gameday-steps.js';
import type { GameDayExperiments, GameDayHost } from '../../src/engine/gamedays/gameday-ports.js';
import type { StoredGameDay } from '../../src/engine/gamedays/gameday-repo.js';
import { messageText } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { alice, bob, carol, engineFactory, waitFor, type Engine } from './engine-harness.js';

/** alice proposes, bob approves, carol commands; the file names #gameday. */
function gameDayYaml(o: { durations?: string[]; autoContinue?: 'never' | 'whenHeld' } = {}): string {
  const durations = o.durations ?? ['150ms', '150ms', '150ms'];
  const radii = ['one', 'count:2', 'percent:100'];
  return `
kind: GameDay
name: web-gameday
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol, scribe: dave }
autoContinue: ${o.autoContinue ?? 'never'}
steps:
${durations.map((d, i) => `  - { playbook: web-latency, blastRadius: '${radii[i]}', duration: ${d} }`).join('\n')}
`;
}

const engine = engineFactory({ gamedays: [gameDayYaml()] });
const chaos = (e: Engine, line: string, actor: Actor = alice, channel = '#gameday') => dispatch(line, { actor, channel, engine: e.engine.facade, log: e.log }, commandRegistry());
const gd = (e: Engine, id: string): GameDayRecord => e.engine.gamedays.get(id).record;
const waitGd = (e: Engine, id: string, test: (r: GameDayRecord) => boolean, what: string, ms = 5000) => waitFor(`${id} ${what}`, () => test(gd(e, id)), ms);
const stepExperiments = (e: Engine, id: string) => e.service.list(50).filter((x) => x.record.gameDay?.id === id);

async function approved(e: Engine): Promise<string> {
  const { record } = await e.engine.gamedays.propose({ name: 'web-gameday', actor: alice });
  await e.engine.gamedays.approve(record.id, bob);
  return record.id;
}

/** Runs step 1 to its checkpoint; returns the index of the chat's next call (what came after step 1). */
async function pastStep1(e: Engine, id: string): Promise<number> {
  await chaos(e, `/chaos gameday continue ${id}`, carol);
  await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
  await e.engine.runner.settle();
  await e.engine.notifier.flush();
  return e.chat.calls.length;
}

describe('a hold typed while a step runs', () => {
  it('is kept with who and when, and the day lands in held at the checkpoint with the decision recorded', async () => {
    const e = engine({ gamedays: [gameDayYaml({ durations: ['600ms', '150ms', '150ms'] })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    await e.waitForPhase(gd(e, id).steps[0]!.experimentId!, 'observing');
    const reply = await chaos(e, `/chaos gameday hold ${id} p99 looks odd`, carol);
    expect(reply.title).toBe(`${id} will hold after the running step`);
    const asked = gd(e, id);
    expect(asked.state).toBe('running');
    expect(asked.holdRequested).toMatchObject({ by: { id: 'carol' }, reason: 'p99 looks odd' });
    const hold = e.store.journal(id).filter((x) => x.kind === 'gameday-transition').at(-1)!;
    expect(hold).toMatchObject({ actor: 'carol', data: { event: 'hold', from: 'running', to: 'running', reason: 'p99 looks odd' } });

    await waitGd(e, id, (r) => r.state !== 'running', 'to end step 1');
    const r = gd(e, id);
    expect(r).toMatchObject({ state: 'held', next: 1, holdRequested: false });
    expect(plainMentions(r.holdReason!)).toBe('held by Carol (carol): p99 looks odd');
    expect(r.decisions.map((d) => [d.beforeStep, d.choice, d.by.id, d.reason])).toEqual([
      [0, 'continue', 'carol', null],
      [1, 'hold', 'carol', 'p99 looks odd'],
    ]);
    expect(r.decisions[1]!.at).toBe(asked.updatedAt);
    await new Promise((res) => setTimeout(res, 100));
    expect(stepExperiments(e, id)).toHaveLength(1);

    // Continue from the commander resumes as at any hold.
    expect((await chaos(e, `/chaos gameday continue ${id}`, bob)).errorCode).toBe('gameday_role');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (x) => x.state === 'checkpoint' && x.next === 2, 'to run step 2');
    await chaos(e, `/chaos gameday abort ${id} enough for today`, bob);
    await e.engine.gamedays.settle();
    expect(gd(e, id).decisions.map((d) => d.choice)).toEqual(['continue', 'hold', 'continue', 'abort']);
    // The report's decisions table renders the record's decisions: the hold is in it.
    expect(readFileSync(gd(e, id).reportPath, 'utf8')).toContain('p99 looks odd');
  });

  it('does not keep an abort waiting: the abort typed after it stops the day and the step at once', async () => {
    const e = engine({ gamedays: [gameDayYaml({ durations: ['10s', '150ms', '150ms'] })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    const step1 = gd(e, id).steps[0]!.experimentId!;
    await e.waitForPhase(step1, 'observing');
    await chaos(e, `/chaos gameday hold ${id} wait`, carol);
    const reply = await chaos(e, `/chaos gameday abort ${id} alarms`, bob);
    expect(reply.title).toBe(`${id} aborted`);
    expect(gd(e, id).state).toBe('aborted');
    await e.waitForState(step1, 'aborted', 2000);
    await e.engine.gamedays.settle();
    expect(e.target.faults.size).toBe(0);
    expect(gd(e, id).decisions.map((d) => d.choice)).toEqual(['continue']);
  });

  it('with autoContinue: whenHeld, the asked hold still stops the day at the next checkpoint', async () => {
    const e = engine({ gamedays: [gameDayYaml({ autoContinue: 'whenHeld', durations: ['600ms', '150ms', '150ms'] })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    await e.waitForPhase(gd(e, id).steps[0]!.experimentId!, 'observing');
    await chaos(e, `/chaos gameday hold ${id} look first`, carol);
    await waitGd(e, id, (r) => r.state !== 'running', 'to end step 1');
    expect(gd(e, id)).toMatchObject({ state: 'held', next: 1 });
    expect(gd(e, id).decisions.map((d) => d.choice)).toEqual(['continue', 'hold']);
  });
});

describe('a step refused by a start rule', () => {
  it('a freeze: no experiment, no card, no approval posted; one line in the thread says why; the day holds', async () => {
    const e = engine();
    const id = await approved(e);
    const step1 = (await pastStep1(e, id), gd(e, id).steps[0]!.experimentId!);
    const frz = await chaos(e, '/chaos freeze add now +1h payments deploy', bob);
    const from = e.chat.calls.length;
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held', 'to hold');
    await e.engine.gamedays.settle();
    await e.engine.notifier.flush();

    expect(stepExperiments(e, id).map((x) => x.record.id)).toEqual([step1]);
    const after = e.chat.calls.slice(from);
    // Nothing new is posted into the channel (no step card); every reply is in the game day's thread.
    expect(after.filter((c) => c.op === 'post')).toEqual([]);
    // The game day's own card is updated in place (it names its approval); everything else is new text.
    const texts = after.filter((c) => c.op !== 'update').map((c) => messageText(c.msg));
    expect(texts.filter((t) => /exp-[0-9a-f]+/.test(t.replace(step1, '')))).toEqual([]);
    expect(texts.filter((t) => /approved by/i.test(t))).toEqual([]);
    const card = e.engine.gamedays.get(id).card!;
    const replies = after.filter((c) => c.op === 'reply');
    expect(replies.every((c) => c.ref?.ts === card.ts)).toBe(true);
    // The reason is said once in the thread: by the checkpoint message that holds the day.
    const why = replies.map((c) => messageText(c.msg)).filter((t) => t.includes('could not start: chaos is frozen'));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/Holding: step 2\/3 .* could not start: chaos is frozen .*payments deploy/s);
    expect(replies.some((c) => /step 2\/3 .* did not start\. Holding/.test(messageText(c.msg)))).toBe(true);
    expect(gd(e, id).holdReason).toMatch(/step 2\/3 .* could not start: chaos is frozen .*payments deploy/);
    // The refusal is said in the thread, not as a cancelled run nobody asked for.
    expect(e.store.events({ kinds: ['proposed', 'approved'] }).filter((x) => x.experimentId !== step1 && x.experimentId?.startsWith('exp-'))).toEqual([]);

    await chaos(e, `/chaos freeze remove ${/frz-[0-9a-f]+/.exec(frz.sections.join(' '))![0]}`, bob);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint' && r.next === 2, 'to run step 2');
  });

  it('a halt, and a target another run holds, refuse the same way (the start rules of any run)', async () => {
    const e = engine({ playbooks: [{}, { name: 'web-other', duration: '2s' }] });
    const id = await approved(e);
    await pastStep1(e, id);
    const other = await e.launch('web-other');
    await e.waitForPhase(other, 'observing');
    const from = e.chat.calls.length;
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held', 'to hold on the busy targets');
    expect(gd(e, id).holdReason).toMatch(/could not start: .*already under experiment/);
    await chaos(e, `/chaos abort ${other} done`, bob);
    await e.engine.runner.settle();

    await chaos(e, '/chaos halt stop', bob);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held' && /halted/.test(r.holdReason ?? ''), 'to hold on the halt');
    await e.engine.gamedays.settle();
    await e.engine.notifier.flush();
    expect(stepExperiments(e, id)).toHaveLength(1);
    expect(e.chat.calls.slice(from).filter((c) => c.op === 'post' && messageText(c.msg).includes(id))).toEqual([]);
  });
});

describe("the file's channel", () => {
  it('a day started from another channel runs in the channel its file names; --channel or in #c says otherwise', async () => {
    const e = engine();
    const reply = await chaos(e, '/chaos gameday start web-gameday', alice, '#random');
    expect(reply.errorCode).toBeUndefined();
    expect(messageText(reply)).toContain('Its card and thread are in #gameday.');
    const [first] = e.engine.gamedays.list(1);
    expect(first!.record.channel).toBe('#gameday');
    await e.engine.notifier.flush();
    expect(e.chat.calls.find((c) => c.op === 'post' && messageText(c.msg).includes(first!.record.id))?.channel).toBe('#gameday');
    await e.engine.gamedays.approve(first!.record.id, bob);
    await chaos(e, `/chaos gameday continue ${first!.record.id}`, carol, '#random');
    await waitGd(e, first!.record.id, (r) => r.state === 'checkpoint', 'to finish step 1');
    expect(stepExperiments(e, first!.record.id).map((x) => x.record.channel)).toEqual(['#gameday']);

    await chaos(e, '/chaos gameday start web-gameday --channel #ops', alice, '#random');
    expect(e.engine.gamedays.list(1)[0]!.record.channel).toBe('#ops');
    await chaos(e, '/chaos gameday start web-gameday in <#C0123ABCD|ops>', alice, '#random');
    expect(e.engine.gamedays.list(1)[0]!.record.channel).toBe('C0123ABCD');
    const bad = await chaos(e, '/chaos gameday start web-gameday --channel', alice, '#random');
    expect(bad.errorCode).toBe('command_usage');
    expect(bad.sections.join(' ')).toContain('--channel #channel or in #channel');
    expect((await chaos(e, '/chaos gameday start web-gameday in ops!', alice)).errorCode).toBe('command_usage');
  });
});

describe("the report's post-mortem links", () => {
  it("is written after the last step's post-mortem: every step links a post-mortem file that exists", async () => {
    const e = engine();
    const id = await approved(e);
    for (const step of [0, 1, 2]) {
      await chaos(e, `/chaos gameday continue ${id}`, carol);
      await waitGd(e, id, (r) => r.state !== 'running', `to finish step ${step + 1}`);
    }
    expect(gd(e, id).state).toBe('completed');
    await e.engine.gamedays.settle();
    const report = readFileSync(gd(e, id).reportPath, 'utf8');
    expect(report).not.toContain('(not written yet)');
    for (const s of gd(e, id).steps) {
      const pm = e.store.journal(s.experimentId!).find((x) => x.kind === 'postmortem')?.data as { path: string } | undefined;
      expect(pm, `step ${s.index + 1}'s post-mortem`).toBeDefined();
      expect(existsSync(pm!.path)).toBe(true);
      expect(report).toContain(`](${basename(pm!.path)})`);
    }
    // The report is journaled after the last step's post-mortem.
    const lastPm = e.store.journal(gd(e, id).steps[2]!.experimentId!).find((x) => x.kind === 'postmortem')!;
    const written = e.store.journal(id).find((x) => x.kind === 'gameday-report')!;
    expect(written.seq).toBeGreaterThan(lastPm.seq);
  });

  it('waits for the runs with a bound: a run that never finishes does not keep the report back', async () => {
    const log = new RecordingLog();
    const entry = { record: { id: 'gd-0001aa', title: 'T', channel: '#gameday', steps: [{ index: 0, experimentId: 'exp-0001aa' }] }, card: null } as unknown as StoredGameDay;
    const host = { repo: { get: () => entry, find: () => entry }, apply: () => entry } as unknown as GameDayHost;
    const experiments = { subscribe: () => undefined, runEnded: () => new Promise<void>(() => undefined) } as unknown as GameDayExperiments;
    const written: string[] = [];
    const deps = {
      log,
      postmortemWaitMs: 50,
      writeReport: async () => (written.push('report'), { path: '/tmp/gd-0001aa-gameday-report.md', text: '' }),
      journal: { record: () => undefined },
      notifier: { upload: () => undefined },
    } as unknown as ConstructorParameters<typeof GameDaySteps>[2];
    const steps = new GameDaySteps(host, experiments, deps);
    steps.report('gd-0001aa');
    await steps.settle();
    expect(written).toEqual(['report']);
    expect(log.lines.some((l) => l.msg === 'game-day report written before every step finished its post-mortem')).toBe(true);
  });
});
