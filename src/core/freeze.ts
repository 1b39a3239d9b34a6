import { parseCron, recurringWindowStart } from './cron-match.js';
import type { IncidentInfo } from './ports.js';

/** A span during which nothing starts: one-off (`from`–`to`) or recurring (`cron` + duration). */
export type FreezeWindow =
  | { id: string; kind: 'once'; from: number; to: number; reason: string; by: string }
  | { id: string; kind: 'recurring'; cron: string; durationMs: number; timeZone: string; reason: string; by: string };

export interface ActiveFreeze {
  window: FreezeWindow;
  until: number;
}

/** The freeze in force at `now`, if any (the one that lasts longest wins, so the refusal says the real end). */
export function activeFreeze(windows: readonly FreezeWindow[], now: number): ActiveFreeze | null {
  let best: ActiveFreeze | null = null;
  for (const w of windows) {
    let until: number | null = null;
    if (w.kind === 'once') until = w.from <= now && now < w.to ? w.to : null;
    else {
      const spec = parseCron(w.cron);
      const started = spec ? recurringWindowStart(spec, w.durationMs, now, w.timeZone) : null;
      until = started !== null ? started + w.durationMs : null;
    }
    if (until !== null && (!best || until > best.until)) best = { window: w, until };
  }
  return best;
}

/** A service frozen by a high-urgency incident: only experiments linked to it are held back. */
export interface IncidentFreeze {
  serviceId: string;
  incident: IncidentInfo;
  from: number;
  until: number;
}
