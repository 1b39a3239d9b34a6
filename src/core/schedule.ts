import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Actor } from './actor.js';
import { canonicalJson } from './canonical-json.js';
import { Duration, parseDuration } from './duration.js';

export const ScheduleId = z.string().regex(/^sch-[0-9a-f]{6}$/, 'a schedule id like sch-1a2b3c');

/** What a schedule runs: a loaded Experiment playbook or a game day, by name. */
export const ScheduleTarget = z.object({ kind: z.enum(['playbook', 'gameday']), name: z.string().min(1) });
export type ScheduleTarget = z.infer<typeof ScheduleTarget>;

/** A `--target key=value[,key=value]` override: replaces the playbook's target selector. */
export const SelectorOverride = z.record(z.string().min(1), z.string().min(1));
export type SelectorOverride = z.infer<typeof SelectorOverride>;

/**
 * A standing approval: an approver said "runs of this schedule may start without asking me again",
 * for the plan they saw (the spec hash) and until `expiresAt`. Any edit to a playbook voids it.
 */
export const StandingApproval = z.object({
  by: Actor,
  grantedAt: z.number().int(),
  expiresAt: z.number().int(),
  specHash: z.string().min(1),
});
export type StandingApproval = z.infer<typeof StandingApproval>;

export const ScheduleState = z.enum(['active', 'paused', 'removed']);
export type ScheduleState = z.infer<typeof ScheduleState>;

/** One schedule as stored (the `data` of its row in `schedules`). */
export const Schedule = z.object({
  id: ScheduleId,
  targets: z.array(ScheduleTarget).min(1),
  /** Selector overrides to rotate over; empty means each playbook's own selector. */
  selectors: z.array(SelectorOverride).default([]),
  cron: z.string().min(1),
  timeZone: z.string().min(1),
  rotate: z.enum(['random', 'in-turn']),
  catchUp: z.boolean(),
  channel: z.string().min(1),
  /** Seeds the random rotation (with the slot), so every choice can be replayed. */
  seed: z.number().int(),
  createdBy: Actor,
  createdAt: z.number().int(),
  state: ScheduleState,
  /** Created or last resumed: slots before this are not this schedule's to fire (or to call missed). */
  activeSince: z.number().int(),
  updatedAt: z.number().int(),
  /** The round-robin counter of `rotate: in-turn` (how many runs it has started). */
  turn: z.number().int().min(0),
  standing: StandingApproval.nullable(),
});
export type Schedule = z.infer<typeof Schedule>;

const DAY_MS = 86_400_000;

/** "7d", "12h", "1d12h", "90m": like `parseDuration`, plus whole days. */
export function parseLongDuration(text: string): number | undefined {
  const m = /^(?:(\d+)d)?(.*)$/.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === '')) return undefined;
  const days = m[1] === undefined ? 0 : Number(m[1]) * DAY_MS;
  if (m[2] === '') return days > 0 ? days : undefined;
  const rest = parseDuration(m[2]!);
  return rest === undefined || days + rest <= 0 ? undefined : days + rest;
}

/** A duration that may be written in days ("7d"), parsed to milliseconds. */
export const LongDuration = z
  .string()
  .describe('a duration such as "7d", "36h" or "1d12h"')
  .transform((text, ctx) => {
    const ms = parseLongDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a positive duration like "7d" or "12h", got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

/** The `schedules:` block of the config. */
export const ScheduleSettings = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false: schedules can be managed but nothing fires'),
    standingApprovalDefault: LongDuration.default(7 * DAY_MS).describe('how long a standing approval lasts when no "for" is given'),
    standingApprovalMax: LongDuration.default(30 * DAY_MS).describe('the longest standing approval anyone may grant'),
    missedGrace: Duration.default(5 * 60_000).describe('a slot noticed later than this counts as missed (the bot was down)'),
  })
  .refine((s) => s.standingApprovalDefault <= s.standingApprovalMax, {
    message: 'standingApprovalDefault must not be longer than standingApprovalMax',
    path: ['standingApprovalDefault'],
  });
export type ScheduleSettings = z.infer<typeof ScheduleSettings>;

/** One thing a firing may run: a playbook (with a selector override or its own) or a game day. */
export type Candidate = { kind: 'playbook'; name: string; selector: SelectorOverride | null } | { kind: 'gameday'; name: string };

/** Every candidate of a schedule, in a stable order: each target name crossed with each selector override. */
export function candidatesOf(s: Pick<Schedule, 'targets' | 'selectors'>): Candidate[] {
  const out: Candidate[] = [];
  for (const t of s.targets) {
    if (t.kind === 'gameday') out.push({ kind: 'gameday', name: t.name });
    else if (s.selectors.length === 0) out.push({ kind: 'playbook', name: t.name, selector: null });
    else for (const selector of s.selectors) out.push({ kind: 'playbook', name: t.name, selector: { ...selector } });
  }
  return out;
}

export function describeCandidate(c: Candidate): string {
  if (c.kind === 'gameday') return `game day ${c.name}`;
  const sel = c.selector ? Object.entries(c.selector).map(([k, v]) => `${k}=${v}`).join(',') : '';
  return sel ? `${c.name} (${sel})` : c.name;
}

export interface Choice {
  candidate: Candidate;
  index: number;
  of: number;
  how: Schedule['rotate'];
}

/** A number in [0, 1) that depends only on the schedule's seed and the slot. */
export function slotRandom(seed: number, slot: number): number {
  const digest = createHash('sha256').update(`${seed}:${slot}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

/** Which candidate a slot runs: seeded by (seed, slot) so it replays, or the next in turn. */
export function pickCandidate(s: Pick<Schedule, 'targets' | 'selectors' | 'rotate' | 'seed' | 'turn'>, slot: number): Choice {
  const all = candidatesOf(s);
  const index = s.rotate === 'in-turn' ? s.turn % all.length : Math.floor(slotRandom(s.seed, slot) * all.length);
  return { candidate: all[index]!, index, of: all.length, how: s.rotate };
}

/** The seed a slot's proposal resolves its targets with (replayable, like the choice). */
export function slotSeed(seed: number, slot: number): number {
  return Math.floor(slotRandom(seed ^ 0x5bd1e995, slot) * 2 ** 31);
}

/** The hash a standing approval binds to: the candidates' specs after overrides, canonicalised. */
export function specHash(parts: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
}

/** Who a schedule acts as: its creator's identity (so four eyes still hold), labelled with the schedule. */
export function scheduleActor(s: Pick<Schedule, 'id' | 'createdBy'>): Actor {
  return { id: s.createdBy.id, ...(s.createdBy.team ? { team: s.createdBy.team } : {}), name: `${s.createdBy.name ?? s.createdBy.id} via schedule ${s.id}` };
}
