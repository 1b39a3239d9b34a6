import { linkedServices } from '../../core/linked-services.js';
import { SYSTEM, type Actor } from '../../core/actor.js';
import { errorText } from '../../core/errors.js';
import { message, type Message } from '../../core/message.js';
import { DEFAULT_ONCALL_TIMEOUT_MS, type OnCallHandshake } from '../../core/oncall.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { OnCallDesk } from '../guards/oncall-desk.js';
import type { StoredExperiment } from './experiment-repo.js';
import type { ExperimentRecord } from '../../core/experiment.js';

/** What an experiment's on-call handshake needs of the experiments API. */
export interface OnCallGateDeps {
  onCalls: OnCallDesk;
  /** Services linked to every run (config), on top of the playbook's own. */
  linkedServices: readonly string[];
  log: AdapterLogger;
  /** The start, run again once the on-call acknowledged (every rule checked again). */
  startAgain(id: string, actor: Actor): Promise<unknown>;
  note(id: string, msg: Message): void;
}

/**
 * The on-call handshake before a start: nothing when the playbook does not ask for one (a game-day
 * step: its day asks) or the on-call acknowledged within its timeout; else asks and returns the
 * handshake. When they acknowledge, the start runs again as `actor`; a refusal then is said in the thread.
 */
export async function onCallGate(entry: StoredExperiment, actor: Actor, deps: OnCallGateDeps): Promise<OnCallHandshake | undefined> {
  const { id } = entry.record;
  if (entry.spec.onCall !== 'require' || entry.record.gameDay) return undefined;
  const timeoutMs = entry.spec.onCallTimeout ?? DEFAULT_ONCALL_TIMEOUT_MS;
  if (deps.onCalls.acknowledged(id, timeoutMs)) return undefined;
  return deps.onCalls.ask({
    subject: id,
    services: linkedServices([entry.spec], deps.linkedServices),
    actor,
    timeoutMs,
    thread: { key: id, card: entry.card, channel: entry.record.channel },
    onEnd: (h) => {
      if (h.outcome !== 'acknowledged') return;
      deps.startAgain(id, actor).catch((err: unknown) => {
        deps.log.warn({ experimentId: id, err }, 'start after the on-call acknowledged was refused');
        deps.note(id, message({ tone: 'danger', sections: [`The on-call acknowledged, but the start was refused: ${errorText(err)}`] }));
      });
    },
  });
}

/** An experiment closed while its on-call is being asked: nothing waits for them any longer. */
export function withdrawWhenClosed(onCalls: OnCallDesk): (before: ExperimentRecord, after: ExperimentRecord) => void {
  return (before, after) => {
    if (before.state !== 'approved' || after.state === 'approved' || after.state === 'running') return;
    const why = after.closedBy ? `${after.state} by ${after.closedBy.by.id}: ${after.closedBy.reason}` : after.state;
    onCalls.withdraw(after.id, why, after.closedBy?.by ?? SYSTEM);
  };
}
