import { ErrorCode, type WebClient } from '@slack/web-api';
import type { AdapterLogger, MessageRef } from '../../../core/ports.js';
import type { EngineFacade } from '../../../engine/facade.js';
import { homeView, type HomeData } from './home-blocks.js';

export interface HomeOptions {
  /** At most one publish per person in this span (default 2 s): a run's readings do not each republish. */
  perUserGapMs?: number;
  /** At least this long between any two publishes (default 700 ms, about 85 a minute: under views.publish's Tier 4). */
  globalGapMs?: number;
  /** People who opened their Home longer ago than this are no longer kept current (default 30 min). */
  viewerTtlMs?: number;
  /** At most this many people are kept current (default 50, the latest openers). */
  maxViewers?: number;
  /** A link to a card's thread (ChatPort.permalink / chat.getPermalink); cached per card. */
  permalink?: (ref: MessageRef) => Promise<string | undefined>;
  now?: () => number;
}

const RECENT = 5;

/** Gathers one person's Home from the engine, as plain data for `homeView`. */
export function homeData(engine: EngineFacade, user: string, links: ReadonlyMap<string, string | undefined> = new Map(), notice?: string): HomeData {
  const now = engine.now();
  const approvers = engine.experiments.approversNow();
  const mayApprove = approvers.includes(user);
  const active = engine.experiments.active();
  const overview = engine.freezes.overview();
  const gameDays = engine.gamedays.active();
  const recent = engine.experiments
    .list(200)
    .filter((e) => e.record.proposedBy.id === user)
    .slice(0, RECENT);
  return {
    user,
    now,
    halt: engine.experiments.haltState(),
    running: active
      .filter((e) => e.record.state === 'running')
      .map(({ record: r }) => ({ id: r.id, name: r.name, phase: r.phase, proposedBy: r.proposedBy.id, endsAt: r.endsAt, gameDay: r.gameDay?.id })),
    gameDays: gameDays.map(({ record: g }) => ({
      id: g.id,
      title: g.title,
      state: g.state,
      step: g.current !== null ? `step ${g.current + 1} of ${g.steps.length} (${g.steps[g.current]?.name ?? '?'})` : `${g.steps.length} steps, next is ${Math.min(g.next + 1, g.steps.length)}`,
      proposedBy: g.proposedBy.id,
    })),
    waiting: mayApprove
      ? [
          ...active
            .filter((e) => e.record.state === 'proposed' && e.record.proposedBy.id !== user && !e.record.gameDay)
            .map(({ record: r }) => ({ kind: 'experiment' as const, id: r.id, name: r.name, proposedBy: r.proposedBy.id, proposedAt: r.proposedAt })),
          ...gameDays
            .filter((g) => g.record.state === 'proposed' && g.record.proposedBy.id !== user)
            .map(({ record: g }) => ({ kind: 'gameday' as const, id: g.id, name: g.title, proposedBy: g.proposedBy.id, proposedAt: g.proposedAt })),
        ]
      : [],
    recent: recent.map(({ record: r, card }) => ({
      id: r.id,
      name: r.name,
      state: r.state,
      verdict: r.verdict,
      at: r.endedAt ?? r.startedAt ?? r.proposedAt,
      link: card ? links.get(refKey(card)) : undefined,
    })),
    freezes: [
      ...(overview.active ? [{ what: `freeze: ${overview.active.window.reason}`, until: overview.active.until }] : []),
      ...overview.incidentFreezes.map((f) => ({ what: `service ${f.serviceId} frozen by incident ${f.incident.number ?? f.incident.id} (${f.incident.title})`, until: f.until })),
    ],
    ...(notice ? { notice } : {}),
  };
}

const refKey = (ref: MessageRef) => `${ref.channel}/${ref.ts}`;

/**
 * Keeps the Home tab of the people who opened it recently current: `opened` publishes at once,
 * `changed` republishes each of them at most once per `perUserGapMs`, and no two publishes leave
 * closer than `globalGapMs` (a 429 pushes the next one back by its Retry-After). Never throws.
 */
export class HomeDesk {
  private readonly viewers = new Map<string, number>();
  private readonly lastPublish = new Map<string, number>();
  private readonly due = new Map<string, number>();
  private readonly notices = new Map<string, string>();
  private readonly links = new Map<string, string | undefined>();
  private notBefore = 0;
  private timer: NodeJS.Timeout | undefined;
  private publishing = false;
  private stopped = false;
  private readonly perUserGapMs: number;
  private readonly globalGapMs: number;
  private readonly viewerTtlMs: number;
  private readonly maxViewers: number;
  private readonly now: () => number;

  constructor(
    private readonly client: WebClient,
    private readonly engine: EngineFacade,
    private readonly log: AdapterLogger,
    private readonly opts: HomeOptions = {},
  ) {
    this.perUserGapMs = opts.perUserGapMs ?? 2000;
    this.globalGapMs = opts.globalGapMs ?? 700;
    this.viewerTtlMs = opts.viewerTtlMs ?? 30 * 60_000;
    this.maxViewers = opts.maxViewers ?? 50;
    this.now = opts.now ?? Date.now;
  }

  /** `app_home_opened` on the Home tab: remember the person and publish now. */
  opened(user: string): void {
    this.viewers.delete(user);
    this.viewers.set(user, this.now());
    while (this.viewers.size > this.maxViewers) this.viewers.delete(this.viewers.keys().next().value!);
    this.schedule(user, this.now());
  }

  /** Something changed (a transition, a halt, a freeze): republish for everyone who looks, debounced. */
  changed(): void {
    const now = this.now();
    for (const [user, at] of this.viewers) {
      if (now - at > this.viewerTtlMs) this.viewers.delete(user);
      else this.schedule(user, (this.lastPublish.get(user) ?? 0) + this.perUserGapMs);
    }
  }

  /** A refused click on the Home: shown on top of that person's Home until the next change. */
  notice(user: string, text: string): void {
    this.notices.set(user, text);
    if (!this.viewers.has(user)) this.viewers.set(user, this.now());
    this.schedule(user, this.now());
  }

  /** Publishes now (for tests and the first open); resolves when Slack answered. */
  async publish(user: string): Promise<void> {
    const notice = this.notices.get(user);
    this.notices.delete(user);
    try {
      await this.fetchLinks(user);
      const view = homeView(homeData(this.engine, user, this.links, notice));
      await this.client.views.publish({ user_id: user, view: view as never });
    } catch (err) {
      const retryAfter = (err as { code?: string }).code === ErrorCode.RateLimitedError ? (err as { retryAfter?: number }).retryAfter : undefined;
      if (retryAfter !== undefined) {
        this.notBefore = this.now() + Math.max(1, retryAfter) * 1000;
        this.schedule(user, this.notBefore);
      }
      this.log.warn({ user, err, retryAfter }, 'publishing the home tab failed');
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async fetchLinks(user: string): Promise<void> {
    const permalink = this.opts.permalink;
    if (!permalink) return;
    const mine = this.engine.experiments
      .list(200)
      .filter((e) => e.record.proposedBy.id === user && e.card)
      .slice(0, RECENT);
    for (const { card } of mine) {
      const key = refKey(card!);
      if (this.links.has(key)) continue;
      this.links.set(key, await permalink(card!).catch(() => undefined));
    }
  }

  private schedule(user: string, at: number): void {
    if (this.stopped) return;
    const current = this.due.get(user);
    if (current === undefined || at < current) this.due.set(user, at);
    this.pump();
  }

  /** One timer for everyone: the earliest due person goes next, no sooner than the global gap allows. */
  private pump(): void {
    if (this.stopped || this.publishing) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next: [string, number] | undefined;
    for (const entry of this.due) if (!next || entry[1] < next[1]) next = entry;
    if (!next) return;
    const [user, dueAt] = next;
    const wait = Math.max(0, dueAt - this.now(), this.notBefore - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due.delete(user);
      this.publishing = true;
      const at = this.now();
      this.lastPublish.set(user, at);
      this.notBefore = Math.max(this.notBefore, at + this.globalGapMs);
      void this.publish(user).finally(() => {
        this.publishing = false;
        this.pump();
      });
    }, wait);
    this.timer.unref();
  }
}
