import { formatDuration } from '../core/duration.js';

/*
 * The on-call handshake's journal entries (engine/guards/oncall-desk.ts) as sentences, for the
 * experiment's post-mortem and the game-day report alike. Data read defensively: an entry written
 * by another version is still a sentence, never raw data.
 */

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const asked = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap((p) => (p && typeof p === 'object' && typeof (p as { name?: unknown }).name === 'string' ? [(p as { name: string }).name] : [])) : [];

/** One sentence for an `oncall-*` entry, or undefined for any other kind. */
export function onCallEventText(kind: string, data: Record<string, unknown>, who: string): string | undefined {
  const services = strings(data.services).join(', ') || 'the linked services';
  const reason = typeof data.reason === 'string' ? data.reason : '';
  switch (kind) {
    case 'oncall-asked': {
      const people = [...new Set(asked(data.asked))].join(', ') || 'nobody';
      const within = typeof data.timeoutMs === 'number' ? ` within ${formatDuration(data.timeoutMs)}` : '';
      return `On-call asked to acknowledge${within} (a start by ${who}): ${people}, for ${services}`;
    }
    case 'oncall-acknowledged':
      return `On-call acknowledged by ${who} for ${services}`;
    case 'oncall-unacknowledged':
      return `On-call did not acknowledge in time for ${services}: start refused`;
    case 'oncall-withdrawn':
      return `On-call handshake withdrawn${reason ? `: ${reason}` : ''}`;
    default:
      return undefined;
  }
}
