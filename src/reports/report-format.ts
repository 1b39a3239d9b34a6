import { actorName, SYSTEM, type Actor } from '../core/actor.js';
import type { ExperimentRecord } from '../core/experiment.js';

/** ISO 8601 in UTC, to the second unless the time has milliseconds: `2025-01-15T10:03:00Z`. */
export function isoUtc(at: number): string {
  return new Date(at).toISOString().replace(/\.000Z$/, 'Z');
}

/** Time relative to the origin (usually injection) as `T+mm:ss` or `T-mm:ss`; minutes are not capped at 59. */
export function relTime(at: number, origin: number): string {
  const delta = Math.round((at - origin) / 1000);
  const sign = delta < 0 ? '-' : '+';
  const abs = Math.abs(delta);
  const mm = String(Math.floor(abs / 60)).padStart(2, '0');
  const ss = String(abs % 60).padStart(2, '0');
  return `T${sign}${mm}:${ss}`;
}

/** Text safe inside one Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim() || '—';
}

/** A reading or threshold as people write it: integers as is, others to 4 significant digits, no trailing zeros. */
export function fmtValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

export function compactJson(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text === undefined || text === '{}' ? '' : text;
}

/**
 * Maps actor ids to labels. The given actors are known by display name; anyone else is shown by id
 * (identity is the id, never the name), and the bot as `faultline (bot)`.
 */
export function namerFor(actors: ReadonlyArray<Actor | null | undefined>): (id: string) => string {
  const known = new Map<string, Actor>();
  for (const a of actors) if (a) known.set(a.id, a);
  return (id: string) => {
    if (id === SYSTEM.id) return `${SYSTEM.id} (bot)`;
    const a = known.get(id);
    return a ? actorName(a) : id;
  };
}

/**
 * Maps the actor ids found in the journal to labels. The record knows display names for the
 * people who acted on it; anyone else is shown by id (identity is the id, never the name).
 */
export function actorNamer(record: ExperimentRecord): (id: string) => string {
  return namerFor([record.proposedBy, record.approval?.by, record.startedBy, record.closedBy?.by, record.abort?.by]);
}
