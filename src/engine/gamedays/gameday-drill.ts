import { linkedServices } from '../../core/linked-services.js';
import { within } from '../../lib/within.js';
import { SYSTEM } from '../../core/actor.js';
import { detectionLines, detectionRecord, type DrillIncident, type DrillMessage } from '../../core/drill-detection.js';
import { formatDuration } from '../../core/duration.js';
import { errorText } from '../../core/errors.js';
import type { GameDayRecord } from '../../core/gameday-record.js';
import { mentionUser } from '../../core/mention.js';
import { message } from '../../core/message.js';
import type { ChatPort } from '../../core/ports.js';
import type { IncidentRecords } from '../../store/index.js';
import type { GameDayDeps, GameDayExperiments, GameDayHost } from './gameday-ports.js';
import type { StoredGameDay } from './gameday-repo.js';

/** The longest the reveal waits to read the responders' channel back before it goes on without. */
const HISTORY_WAIT_MS = 5000;

export interface DrillDeps extends Pick<GameDayDeps, 'notifier' | 'clock' | 'log' | 'journal' | 'linkedServices'> {
  chat: Pick<ChatPort, 'history'>;
  incidents: Pick<IncidentRecords, 'onServices'>;
}

/**
 * Blinded drills: the responders' channel hears that a drill runs and nothing of what, while the
 * facilitator's thread has everything; at the end the fault is revealed there beside the detection
 * record (who noticed first, from which signal, how long detection and acknowledgement took, each
 * expected alert against what fired).
 */
export class GameDayDrill {
  constructor(
    private readonly days: GameDayHost,
    private readonly experiments: Pick<GameDayExperiments, 'find'>,
    private readonly deps: DrillDeps,
  ) {}

  /** The day's first step starts: the responders are told a drill is running, and only that. */
  announce(entry: StoredGameDay): void {
    const drill = entry.record.drill;
    if (!drill || drill.announcedAt !== null) return;
    const now = this.deps.clock.now();
    this.days.repo.update(entry.record.id, (r) => ({ ...r, drill: { ...r.drill!, announcedAt: now } }));
    this.deps.journal.record('gameday-drill-announced', entry.record.id, SYSTEM, { channel: drill.respondersChannel });
    const id = entry.record.id;
    const notice = message({
      tone: 'warning',
      title: 'A drill is running',
      sections: [`Respond as you would to a real incident: look, page, mitigate as usual. What was done is revealed here when the drill ends (${id}).`],
    });
    // The chat's own id of the channel (Slack answers a post with it): reading it back takes an id, not a name.
    void this.deps.notifier
      .postCard(`${id}:drill`, drill.respondersChannel, notice)
      .then((ref) => {
        if (ref && ref.channel !== drill.respondersChannel) this.days.repo.update(id, (r) => ({ ...r, drill: { ...r.drill!, respondersChannelId: ref.channel } }));
      })
      .catch((err: unknown) => this.deps.log.warn({ gameDayId: id, err }, "drill: the responders' notice was not posted"));
  }

  /**
   * The day ended: the detection record is worked out from the incidents on the linked services and
   * the responders' messages, kept on the record (the report shows it), and the fault is revealed
   * in the responders' channel and the facilitator's thread. Never throws: a reveal that cannot read
   * the channel says so and goes on with the incidents.
   */
  async reveal(id: string): Promise<void> {
    const entry = this.days.repo.get(id);
    const r = entry.record;
    if (!r.drill || r.drill.revealedAt !== null) return;
    const endedAt = r.endedAt ?? this.deps.clock.now();
    const injectedAt = this.firstInjection(r);
    const since = r.drill.announcedAt ?? r.startedAt ?? r.proposedAt;
    const services = linkedServices(entry.stepSpecs, this.deps.linkedServices);
    const incidents = this.incidents(services, since);
    const { messages, note } = await this.messages(r.drill.respondersChannelId ?? r.drill.respondersChannel, since, endedAt);
    const detection = detectionRecord({
      injectedAt,
      endedAt,
      incidents,
      messages,
      ...(note ? { messagesNote: note } : {}),
      responders: r.drill.responders,
      expectedAlerts: r.drill.expectedAlerts,
    });
    const now = this.deps.clock.now();
    const saved = this.days.repo.update(id, (rec) => ({ ...rec, drill: { ...rec.drill!, revealedAt: now, detection } }));
    this.deps.journal.record('gameday-drill-revealed', id, SYSTEM, { timeToDetectMs: detection.timeToDetectMs, firstSignal: detection.firstSignal?.kind ?? null });
    const lines = detectionLines(detection, (user) => mentionUser(user));
    const what = this.whatRan(saved.record);
    this.deps.notifier.reply(
      `${id}:reveal`,
      null,
      r.drill.respondersChannel,
      message({ tone: 'info', title: `The drill is over: ${r.title}`, sections: [`What ran (${id}):\n${what.join('\n')}`, lines.join('\n')] }),
    );
    this.deps.notifier.reply(id, saved.card, r.channel, message({ tone: 'info', subject: id, title: 'Drill revealed to the responders; detection record', sections: [lines.join('\n')] }));
  }

  private firstInjection(r: GameDayRecord): number | null {
    const times = r.steps.flatMap((s) => {
      const at = s.experimentId ? this.experiments.find(s.experimentId)?.record.injectedAt : null;
      return typeof at === 'number' ? [at] : [];
    });
    return times.length ? Math.min(...times) : null;
  }

  private whatRan(r: GameDayRecord): string[] {
    const ran = r.steps.filter((s) => s.startedAt !== null);
    if (ran.length === 0) return ['nothing: no step started'];
    return ran.map((s) => {
      const p = s.plan;
      return `step ${s.index + 1}: ${p.fault.type} on ${p.targets.map((t) => t.name).join(', ')} (${p.adapter}) for ${formatDuration(p.durationMs)} — ${s.state ?? 'not run'}${s.verdict ? `, ${s.verdict}` : ''}`;
    });
  }

  private incidents(services: readonly string[], since: number): DrillIncident[] {
    try {
      return this.deps.incidents.onServices(services, since).flatMap((row) => {
        const d = row.data;
        const createdAt = typeof d.createdAt === 'number' ? d.createdAt : null;
        if (createdAt === null) return [];
        return [{ id: row.id, title: typeof d.title === 'string' ? d.title : row.id, serviceId: row.serviceId, createdAt, acknowledgedAt: typeof d.acknowledgedAt === 'number' ? d.acknowledgedAt : null, ...(typeof d.url === 'string' ? { url: d.url } : {}) }];
      });
    } catch (err) {
      this.deps.log.warn({ err }, 'drill: incidents could not be read; the detection record goes without them');
      return [];
    }
  }

  private async messages(channel: string, from: number, to: number): Promise<{ messages: DrillMessage[] | null; note?: string }> {
    const read = this.deps.chat.history?.bind(this.deps.chat);
    if (!read) return { messages: null, note: 'this chat cannot read the channel back' };
    try {
      const messages = await within(read(channel, from, to), HISTORY_WAIT_MS);
      if (messages) return { messages };
      throw new Error(`no answer within ${formatDuration(HISTORY_WAIT_MS)}`);
    } catch (err) {
      this.deps.log.warn({ channel, err }, "drill: the responders' channel could not be read");
      return { messages: null, note: `the channel could not be read: ${errorText(err)}` };
    }
  }
}

