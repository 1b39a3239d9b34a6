import { describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../src/core/actor.js';
import { gameDayTransition, type GameDayEffect, type GameDayEvent } from '../../src/core/gameday-lifecycle.js';
import { alice, bob, carol, engineFactory, waitFor, type Engine } from './engine-harness.js';
import { plainMentions } from '../../src/core/mention.js';

/**
 * Every effect type the game-day machine can return, and what of the service performs it. A Record over
 * the union: an effect type added to the core without a line here fails the typecheck, as it fails the
 * exhaustive switch in GameDayService.
 */
const PERFORMED: Record<GameDayEffect['type'], string> = {
  notify: 'a reply in the game-day thread',
  'start-step': 'steps.launch',
  'abort-step': 'steps.abortStep',
  checkpoint: 'steps.postCheckpoint',
  'write-report': 'steps.report',
};

const gameDayYaml = `
kind: GameDay
name: web-gameday
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol, scribe: dave, observers: [erin] }
autoContinue: never
steps:
  - { playbook: web-latency, blastRadius: one, duration: 150ms }
  - { playbook: web-latency, blastRadius: 'count:2', duration: 150ms }
`;

const engine = engineFactory({ gamedays: [gameDayYaml] });

const held = (index: number): GameDayEvent => ({ type: 'step-ended', outcome: { index, state: 'completed', verdict: 'held', summary: null } });
const aborted = (index: number): GameDayEvent => ({ type: 'step-ended', outcome: { index, state: 'aborted', verdict: 'inconclusive', summary: 'game day aborted' } });

/** The service with its step runner stubbed: what each effect asks of it is recorded, nothing runs. */
function stubbedSteps(e: Engine) {
  const svc = e.engine.gamedays;
  return {
    svc,
    launch: vi.spyOn(svc.steps, 'launch').mockImplementation(() => undefined),
    abortStep: vi.spyOn(svc.steps, 'abortStep').mockImplementation(() => undefined),
    postCheckpoint: vi.spyOn(svc.steps, 'postCheckpoint').mockImplementation(() => undefined),
    report: vi.spyOn(svc.steps, 'report').mockImplementation(() => undefined),
  };
}

describe('the game-day machine returns only effects the service performs', () => {
  it('driven through its transitions, every effect it returns is performed by GameDayService, and every performed type occurs', async () => {
    const e = engine();
    const { svc, launch, abortStep, postCheckpoint, report } = stubbedSteps(e);
    const policy = { approvers: e.settings.approval.approvers, ttlMs: e.settings.approval.ttlMs, proposalTtlMs: e.settings.proposalTtlMs };
    const returned: Array<{ id: string; effect: GameDayEffect }> = [];

    /** Applies the event through the service, and keeps what the pure machine returns for it. */
    const step = (id: string, event: GameDayEvent, actor: Actor) => {
      const { effects } = gameDayTransition(svc.get(id).record, event, e.clock.now());
      svc.apply(id, event, actor);
      for (const effect of effects) returned.push({ id, effect });
    };
    const proposed = async () => (await svc.propose({ name: 'web-gameday', actor: alice })).record;

    // Two steps held, a checkpoint, then an abort with a step in flight, and its end.
    const a = await proposed();
    step(a.id, { type: 'approve', actor: bob, currentPlanHash: a.planHash, policy }, bob);
    step(a.id, { type: 'continue', actor: carol }, carol);
    step(a.id, { type: 'step-started', index: 0, experimentId: 'exp-a0' }, carol);
    step(a.id, held(0), carol);
    step(a.id, { type: 'hold', actor: carol, reason: 'the dashboards lag' }, carol);
    step(a.id, { type: 'continue', actor: carol }, carol);
    step(a.id, { type: 'step-started', index: 1, experimentId: 'exp-a1' }, carol);
    step(a.id, { type: 'abort', actor: alice, reason: 'customers complain' }, alice);
    step(a.id, aborted(1), alice);

    // A step that could not start, then an interruption with nothing in flight.
    const b = await proposed();
    step(b.id, { type: 'approve', actor: bob, currentPlanHash: b.planHash, policy }, bob);
    step(b.id, { type: 'continue', actor: carol }, carol);
    step(b.id, { type: 'step-refused', index: 0, reason: 'target busy' }, carol);
    step(b.id, { type: 'continue', actor: carol }, carol);
    step(b.id, { type: 'interrupt', reason: 'the bot is shutting down', stepInFlight: false }, carol);

    // Closed before it ran.
    const c = await proposed();
    step(c.id, { type: 'reject', actor: bob, reason: 'not this week', authority: { approvers: e.settings.approval.approvers } }, bob);

    const types = new Set(returned.map((r) => r.effect.type));
    expect([...types].sort()).toEqual(Object.keys(PERFORMED).sort());

    const of = <T extends GameDayEffect['type']>(type: T) => returned.filter((r): r is { id: string; effect: Extract<GameDayEffect, { type: T }> } => r.effect.type === type);
    expect(launch.mock.calls).toEqual(of('start-step').map((r) => [r.id, r.effect.index, carol]));
    expect(abortStep.mock.calls).toEqual(of('abort-step').map((r) => [r.effect.experimentId, alice, r.effect.reason]));
    expect(postCheckpoint.mock.calls.map(([entry, beforeStep]) => [entry.record.id, beforeStep])).toEqual(of('checkpoint').map((r) => [r.id, r.effect.beforeStep]));
    expect(report.mock.calls).toEqual(of('write-report').map((r) => [r.id]));
    const notices = of('notify').map((r) => plainMentions(`${r.id}: ${r.effect.text}`));
    expect(notices.length).toBeGreaterThan(5);
    await waitFor('every notice in the thread', () => notices.every((n) => e.chat.transcript().includes(n)));
    expect(e.log.messages('error')).toEqual([]);
  });
});
