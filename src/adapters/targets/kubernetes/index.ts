import type { TargetAdapter } from '../../../core/ports.js';
import { createKubernetesDriver } from './cluster-router.js';
import { KubernetesTargetConfig } from './schema.js';

/** A Kubernetes cluster: pod-delete, scale-down, node-drain, zone-outage, network faults and Chaos Mesh resources. */
export const kubernetesTargetAdapter: TargetAdapter<KubernetesTargetConfig> = {
  kind: 'kubernetes',
  configSchema: KubernetesTargetConfig,
  create: (config, deps) => createKubernetesDriver(config, deps),
};

export { createKubernetesDriver } from './cluster-router.js';
export { createClusterDriver, KUBERNETES_CONFIG_PATH } from './driver.js';
export { describeKubernetesTarget } from './describe-target.js';
export { KubeConnection } from './connection.js';
export { createKubeClient, loadKubeConfig, type KubeClient } from './kube-client.js';
export {
  ANN_CORDONED,
  ANN_EXPIRES_AT,
  ANN_ORIGINAL_REPLICAS,
  LABEL_EXPERIMENT,
  LABEL_HANDLE,
  OPT_IN_LABEL,
  OPT_IN_VALUE,
  ZONE_LABEL,
  KubeHandleData,
  OwnedObject,
} from './ownership.js';
export {
  CHAOS_MESH_KINDS,
  KUBERNETES_FAULT_PARAMS,
  KUBERNETES_FAULT_TYPES,
  KubernetesTargetConfig,
  kubernetesFaultSchema,
  kubernetesTargetSchema,
  kubernetesTargetSchemaFor,
  type KubernetesFault,
  type KubernetesFaultType,
  type KubernetesTarget,
  type KubernetesTargetConfigInput,
} from './schema.js';
export { allPortsExcept, policySpec } from './faults-network.js';
export { confirmObjects } from './confirm.js';
export { runJanitor, type JanitorLine, type JanitorOptions, type JanitorSummary } from './janitor.js';
export { scaledReplicas } from './faults-workloads.js';
