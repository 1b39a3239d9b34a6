import { z } from 'zod';
import { BlastRadius } from './blast-radius-spec.js';
import { Duration } from './duration.js';
import { OnCallSetting } from './oncall.js';

const Name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes');

/** A step that runs a loaded playbook, usually with a larger blast radius than the step before. */
export const GameDayStepRef = z.strictObject({
  name: z.string().min(1).optional().describe('shown on the card; defaults to the playbook name and radius'),
  playbook: Name.describe('name of an Experiment playbook'),
  blastRadius: BlastRadius.optional().describe('overrides the playbook: one | all | count:N | percent:P'),
  duration: Duration.optional().describe("overrides the playbook's fault duration"),
});

/** A step written in place: a whole Experiment (kind and name may be left out). Checked against the adapters when loaded. */
export const GameDayStepInline = z.strictObject({
  name: z.string().min(1).optional(),
  experiment: z.record(z.string(), z.unknown()).describe('an Experiment playbook written inline'),
});

export const GameDayStep = z.union([GameDayStepRef, GameDayStepInline]);
export type GameDayStep = z.infer<typeof GameDayStep>;

export const GameDayRoles = z.strictObject({
  commander: z.string().min(1).describe('chat user id; the only one who decides at a checkpoint'),
  scribe: z.string().min(1).optional().describe('chat user id of whoever keeps notes'),
  observers: z.array(z.string().min(1)).default([]),
});
export type GameDayRoles = z.infer<typeof GameDayRoles>;

/** Who responds in a blinded drill, and where: their channel hears only that a drill runs, until it ends. */
export const DrillResponders = z.strictObject({
  channel: z.string().min(1).describe("the responders' channel (not the game day's own)"),
  people: z.array(z.string().min(1)).default([]).describe('chat user ids of the responders; their first message there counts as detection (any person when empty)'),
});
export type DrillResponders = z.infer<typeof DrillResponders>;

/** `kind: GameDay`: ordered experiments with a human checkpoint after each. */
export const GameDaySpec = z.strictObject({
  kind: z.literal('GameDay'),
  name: Name.describe('unique name; what people type after /chaos gameday start'),
  title: z.string().min(1),
  channel: z.string().min(1).default('#chaos'),
  roles: GameDayRoles,
  autoContinue: z.enum(['never', 'whenHeld']).default('never').describe('whenHeld: go on without asking when a step held'),
  commanderTimeout: Duration.default(15 * 60_000).describe('a commander silent this long makes the next checkpoint hold'),
  onCall: OnCallSetting.optional().describe("require: before the day's first injection, the on-call of every PagerDuty service its steps link acknowledges in the thread"),
  onCallTimeout: Duration.optional().describe('how long the on-call has to acknowledge (default 10m)'),
  steps: z.array(GameDayStep).min(1, 'a game day needs at least one step').max(20),
  notes: z.string().optional(),
  blinded: z.boolean().optional().describe("a drill: the responders' channel is told only that a drill runs; the fault is revealed at the end with the detection record"),
  responders: DrillResponders.optional(),
  expectedAlerts: z.array(z.string().min(1)).optional().describe('alerts (PagerDuty incident titles, matched in part) the responders should see; the detection record checks each'),
}).superRefine((gd, ctx) => {
  if (!gd.blinded) return;
  if (!gd.responders) ctx.addIssue({ code: 'custom', path: ['responders'], message: 'a blinded drill needs responders: { channel, people } (who is not told which fault runs)' });
  else if (gd.responders.channel === gd.channel) {
    ctx.addIssue({ code: 'custom', path: ['responders', 'channel'], message: `must differ from the game day's channel (${gd.channel}): the facilitator's thread tells everything` });
  }
  // Someone in the day's roles reads the facilitator's thread: as a responder they would know what runs.
  const roles = new Set([gd.roles.commander, ...(gd.roles.scribe ? [gd.roles.scribe] : []), ...gd.roles.observers]);
  gd.responders?.people.forEach((p, i) => {
    if (roles.has(p)) ctx.addIssue({ code: 'custom', path: ['responders', 'people', i], message: `${p} has a role in the game day (commander, scribe or observer) and would see what runs: a responder cannot` });
  });
});
export type GameDaySpec = z.infer<typeof GameDaySpec>;
export type GameDaySpecInput = z.input<typeof GameDaySpec>;

export function isInlineStep(step: GameDayStep): step is z.infer<typeof GameDayStepInline> {
  return 'experiment' in step;
}
