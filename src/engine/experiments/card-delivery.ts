import type { MessageRef } from '../../core/ports.js';
import { within } from '../../lib/within.js';
import { approvalRecipients, approvalRequest } from '../chat/person-notices.js';
import type { Notifier } from '../chat/notifier.js';
import type { EngineDeps } from '../engine-deps.js';
import type { ApproverRoster } from './approver-roster.js';
import type { ExperimentRepo, StoredExperiment } from './experiment-repo.js';
import type { Transitions } from './transitions.js';

/** How long asking approvers by DM waits for the approver group's members. */
const APPROVER_LOOKUP_WAIT_MS = 2000;

/** Whether a card reached its channel: posted, still on its way, or the chat's reason for refusing. */
export type CardOutcome = 'posted' | 'pending' | { refused: string };

/**
 * A proposal's way into chat: its card posted on the chat's own time (a slow or absent chat never
 * holds up the proposal), its reference saved once known, its approvers asked by DM where the
 * settings say so, and the card posted again when it never arrived.
 */
export class CardDelivery {
  /** Card posts still on their way, so a caller can wait for one instead of polling. */
  private readonly posts = new Map<string, Promise<unknown>>();

  constructor(
    private readonly deps: Pick<EngineDeps, 'settings' | 'log'>,
    private readonly parts: { repo: ExperimentRepo; notifier: Notifier; transitions: Transitions; roster: ApproverRoster },
  ) {}

  /** Posts the card of a new proposal; then asks its approvers. */
  post(entry: StoredExperiment): void {
    const { record } = entry;
    this.send(entry, (card) => {
      void this.askApprovers(record.id, card ?? null).catch((err: unknown) => this.deps.log.warn({ experimentId: record.id, err }, 'asking approvers by DM failed'));
      if (!card) return;
      const current = this.parts.repo.get(record.id);
      this.parts.repo.save({ ...current, card });
      // Something happened while the card was on its way: bring it up to date.
      if (current.record.updatedAt !== record.updatedAt) this.parts.transitions.refreshCard({ ...current, card });
    });
  }

  /** Posts the card of `id` again when it never reached its channel; a card already posted stays where it is. */
  async repost(id: string, maxWaitMs: number): Promise<CardOutcome> {
    const entry = this.parts.repo.get(id);
    if (entry.card) return 'posted';
    this.send(entry, (card) => {
      if (card) this.parts.repo.save({ ...this.parts.repo.get(id), card });
    });
    return this.outcome(id, maxWaitMs);
  }

  /** Whether the card of `id` made it into its channel, waiting up to `maxWaitMs` for a post on its way. */
  async outcome(id: string, maxWaitMs: number): Promise<CardOutcome> {
    const onItsWay = this.posts.get(id);
    if (onItsWay) await within(onItsWay, maxWaitMs);
    if (this.parts.repo.get(id).card) return 'posted';
    const refused = this.parts.notifier.cardFailure(id);
    return refused ? { refused } : 'pending';
  }

  private send(entry: StoredExperiment, then: (card: MessageRef | undefined) => void): void {
    const id = entry.record.id;
    const posted: Promise<void> = this.parts.notifier
      .postCard(id, entry.record.channel, this.parts.transitions.card(entry))
      .then(then)
      .catch((err: unknown) => this.deps.log.error({ experimentId: id, err }, 'saving the card reference failed'))
      .finally(() => {
        if (this.posts.get(id) === posted) this.posts.delete(id);
      });
    this.posts.set(id, posted);
  }

  /** With `askApprovers: dm | both`, each approver (the group's members as looked up now) gets the card by DM. */
  private async askApprovers(id: string, card: MessageRef | null): Promise<void> {
    const how = this.deps.settings.askApprovers ?? 'channel';
    if (how === 'channel' || this.parts.repo.get(id).record.gameDay) return;
    // Bounded: a slow lookup asks those known so far.
    await this.parts.roster.refresh(APPROVER_LOOKUP_WAIT_MS);
    const entry = this.parts.repo.get(id);
    if (entry.record.state !== 'proposed') return;
    const request = approvalRequest(entry.record, this.parts.transitions.card(entry));
    for (const user of approvalRecipients(this.parts.roster.now(), entry.record.proposedBy)) {
      this.parts.notifier.direct(user, request, { linkTo: { key: id, ref: card } });
    }
  }
}
