import { z } from 'zod';
import { BlastRadius } from '../../../core/blast-radius-spec.js';
import { Duration, DurationOrZero } from '../../../core/duration.js';
import { BlackholeParams, HttpErrorParams, LatencyParams, ProcessKillParams, SANDBOX_FAULT_TYPES } from '../../../sandbox/fault-spec.js';

export const PROCESS_FAULT_TYPES = SANDBOX_FAULT_TYPES;

/** Adapter settings (`adapters.targets.process` in the bot's config). */
export const ProcessTargetConfig = z.strictObject({
  adminUrl: z.string().url().default('http://127.0.0.1:7071').describe("the sandbox fault proxy's admin API"),
  requestTimeout: Duration.default(3_000).describe('timeout of each admin API call, e.g. "3s"'),
  revertAttempts: z.number().int().min(1).max(20).default(5).describe('tries before a revert is reported as failed'),
  revertBackoff: DurationOrZero.refine((ms) => ms <= 60_000, 'at most "1m"').default(200).describe('first wait between revert tries, e.g. "200ms"; doubles each time'),
});
export type ProcessTargetConfig = z.infer<typeof ProcessTargetConfig>;
export type ProcessTargetConfigInput = z.input<typeof ProcessTargetConfig>;

/** A playbook's `target` for `adapter: process`: replicas of a sandbox service. */
export const processTargetSchema = z.strictObject({
  adapter: z.literal('process'),
  selector: z
    .strictObject({
      service: z.string().optional().describe('service name, e.g. checkout'),
      replica: z.string().optional().describe('one replica, by index ("1") or id ("checkout-1")'),
    })
    .default({}),
  blastRadius: BlastRadius.default({ kind: 'one' }),
});
export type ProcessTarget = z.infer<typeof processTargetSchema>;

/** A playbook's `fault` for `adapter: process`. Parameters are the admin API's own schemas. */
export const processFaultSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('latency'), parameters: LatencyParams, duration: Duration }),
  z.strictObject({ type: z.literal('http-error'), parameters: HttpErrorParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('blackhole'), parameters: BlackholeParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('process-kill'), parameters: ProcessKillParams.prefault({}), duration: Duration }),
]);
export type ProcessFault = z.infer<typeof processFaultSchema>;
