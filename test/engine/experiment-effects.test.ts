import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.js';
import type { ExperimentRecord } from '../../src/core/experiment.js';
import type { Effect, LifecycleEvent } from '../../src/core/lifecycle.js';
import type { Message } from '../../src/core/message.js';
import type { Notifier } from '../../src/engine/chat/notifier.js';
import { ExperimentRepo } from '../../src/engine/experiments/experiment-repo.js';
import { Transitions } from '../../src/engine/experiments/transitions.js';
import { Journal } from '../../src/engine/journal.js';
import { openStore, type Store } from '../../src/store/index.js';
import { makeRecord, MIN, T0 } from '../core/fixtures.js';
import { legalTransitions } from '../core/lifecycle-events.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { ScriptedSignal } from '../fakes/scripted-signal.js';
import { CANDIDATES, HEALTHY, parsePlaybook, playbookYaml } from './engine-harness.js';

/**
 * Every effect type the experiment machine can return, and how the engine performs it. A Record over the
 * union: an effect type added to the core without a line here fails the typecheck, as it fails the
 * exhaustive switch in Transitions.
 */
const PERFORMED: Record<Effect['type'], string> = {
  notify: 'a reply in the experiment thread',
};

const NOW = T0 + 5 * MIN;
const legal = legalTransitions(NOW);

describe('the experiment machine returns only effects the engine performs', () => {
  it('every effect type a transition returns is performed, and every performed type is returned by some transition', () => {
    expect(legal.length).toBeGreaterThan(20);
    const returned = new Set(legal.flatMap((t) => t.result.effects.map((e) => e.type)));
    for (const type of returned) expect(Object.keys(PERFORMED), `effect "${type}" is returned but not performed`).toContain(type);
    for (const type of Object.keys(PERFORMED)) expect([...returned], `effect "${type}" is performed but never returned`).toContain(type);
  });

  it("a run's steps are not effects: each step transition moves the stored phase, which the runner follows", () => {
    const steps = legal.filter((t) => t.before.state === 'running' && t.result.state.state === 'running' && t.result.state.phase !== t.before.phase);
    expect(steps.map((t) => t.key).sort()).toEqual([
      'abort @ running/injecting',
      'abort @ running/observing',
      'duration-elapsed @ running/observing',
      'inject-failed @ running/injecting',
      'injected @ running/injecting',
      'precheck-passed @ running/prechecking',
      'reverted @ running/reverting',
    ]);
    for (const t of steps) expect(t.result.effects.every((e) => e.type === 'notify')).toBe(true);
  });
});

interface Reply {
  key: string;
  channel: string;
  msg: Message;
}

describe('Transitions performs every effect of a transition', () => {
  let store: Store | undefined;
  let dir: string | undefined;
  afterEach(() => {
    store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    store = undefined;
    dir = undefined;
  });

  function setUp(onTransition?: (before: ExperimentRecord, after: ExperimentRecord) => void) {
    dir = mkdtempSync(join(tmpdir(), 'faultline-effects-'));
    store = openStore({ path: join(dir, 'faultline.db') });
    const repo = new ExperimentRepo(store);
    const journal = new Journal(store, { now: () => NOW });
    const replies: Reply[] = [];
    const notifier = { reply: (key: string, _ref: unknown, channel: string, msg: Message) => void replies.push({ key, channel, msg }), updateCard: () => undefined } as unknown as Notifier;
    const log = new RecordingLog();
    const spec = parsePlaybook(playbookYaml(), new MemoryTarget(CANDIDATES), new ScriptedSignal(HEALTHY));
    const transitions = new Transitions(repo, journal, notifier, { now: () => NOW }, () => ['U_BOB', 'U_CAROL'], onTransition, log);
    const apply = (record: ExperimentRecord, event: LifecycleEvent, actor?: Actor) => {
      repo.save({ record, spec, card: null });
      return transitions.apply(record.id, event, actor);
    };
    return { apply, replies, log, repo };
  }

  it('every legal transition: each notice it returns is a reply in the thread, in order, and nothing is left unperformed', () => {
    const { apply, replies, log } = setUp();
    for (const t of legal) {
      replies.length = 0;
      const { effects } = apply(t.before, t.event);
      expect(effects, t.key).toEqual(t.result.effects);
      const said = effects.map((e) => ({ key: t.before.id, channel: t.before.channel, msg: { tone: e.tone, subject: t.before.id, sections: [e.text] } }));
      expect(replies.map((r) => ({ key: r.key, channel: r.channel, msg: { tone: r.msg.tone, subject: r.msg.subject, sections: r.msg.sections } })), t.key).toEqual(said);
    }
    expect(log.messages('error')).toEqual([]);
  });

  it('a listener that throws is logged with its Error, and the transition stands', () => {
    const failure = new Error('listener broke');
    const { apply, log, repo } = setUp(() => {
      throw failure;
    });
    const { entry } = apply(makeRecord('running', 'observing'), { type: 'duration-elapsed' });
    expect(entry.record.phase).toBe('reverting');
    expect(repo.get(entry.record.id).record.phase).toBe('reverting');
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([{ level: 'warn', msg: 'transition listener failed', obj: { err: failure, experimentId: entry.record.id } }]);
  });
});
