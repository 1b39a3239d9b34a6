import { isRecord, type KubeObject, metaOf, nowIso, randomHex, recordAt } from './kube-types.js';

/** Builders for the objects the stand-in seeds, in the shapes a real cluster returns. */

export const KUBE_VERSION = { major: '1', minor: '31', gitVersion: 'v1.31.4' };

export function namespaceObject(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

export function nodeObject(name: string, index: number, opts: { labels?: Record<string, string>; unschedulable?: boolean } = {}): KubeObject {
  const ip = `10.0.${Math.floor(index / 250)}.${(index % 250) + 10}`;
  const resources = { cpu: '4', memory: '16393244Ki', pods: '110', 'ephemeral-storage': '101430960Ki' };
  const at = nowIso();
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: at, lastTransitionTime: at, reason, message });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        ...opts.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      podCIDR: `10.244.${index}.0/24`,
      podCIDRs: [`10.244.${index}.0/24`],
      providerID: `stand-in://${name}`,
      ...(opts.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: resources,
      allocatable: resources,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: randomHex(32),
        systemUUID: randomHex(32),
        bootID: randomHex(32),
        kernelVersion: '6.1.0-28-cloud-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.22',
        kubeletVersion: KUBE_VERSION.gitVersion,
        kubeProxyVersion: KUBE_VERSION.gitVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function containerSpec(image: string): Record<string, unknown> {
  return {
    name: 'app',
    image,
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

export function podTemplate(labels: Record<string, string>, image: string): Record<string, unknown> {
  return {
    metadata: { labels },
    spec: {
      containers: [containerSpec(image)],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
  };
}

export interface PodSeed {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  nodeName?: string;
  phase?: string;
  ready?: boolean;
}

/** A pod object; the status follows from phase/ready/node. */
export function podObject(ns: string, seed: PodSeed, extra: { ownerReferences?: unknown[]; spec?: Record<string, unknown> } = {}): KubeObject {
  const spec: Record<string, unknown> = extra.spec ? { ...extra.spec } : { ...(podTemplate({}, 'registry.example/app:1.0').spec as Record<string, unknown>) };
  if (seed.nodeName) spec.nodeName = seed.nodeName;
  spec.tolerations = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: seed.name,
      namespace: ns,
      labels: { ...seed.labels },
      ...(seed.annotations ? { annotations: { ...seed.annotations } } : {}),
      ...(extra.ownerReferences ? { ownerReferences: extra.ownerReferences } : {}),
    },
    spec,
  };
  const phase = seed.phase ?? (seed.nodeName ? 'Running' : 'Pending');
  setPodStatus(pod, phase, seed.ready ?? phase === 'Running');
  return pod;
}

let ipCounter = 0;
function nextPodIp(): string {
  ipCounter += 1;
  return `10.244.${Math.floor(ipCounter / 250) % 250}.${(ipCounter % 250) + 2}`;
}

/** Rewrites a pod's status for a phase and readiness (what the kubelet would report). */
export function setPodStatus(pod: KubeObject, phase: string, ready: boolean): void {
  const spec = recordAt(pod, 'spec');
  const nodeName = typeof spec.nodeName === 'string' ? spec.nodeName : undefined;
  const old = isRecord(pod.status) ? pod.status : {};
  const at = nowIso();
  const startedAt = typeof old.startTime === 'string' ? old.startTime : at;
  const cond = (type: string, ok: boolean, reason?: string) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...(reason ? { reason } : {}) });
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isRecord) : [];
  if (!nodeName && phase === 'Pending') {
    pod.status = {
      phase: 'Pending',
      conditions: [{ ...cond('PodScheduled', false, 'Unschedulable'), message: '0/0 nodes are available: no schedulable nodes.' }],
      qosClass: 'BestEffort',
    };
    return;
  }
  const running = phase === 'Running';
  const podIP = typeof old.podIP === 'string' ? old.podIP : nextPodIp();
  pod.status = {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', running),
      cond('Initialized', true),
      cond('Ready', ready, ready ? undefined : 'ContainersNotReady'),
      cond('ContainersReady', ready, ready ? undefined : 'ContainersNotReady'),
      cond('PodScheduled', true),
    ],
    hostIP: '10.0.0.10',
    hostIPs: [{ ip: '10.0.0.10' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: startedAt,
    containerStatuses: containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: `${String(c.image)}@sha256:${'0'.repeat(64)}`,
      containerID: `containerd://${randomHex(64)}`,
      ready,
      started: running,
      restartCount: 0,
      state: running
        ? { running: { startedAt: at } }
        : phase === 'Succeeded' || phase === 'Failed'
          ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt, finishedAt: at } }
          : { waiting: { reason: 'ContainerCreating' } },
    })),
    qosClass: 'BestEffort',
  };
}

export function podReady(pod: KubeObject): boolean {
  const status = isRecord(pod.status) ? pod.status : {};
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  return conditions.some((c) => isRecord(c) && c.type === 'Ready' && c.status === 'True') && metaOf(pod).deletionTimestamp === undefined;
}

export function deploymentObject(ns: string, name: string, replicas: number, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { ...labels }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels } },
      template: podTemplate({ ...labels }, `registry.example/${name}:1.0`),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  };
}

export function statefulSetObject(ns: string, name: string, replicas: number, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns, labels: { ...labels } },
    spec: {
      replicas,
      selector: { matchLabels: { ...labels } },
      serviceName: name,
      template: podTemplate({ ...labels }, `registry.example/${name}:1.0`),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    },
    status: {},
  };
}

export function pdbObject(ns: string, name: string, selector: Record<string, string>, budget: { minAvailable?: number | string; maxUnavailable?: number | string }): KubeObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { ...selector } },
      ...(budget.minAvailable !== undefined ? { minAvailable: budget.minAvailable } : {}),
      ...(budget.maxUnavailable !== undefined ? { maxUnavailable: budget.maxUnavailable } : {}),
    },
  };
}

/** What the API server defaults on create for the kinds that need it here. */
export function applyCreateDefaults(kind: string, obj: KubeObject): void {
  if (kind === 'Pod' && !isRecord(obj.status)) {
    const spec = recordAt(obj, 'spec');
    spec.restartPolicy ??= 'Always';
    spec.schedulerName ??= 'default-scheduler';
    spec.serviceAccountName ??= 'default';
    setPodStatus(obj, 'Pending', false);
  }
  if (kind === 'Namespace') {
    obj.status = { phase: 'Active' };
    const m = metaOf(obj);
    m.labels = { ...(isRecord(m.labels) ? m.labels : {}), 'kubernetes.io/metadata.name': m.name };
  }
  if ((kind === 'Deployment' || kind === 'StatefulSet') && !isRecord(obj.status)) obj.status = {};
}
