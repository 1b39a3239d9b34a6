import { z } from 'zod';
import { Actor } from './actor.js';
import { ExperimentState, Plan, Verdict } from './experiment.js';
import { GameDayRoles } from './gameday.js';
import { OnCallHandshake } from './oncall.js';
import { DrillRecord } from './drill-detection.js';

export const GameDayState = z.enum(['proposed', 'approved', 'running', 'checkpoint', 'held', 'completed', 'aborted', 'interrupted', 'rejected', 'expired', 'cancelled']);
export type GameDayState = z.infer<typeof GameDayState>;

export const GAMEDAY_TERMINAL: readonly GameDayState[] = ['completed', 'aborted', 'interrupted', 'rejected', 'expired', 'cancelled'];

export function isGameDayTerminal(state: GameDayState): boolean {
  return GAMEDAY_TERMINAL.includes(state);
}

/** One step as approved, and what became of it. */
export const GameDayStepRun = z.object({
  index: z.number().int().min(0),
  name: z.string(),
  /** Name of the experiment the step runs (the playbook, or the inline experiment's name). */
  experiment: z.string(),
  hypothesis: z.string(),
  plan: Plan,
  planHash: z.string(),
  experimentId: z.string().nullable(),
  state: ExperimentState.nullable(),
  verdict: Verdict.nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  /** One line on how it ended (the abort reason, the failure). */
  summary: z.string().nullable(),
});
export type GameDayStepRun = z.infer<typeof GameDayStepRun>;

/** A step as approved, before it has run. */
export function stepNotRun(step: Pick<GameDayStepRun, 'index' | 'name' | 'experiment' | 'hypothesis' | 'plan' | 'planHash'>): GameDayStepRun {
  return { ...step, experimentId: null, state: null, verdict: null, startedAt: null, endedAt: null, summary: null };
}

/** What the commander (or the bot, for autoContinue) decided before a step. */
export const CheckpointDecision = z.object({
  beforeStep: z.number().int().min(0),
  choice: z.enum(['continue', 'hold', 'abort', 'auto']),
  by: Actor,
  at: z.number(),
  reason: z.string().nullable(),
});
export type CheckpointDecision = z.infer<typeof CheckpointDecision>;

/** A hold the commander asked for while a step ran: kept, and applied at the checkpoint after that step. */
export const HoldRequest = z.object({ by: Actor, at: z.number(), reason: z.string() });
export type HoldRequest = z.infer<typeof HoldRequest>;

/** A later step whose plan changed since the game day was approved: an approver must approve it again. */
export const PendingApproval = z.object({ step: z.number().int().min(0), plan: Plan, planHash: z.string(), gameDayHash: z.string(), reason: z.string() });
export type PendingApproval = z.infer<typeof PendingApproval>;

/**
 * What the people in the day's roles wrote from the thread: an observation (`note`; `scribe` when the
 * scribe wrote it) or the team's conclusion on a step. `step` is the step it belongs to: the one
 * running, else the last one that ran; null before step 1.
 */
export const GameDayNote = z.object({
  kind: z.enum(['note', 'conclusion']),
  by: Actor,
  at: z.number(),
  step: z.number().int().min(0).nullable(),
  scribe: z.boolean(),
  text: z.string().min(1),
});
export type GameDayNote = z.infer<typeof GameDayNote>;

/** An action item: who owns it (a chat user id), what, by when (YYYY-MM-DD), and the step it came from. */
export const GameDayActionItem = z.object({
  number: z.number().int().min(1),
  owner: z.string().min(1),
  text: z.string().min(1),
  due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
  by: Actor,
  at: z.number(),
  step: z.number().int().min(0).nullable(),
});
export type GameDayActionItem = z.infer<typeof GameDayActionItem>;

/** A hand-over of a role: `from` held it until `at`, `to` from then on. */
export const GameDayRoleChange = z.object({
  role: z.literal('commander'),
  from: z.string().min(1),
  to: z.string().min(1),
  by: Actor,
  at: z.number(),
  /** `commander`: the commander handed over; `timeout`: an approver took over from a silent commander. */
  authority: z.enum(['commander', 'timeout']),
  step: z.number().int().min(0).nullable(),
});
export type GameDayRoleChange = z.infer<typeof GameDayRoleChange>;

export const GameDayRecord = z.object({
  id: z.string(),
  name: z.string(),
  title: z.string(),
  channel: z.string(),
  roles: GameDayRoles,
  autoContinue: z.enum(['never', 'whenHeld']),
  commanderTimeoutMs: z.number().int().positive(),
  steps: z.array(GameDayStepRun).min(1),
  /** sha256 over every step's plan hash, in order: what the one approval covers. */
  planHash: z.string(),
  proposedBy: Actor,
  proposedAt: z.number(),
  approval: z.object({ by: Actor, at: z.number(), planHash: z.string(), expiresAt: z.number() }).nullable(),
  state: GameDayState,
  /** Index of the step that runs on the next Continue. */
  next: z.number().int().min(0),
  /** Index of the step running now. */
  current: z.number().int().min(0).nullable(),
  decisions: z.array(CheckpointDecision),
  holdReason: z.string().nullable(),
  /**
   * The commander pressed Hold during a step: who, when and why; the day holds at the checkpoint after
   * it, even when autoContinue would go on. `true` comes from records written before the request was kept.
   */
  holdRequested: z.union([z.literal(false), HoldRequest, z.literal(true)]),
  pendingApproval: PendingApproval.nullable(),
  closedBy: z.object({ by: Actor, at: z.number(), reason: z.string() }).nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  updatedAt: z.number(),
  /** Last time the commander was heard from (any command, any click). */
  commanderSeenAt: z.number(),
  reportPath: z.string(),
  /** Records written before notes, action items and hand-overs existed have none. */
  notes: z.array(GameDayNote).default([]),
  actions: z.array(GameDayActionItem).default([]),
  roleHistory: z.array(GameDayRoleChange).default([]),
  /** On-call handshakes before the first injection (`onCall: require`), oldest first. */
  onCall: z.array(OnCallHandshake).default([]),
  /** A blinded drill (`blinded: true`): where the responders are, and what they detected. */
  drill: DrillRecord.nullable().default(null),
  scheduleId: z.string().optional(),
});
export type GameDayRecord = z.infer<typeof GameDayRecord>;
