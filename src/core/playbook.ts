import { z } from 'zod';
import { OnCallSetting } from './oncall.js';
import { BlastRadius } from './blast-radius-spec.js';
import { Duration } from './duration.js';

export const Comparison = z.enum(['<', '<=', '>', '>=', '==', '!=']);
export type Comparison = z.infer<typeof Comparison>;

/**
 * Where a reading comes from. The core only knows `source`; each signal adapter contributes
 * its own schema for the rest, composed in through `makeExperimentSchema`.
 */
export const GenericSignal = z.looseObject({ source: z.string().min(1).describe('signal adapter, e.g. http') });
export const GenericTarget = z.looseObject({
  adapter: z.string().min(1).describe('target adapter, e.g. process or kubernetes'),
  selector: z.record(z.string(), z.string()).default({}).describe('labels that pick the targets'),
  blastRadius: BlastRadius.default({ kind: 'one' }),
});
export const GenericFault = z.looseObject({
  type: z.string().min(1).describe('fault type offered by the target adapter'),
  parameters: z.record(z.string(), z.unknown()).default({}),
  duration: Duration.describe('how long the fault stays in before it is reverted'),
});

export interface ExperimentSchemaParts {
  signal: z.ZodType<{ source: string }>;
  target: z.ZodType<{ adapter: string; selector: Record<string, string>; blastRadius: unknown }>;
  fault: z.ZodType<{ type: string; parameters: Record<string, unknown>; duration: unknown }>;
}

/** Builds the Experiment playbook schema; adapters' schemas plug into the signal, target and fault slots. */
export function makeExperimentSchema<Sig extends z.ZodType<{ source: string }>, Tgt extends ExperimentSchemaParts['target'], Flt extends ExperimentSchemaParts['fault']>(parts: {
  signal: Sig;
  target: Tgt;
  fault: Flt;
}) {
  const Check = z.strictObject({
    name: z.string().min(1),
    signal: parts.signal,
    comparison: Comparison.describe('the check passes when `reading <comparison> threshold`'),
    threshold: z.number(),
  });
  const Guardrail = z.strictObject({
    name: z.string().min(1),
    signal: parts.signal,
    comparison: Comparison.describe('the guardrail breaks when `reading <comparison> threshold` holds for the `for` window'),
    threshold: z.number(),
    for: Duration.default(0).describe('how long the condition must hold before it counts as a breach'),
    maxUnknown: z.number().int().min(1).optional().describe('consecutive unknown readings that count as a breach'),
    blindAfter: Duration.optional().describe('unknown readings for this long count as a breach too, however few (default: engine.blindAfter)'),
  });
  return z.strictObject({
    kind: z.literal('Experiment'),
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes')
      .describe('unique name; what people type after /chaos propose'),
    title: z.string().optional(),
    hypothesis: z.string().min(10).describe('If <fault>, then <steady state> stays within <bounds>'),
    owner: z.string().min(1).describe('team or person who owns the experiment'),
    channel: z.string().min(1).default('#chaos'),
    target: parts.target,
    fault: parts.fault,
    steadyState: z.array(Check).default([]).describe('checks that must pass before the fault and after the revert'),
    guardrails: z.array(Guardrail).min(1, 'at least one guardrail is required: nothing runs unwatched'),
    maxUnknown: z.number().int().min(1).default(3),
    pagerduty: z.strictObject({ services: z.array(z.string()).default([]) }).default({ services: [] }),
    expectAlerts: z.array(z.string()).default([]),
    onCall: OnCallSetting.optional().describe("require: the on-call of each linked PagerDuty service acknowledges in the thread before the fault goes in; without it the start is refused"),
    onCallTimeout: Duration.optional().describe('how long the on-call has to acknowledge (default 10m)'),
    rollback: z.string().optional().describe('step-by-step manual rollback instructions, shown on abort'),
  });
}

export const Experiment = makeExperimentSchema({ signal: GenericSignal, target: GenericTarget, fault: GenericFault });
export type Experiment = z.infer<typeof Experiment>;
export type ExperimentInput = z.input<typeof Experiment>;
export type Check = Experiment['steadyState'][number];
export type Guardrail = Experiment['guardrails'][number];
export type SignalQuery = Check['signal'];
