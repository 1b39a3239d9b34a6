import { SYSTEM, type Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { experimentCard } from '../../core/experiment-card.js';
import type { ExperimentRecord } from '../../core/experiment.js';
import type { GuardrailResult } from '../../core/guardrails.js';
import { transition, type Effect, type LifecycleEvent } from '../../core/lifecycle.js';
import { message } from '../../core/message.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { ExperimentRepo, StoredExperiment } from './experiment-repo.js';
import type { Journal } from '../journal.js';
import type { Notifier } from '../chat/notifier.js';
import { approverMentions } from '../../core/mention.js';

const phaseOf = (r: ExperimentRecord) => (r.phase ? `${r.state}/${r.phase}` : r.state);

/**
 * The one place a transition is applied: decide in the core, then persist, journal and perform every
 * effect the core returned (`perform`). Synchronous up to the chat calls, so two callers can never
 * interleave a transition. The run's steps are not effects: the runner takes them from the stored phase.
 */
export class Transitions {
  /** Latest guardrail results per experiment, shown on the live card. */
  readonly liveGuardrails = new Map<string, GuardrailResult[]>();

  constructor(
    private readonly repo: ExperimentRepo,
    private readonly journal: Journal,
    private readonly notifier: Notifier,
    private readonly clock: Clock,
    private readonly approvers: () => readonly string[],
    private readonly onTransition?: (before: ExperimentRecord, after: ExperimentRecord, card: StoredExperiment['card']) => void,
    private readonly log?: AdapterLogger,
  ) {}

  apply(id: string, event: LifecycleEvent, actor: Actor = SYSTEM): { entry: StoredExperiment; effects: Effect[] } {
    const entry = this.repo.get(id);
    const now = this.clock.now();
    const { state, effects } = transition(entry.record, event, now);
    const next: StoredExperiment = { ...entry, record: state };
    const reason = 'reason' in event ? event.reason : undefined;
    this.repo.saveWith(next, () => this.journal.record('transition', id, actor, { event: event.type, from: phaseOf(entry.record), to: phaseOf(state), ...(reason ? { reason } : {}) }));
    // What an abort (or a halt, which aborts) says in the thread goes before anything else queued there.
    for (const e of effects) this.perform(next, e, event.type === 'abort');
    this.refreshCard(next, state.state !== 'running');
    try {
      this.onTransition?.(entry.record, state, next.card);
    } catch (err) {
      // A listener's failure is its own; the transition has happened.
      this.log?.warn({ err, experimentId: id }, 'transition listener failed');
    }
    return { entry: next, effects };
  }

  /** Performs one effect of a transition. Exhaustive: an effect type added to the core and not performed here fails the typecheck. */
  private perform(entry: StoredExperiment, e: Effect, urgent: boolean): void {
    const { id, channel } = entry.record;
    switch (e.type) {
      case 'notify':
        this.notifier.reply(id, entry.card, channel, message({ tone: e.tone, subject: id, sections: [e.text] }), { urgent });
        return;
      default: {
        const unperformed: never = e.type;
        this.log?.error({ experimentId: id, effect: unperformed }, 'effect not performed');
      }
    }
  }

  refreshCard(entry: StoredExperiment, force = false): void {
    this.notifier.updateCard(entry.record.id, entry.card, this.card(entry), force);
  }

  card(entry: StoredExperiment) {
    return experimentCard(entry.record, {
      hypothesis: entry.spec.hypothesis,
      ...(entry.spec.title ? { title: entry.spec.title } : {}),
      approvers: approverMentions(this.approvers(), entry.record.proposedBy.id),
      now: this.clock.now(),
      guardrails: this.liveGuardrails.get(entry.record.id) ?? [],
      pagerduty: entry.spec.pagerduty.services,
    });
  }
}
