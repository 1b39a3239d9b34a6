import { actorLabel, type Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { message } from '../../core/message.js';
import { grantPlaybookStanding, PlaybookStanding, playbookStandingStatus } from '../../core/playbook-standing.js';
import { specHash } from '../../core/schedule.js';
import type { StandingStatus } from '../../core/schedule-standing.js';
import { errorText } from '../../core/errors.js';
import type { Store } from '../../store/index.js';
import type { Journal } from '../journal.js';
import type { ExperimentService, ProposeOverrides } from './experiment-service.js';

const KEY = (playbook: string) => `standing:playbook:${playbook}`;

/** What a pipeline run (`faultline run`) was: proposed only, or started under a standing approval. */
export interface LaunchedRun {
  experimentId: string;
  standing: StandingStatus;
}

/**
 * Standing approvals of playbooks for pipeline runs, and the launch of such a run: proposed as the
 * pipeline, then, when a standing approval covers exactly this plan, approved by its approver and
 * started, with a line in the thread saying under whose approval. Otherwise the proposal waits for a
 * person, like any other.
 */
export class StandingDesk {
  constructor(
    private readonly deps: {
      experiments: ExperimentService;
      store: Store;
      journal: Journal;
      clock: Clock;
      settings: { standingApprovalDefault: number; standingApprovalMax: number };
    },
  ) {}

  grant(playbook: string, actor: Actor, opts: { forMs?: number; selector?: Record<string, string> } = {}): PlaybookStanding {
    const { experiments, store, journal, clock, settings } = this.deps;
    const spec = experiments.specFor(playbook, opts.selector ? { selector: opts.selector } : {});
    const granted = grantPlaybookStanding({
      playbook,
      selector: opts.selector ?? null,
      actor,
      approvers: experiments.approversNow(),
      ...(opts.forMs !== undefined ? { forMs: opts.forMs } : {}),
      defaultMs: settings.standingApprovalDefault,
      maxMs: settings.standingApprovalMax,
      specHash: specHash([spec]),
      now: clock.now(),
    });
    store.transaction(() => {
      store.settings.set(KEY(playbook), JSON.stringify(granted));
      journal.record('standing-granted', null, actor, { playbook, selector: granted.selector, expiresAt: granted.expiresAt, specHash: granted.specHash });
    });
    return granted;
  }

  /** Anyone may take it away: fewer runs without a person is never less safe. True if there was one. */
  revoke(playbook: string, actor: Actor): boolean {
    const { store, journal } = this.deps;
    const had = this.get(playbook) !== null;
    store.transaction(() => {
      store.settings.set(KEY(playbook), undefined);
      journal.record('standing-revoked', null, actor, { playbook, had });
    });
    return had;
  }

  get(playbook: string): PlaybookStanding | null {
    const raw = this.deps.store.settings.get(KEY(playbook));
    if (!raw) return null;
    const parsed = PlaybookStanding.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  /** Whether a run of `playbook` with `overrides`, proposed by `proposer`, is covered now. */
  status(playbook: string, overrides: ProposeOverrides, proposer: Actor): StandingStatus {
    const st = this.get(playbook);
    let current: { hash: string } | { error: string };
    try {
      // A standing approval on targets covers runs on those targets: its selector is part of the run.
      current = { hash: specHash([this.deps.experiments.specFor(playbook, { ...overrides, ...(st?.selector ? { selector: st.selector } : {}) })]) };
    } catch (err) {
      current = { error: errorText(err) };
    }
    return playbookStandingStatus(st, current, proposer, this.deps.clock.now());
  }

  /** Proposes the run as `actor`; approves and starts it when a standing approval covers it. */
  async launch(input: { playbook: string; overrides: ProposeOverrides; actor: Actor; channel?: string }): Promise<LaunchedRun> {
    const { experiments } = this.deps;
    const standing = this.status(input.playbook, input.overrides, input.actor);
    const st = standing.ok ? this.get(input.playbook) : null;
    const overrides = st?.selector ? { ...input.overrides, selector: st.selector } : input.overrides;
    const { record } = await experiments.propose({ playbook: input.playbook, overrides, actor: input.actor, ...(input.channel ? { channel: input.channel } : {}) });
    if (!standing.ok) return { experimentId: record.id, standing };
    await experiments.approve(record.id, standing.by);
    experiments.note(
      record.id,
      message({ tone: 'warning', sections: [`Pipeline run by ${actorLabel(input.actor)}, under the standing approval of ${actorLabel(standing.by)} (until ${new Date(standing.expiresAt).toISOString()}). Anyone can abort it from the card.`] }),
    );
    await experiments.start(record.id, input.actor);
    return { experimentId: record.id, standing };
  }
}
