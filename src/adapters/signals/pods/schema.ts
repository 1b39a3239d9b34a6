import { z } from 'zod';
import { KubeConnection } from '../../targets/kubernetes/connection.js';
import { Labels, NamespaceName } from '../../targets/kubernetes/schema.js';

/** Adapter settings (`adapters.signals.pods` in the bot's config): how to reach the cluster. */
export const PodsSignalConfig = KubeConnection;
export type PodsSignalConfig = z.infer<typeof PodsSignalConfig>;
export type PodsSignalConfigInput = z.input<typeof PodsSignalConfig>;

/** A playbook's `signal` for `source: pods`: the health of the pods a label selector matches. */
export const podsSignalSchema = z.strictObject({
  source: z.literal('pods'),
  namespace: NamespaceName,
  selector: Labels.default({}).describe('labels of the pods to watch'),
  measure: z
    .enum(['ready-ratio', 'ready-count', 'running-count'])
    .default('ready-ratio')
    .describe('ready-ratio: Ready pods / pods (0..1); ready-count: Ready pods; running-count: pods in phase Running'),
});
export type PodsSignalQuery = z.infer<typeof podsSignalSchema>;
export type PodsSignalQueryInput = z.input<typeof podsSignalSchema>;
