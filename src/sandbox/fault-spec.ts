/**
 * The wire contract of the sandbox's admin API for faults. The `process` target adapter parses
 * playbook parameters with these same schemas, so what a playbook accepts is what the proxy applies.
 */
import { z } from 'zod';

export const SANDBOX_FAULT_TYPES = ['latency', 'http-error', 'blackhole', 'process-kill'] as const;
export const SandboxFaultType = z.enum(SANDBOX_FAULT_TYPES);
export type SandboxFaultType = z.infer<typeof SandboxFaultType>;

const Percent = z.number().gt(0).max(100).describe('share of requests to the replica that the fault hits, 0 < p <= 100');

export const LatencyParams = z.strictObject({
  ms: z.number().int().min(1).max(60_000).describe('delay added before the request is forwarded'),
  jitterMs: z.number().int().min(0).max(60_000).default(0).describe('the delay varies by up to this much either way'),
  percent: Percent.default(100),
});
export const HttpErrorParams = z.strictObject({
  status: z.number().int().min(400).max(599).default(503).describe('status the proxy answers instead of the replica'),
  percent: Percent.default(100),
});
export const BlackholeParams = z.strictObject({
  percent: Percent.default(100),
});
export const ProcessKillParams = z.strictObject({
  count: z.number().int().min(1).max(100).default(1).describe('replicas of the selected ones to SIGKILL'),
  intervalMs: z
    .number()
    .int()
    .min(250)
    .max(3_600_000)
    .optional()
    .describe('keep killing every intervalMs while the fault is active'),
});

export type LatencyParams = z.infer<typeof LatencyParams>;
export type HttpErrorParams = z.infer<typeof HttpErrorParams>;
export type BlackholeParams = z.infer<typeof BlackholeParams>;
export type ProcessKillParams = z.infer<typeof ProcessKillParams>;

export const SANDBOX_FAULT_PARAMS = {
  latency: LatencyParams,
  'http-error': HttpErrorParams,
  blackhole: BlackholeParams,
  'process-kill': ProcessKillParams,
} as const;

const common = {
  experimentId: z.string().min(1).max(200),
  handleId: z.string().min(1).max(200).describe('idempotency key: a retry with the same handleId never adds a second fault'),
  targets: z.array(z.string().min(1)).min(1).max(1000),
  expiresAt: z.number().int().positive().describe('ms since the epoch; the proxy clears the fault by itself then'),
};

/** Body of `POST /faults`. */
export const NewFaultBody = z.discriminatedUnion('type', [
  z.strictObject({ ...common, type: z.literal('latency'), params: LatencyParams }),
  z.strictObject({ ...common, type: z.literal('http-error'), params: HttpErrorParams.prefault({}) }),
  z.strictObject({ ...common, type: z.literal('blackhole'), params: BlackholeParams.prefault({}) }),
  z.strictObject({ ...common, type: z.literal('process-kill'), params: ProcessKillParams.prefault({}) }),
]);
export type NewFaultBody = z.infer<typeof NewFaultBody>;

/** A fault as the admin API reports it (`GET /faults`, `POST /faults`). Times are ms since the epoch. */
export type ActiveFault = NewFaultBody & { id: string; appliedAt: number };

/** Shape check for `GET /faults` answers on the client side. */
export const ActiveFaultWire = z.looseObject({
  id: z.string(),
  experimentId: z.string(),
  handleId: z.string(),
  type: z.string(),
  targets: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
  appliedAt: z.number(),
  expiresAt: z.number(),
});
export type ActiveFaultWire = z.infer<typeof ActiveFaultWire>;

/** Shape of one `GET /targets` entry. */
export const SandboxTargetWire = z.looseObject({
  id: z.string(),
  service: z.string(),
  replica: z.number().int(),
  pid: z.number().int().nullable(),
  port: z.number().int().nullable(),
  up: z.boolean(),
});
export type SandboxTargetWire = z.infer<typeof SandboxTargetWire>;
