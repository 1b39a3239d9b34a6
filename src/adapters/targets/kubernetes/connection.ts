import { z } from 'zod';
import { Duration } from '../../../core/duration.js';

/** A kubeconfig context name as people write them (`prod`, `gke_shop_europe-west1_main`, `arn:aws:eks:…:cluster/prod`). */
export const ContextName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/, 'a kubeconfig context name: letters, digits and . _ : @ / + -');

/**
 * How to reach a cluster. Shared by the `kubernetes` target and the `pods` signal; the app passes
 * `KUBECONFIG` in as `kubeconfig` (nothing here reads the environment).
 */
export const KubeConnection = z.strictObject({
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .describe('path of a kubeconfig (a KUBECONFIG-style list takes the first file that exists); unset: in-cluster service account, else ~/.kube/config'),
  context: z.string().min(1).optional().describe('kubeconfig context to use; unset: its current-context'),
  requestTimeout: Duration.default(10_000).describe('timeout of each API call, e.g. "10s" (parsed to ms)'),
  pageSize: z.number().int().min(1).max(5_000).default(500).describe('`limit` of every paginated list call'),
  inClusterServer: z.string().url().default('https://kubernetes.default.svc').describe('API server address when running in a pod'),
  homeDir: z.string().min(1).optional().describe('where ~/.kube/config is looked for; unset: the home directory of the user running Faultline'),
  serviceAccountDir: z.string().min(1).default('/var/run/secrets/kubernetes.io/serviceaccount').describe('where the in-cluster token, CA and namespace are mounted'),
});
export type KubeConnection = z.infer<typeof KubeConnection>;
