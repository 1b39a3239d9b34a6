import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebClient } from '@slack/web-api';
import { HomeDesk } from '../../src/adapters/chat/slack/home.js';
import { HOME_ACTIONS, HOME_MAX_BLOCKS, homeView, type HomeData } from '../../src/adapters/chat/slack/home-blocks.js';
import type { EngineFacade } from '../../src/engine/facade.js';

const NOW = Date.UTC(2026, 11, 4, 2, 30, 0);

/** A fixed state: one run, one game day, one proposal for U0BOB, two past runs, one freeze. */
export const FIXED: HomeData = {
  user: 'U0BOB',
  now: NOW,
  halt: null,
  running: [{ id: 'exp-7f3a2c', name: 'checkout-errors', phase: 'observing', proposedBy: 'U0ALICE', endsAt: NOW + 25_000 }],
  gameDays: [{ id: 'gd-19b0aa', title: 'Checkout resilience day', state: 'checkpoint', step: '2 steps, next is 2', proposedBy: 'U0CAROL' }],
  waiting: [{ kind: 'experiment', id: 'exp-88e1d0', name: 'checkout-latency', proposedBy: 'U0ALICE', proposedAt: NOW - 60_000 }],
  recent: [
    { id: 'exp-0a11b2', name: 'checkout-errors', state: 'aborted', verdict: 'refuted', at: NOW - 3_600_000, link: 'https://example.slack.com/archives/C0CHAOS/p1764815400000100' },
    { id: 'exp-0a11b1', name: 'checkout-latency', state: 'completed', verdict: 'confirmed', at: NOW - 7_200_000 },
  ],
  freezes: [{ what: 'freeze: Black Friday', until: NOW + 86_400_000 }],
};

type Block = Record<string, any>;
const buttons = (blocks: Block[]): Block[] => blocks.flatMap((b) => [...(b.accessory ? [b.accessory] : []), ...(b.elements ?? []).filter((e: Block) => e.type === 'button')]);

describe('homeView: the Home tab as Block Kit', () => {
  it('running experiments and game days with Abort, approvals with Approve/Reject, recent runs with verdicts and links, freezes', () => {
    const view = homeView(FIXED);
    expect(view.type).toBe('home');
    const json = JSON.stringify(view);
    const all = buttons(view.blocks as Block[]);
    expect(all).toContainEqual(expect.objectContaining({ action_id: 'abort', value: 'exp-7f3a2c', style: 'danger' }));
    expect(all).toContainEqual(expect.objectContaining({ action_id: 'gdabort', value: 'gd-19b0aa' }));
    expect(all).toContainEqual(expect.objectContaining({ action_id: 'approve', value: 'exp-88e1d0', style: 'primary' }));
    expect(all).toContainEqual(expect.objectContaining({ action_id: 'reject', value: 'exp-88e1d0' }));
    expect(json).toContain('observing, 25 s left');
    expect(json).toContain('verdict *refuted*');
    expect(json).toContain('<https://example.slack.com/archives/C0CHAOS/p1764815400000100|thread>');
    expect(json).toContain('Black Friday');
    expect(json).toContain('<@U0ALICE>');
    // For Block Kit Builder (app.slack.com/block-kit-builder, "Home tab").
    writeFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'slack-home.json'), `${JSON.stringify(view, null, 2)}\n`);
  });

  it('Halt asks for confirmation first; when halted, Resume does', () => {
    const halt = buttons(homeView(FIXED).blocks as Block[]).find((b) => b.action_id === HOME_ACTIONS.halt)!;
    expect(halt.confirm).toMatchObject({ title: { text: 'Halt all chaos?' }, confirm: { text: 'Halt' }, deny: { text: 'Cancel' }, style: 'danger' });
    const halted = homeView({ ...FIXED, halt: { reason: 'incident', by: 'U0CAROL', at: NOW - 1000 } });
    const all = buttons(halted.blocks as Block[]);
    expect(all.find((b) => b.action_id === HOME_ACTIONS.halt)).toBeUndefined();
    expect(all.find((b) => b.action_id === HOME_ACTIONS.resume)?.confirm).toMatchObject({ title: { text: 'Resume chaos?' } });
    expect(JSON.stringify(halted)).toContain('Chaos is halted');
  });

  it('empty sections say so; a proposed game day has no Abort; game-day approvals use the game-day ids', () => {
    const view = homeView({ ...FIXED, running: [], gameDays: [], waiting: [{ kind: 'gameday', id: 'gd-1', name: 'day', proposedBy: 'U0ALICE', proposedAt: NOW }], recent: [], freezes: [] });
    const json = JSON.stringify(view);
    expect(json).toContain('Nothing is running.');
    expect(json).toContain('No freeze in force.');
    expect(buttons(view.blocks as Block[]).map((b) => b.action_id)).toEqual([HOME_ACTIONS.halt, 'gdapprove', 'gdreject']);
    const proposedDay = homeView({ ...FIXED, gameDays: [{ ...FIXED.gameDays[0]!, state: 'proposed' }] });
    expect(buttons(proposedDay.blocks as Block[]).some((b) => b.action_id === 'gdabort')).toBe(false);
  });

  it('stays within 100 blocks, and playbook text cannot mention anyone', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ id: `exp-${i}`, name: '<!channel> *bold*', phase: 'observing', proposedBy: 'U0ALICE', endsAt: null }));
    const view = homeView({ ...FIXED, running: many, waiting: many.map((m) => ({ kind: 'experiment' as const, id: m.id, name: m.name, proposedBy: 'U0ALICE', proposedAt: NOW })) });
    expect(view.blocks.length).toBeLessThanOrEqual(HOME_MAX_BLOCKS);
    expect(JSON.stringify(view)).toContain('and 30 more experiments');
    expect(JSON.stringify(view)).not.toContain('<!channel>');
  });
});

function fakeEngine(): EngineFacade {
  return {
    now: () => NOW,
    experiments: { approversNow: () => ['U0BOB'], active: () => [], list: () => [], haltState: () => null },
    gamedays: { active: () => [] },
    freezes: { overview: () => ({ active: null, windows: [], incidentFreezes: [] }) },
  } as unknown as EngineFacade;
}

describe('HomeDesk: kept current, debounced', () => {
  afterEach(() => vi.useRealTimers());

  it('publishes at once on open, then at most once per person per 2 s however many changes come', async () => {
    vi.useFakeTimers();
    const published: string[] = [];
    const client = { views: { publish: vi.fn(async (a: { user_id: string }) => void published.push(a.user_id)) } } as unknown as WebClient;
    const log = { info() {}, warn() {}, error() {}, debug() {} };
    const desk = new HomeDesk(client, fakeEngine(), log, { globalGapMs: 10, now: () => Date.now() });
    desk.opened('U0BOB');
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual(['U0BOB']);
    // A reading every 100 ms for 5 s.
    for (let i = 0; i < 50; i++) {
      desk.changed();
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(3000);
    expect(published.length).toBeGreaterThanOrEqual(3);
    expect(published.length).toBeLessThanOrEqual(4);
    desk.stop();
  });

  it('two people at once are spaced by the global gap; nobody who never opened is published', async () => {
    vi.useFakeTimers();
    const at: Array<[string, number]> = [];
    const client = { views: { publish: vi.fn(async (a: { user_id: string }) => void at.push([a.user_id, Date.now()])) } } as unknown as WebClient;
    const desk = new HomeDesk(client, fakeEngine(), { info() {}, warn() {}, error() {}, debug() {} }, { globalGapMs: 700, now: () => Date.now() });
    desk.opened('U0BOB');
    desk.opened('U0CAROL');
    await vi.advanceTimersByTimeAsync(2000);
    expect(at.map(([u]) => u).sort()).toEqual(['U0BOB', 'U0CAROL']);
    expect(at[1]![1] - at[0]![1]).toBeGreaterThanOrEqual(700);
    desk.stop();
  });

  it('a 429 pushes the next publish back by its Retry-After and the person still gets the Home', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const client = {
      views: {
        publish: vi.fn(async () => {
          calls += 1;
          if (calls === 1) throw Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: 3 });
        }),
      },
    } as unknown as WebClient;
    const desk = new HomeDesk(client, fakeEngine(), { info() {}, warn() {}, error() {}, debug() {} }, { globalGapMs: 10, now: () => Date.now() });
    desk.opened('U0BOB');
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1500);
    expect(calls).toBe(2);
    desk.stop();
  });
});

describe('deploy/slack-app-manifest.yaml: the Home tab', () => {
  it('enables the Home tab and subscribes to app_home_opened at the events URL', async () => {
    const { parse } = await import('yaml');
    const { readFileSync } = await import('node:fs');
    const manifest = parse(readFileSync(new URL('../../deploy/slack-app-manifest.yaml', import.meta.url), 'utf8'));
    expect(manifest.features.app_home).toMatchObject({ home_tab_enabled: true, messages_tab_enabled: true });
    expect(manifest.settings.event_subscriptions).toEqual({ request_url: 'https://faultline.example.com/slack/events', bot_events: ['app_home_opened'] });
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['im:write', 'users:read', 'usergroups:read', 'files:write']));
  });
});
