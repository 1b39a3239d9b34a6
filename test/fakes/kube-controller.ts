import { podObject, setPodStatus } from './kube-objects.js';
import { controllerRef, nodeOf, ordinal, ownerRefTo, phaseOf, replicasOf, scaleDownOrder } from './kube-owners.js';
import { type ResourceType, shortHash } from './kube-resources.js';
import type { KubeStore } from './kube-store.js';
import { clone, fieldOf, isRecord, type KubeObject, metaOf, nameOf, namespaceOf, randomSuffix, recordAt, stringMap } from './kube-types.js';
import { deploymentStatus, replicaSetStatus, statefulSetStatus } from './kube-workload-status.js';

export interface WorkloadTypes {
  pods: ResourceType;
  nodes: ResourceType;
  deployments: ResourceType;
  replicasets: ResourceType;
  statefulsets: ResourceType;
}

/**
 * A tiny stand-in for kube-controller-manager, kube-scheduler and the kubelet: Deployments own one ReplicaSet,
 * ReplicaSets and StatefulSets keep spec.replicas pods, new pods are placed on the least loaded schedulable node
 * and turn Running/Ready after `startDelayMs`, and objects whose controller is gone are garbage-collected.
 */
export class KubeController {
  enabled = true;
  startDelayMs = 200;
  private timer: NodeJS.Timeout | undefined;
  private readonly podTimers = new Map<string, NodeJS.Timeout>();
  private readonly pinnedNodes = new Map<string, string[]>();
  private reconciling = false;
  private closed = false;
  /** Pods per node, kept up to date from store events (pod uid → node). */
  private readonly podNode = new Map<string, string>();
  private readonly nodeLoad = new Map<string, number>();

  constructor(
    private readonly store: KubeStore,
    private readonly t: WorkloadTypes,
  ) {}

  /** Restricts where a workload's pods are placed (seeding's `nodeNames`). */
  pinNodes(ownerUid: string, nodeNames: string[]): void {
    this.pinnedNodes.set(ownerUid, nodeNames);
  }

  /** Store listener: keeps the per-node pod count and schedules a reconcile. */
  observe(t: ResourceType, obj: KubeObject, event: 'added' | 'modified' | 'deleted'): void {
    if (t === this.t.pods) {
      const uid = String(metaOf(obj).uid);
      const before = this.podNode.get(uid);
      const after = event === 'deleted' ? undefined : nodeOf(obj);
      if (before !== after) {
        if (before) this.nodeLoad.set(before, (this.nodeLoad.get(before) ?? 1) - 1);
        if (after) this.nodeLoad.set(after, (this.nodeLoad.get(after) ?? 0) + 1);
        if (after) this.podNode.set(uid, after);
        else this.podNode.delete(uid);
      }
    }
    this.kick();
  }

  /** Something changed: reconcile soon (debounced), as the watch-driven controllers would. */
  kick(): void {
    if (!this.enabled || this.closed || this.reconciling || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reconcile();
    }, 5);
  }

  setEnabled(on: boolean): void {
    this.enabled = on;
    if (on) this.kick();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const t of this.podTimers.values()) clearTimeout(t);
    this.podTimers.clear();
  }

  /** Seeding: gives one new Deployment/StatefulSet its pods at once, Running and Ready, without a full pass. */
  seedWorkload(owner: KubeObject): void {
    this.reconciling = true;
    try {
      const load = new Map(this.nodeLoad);
      const uid = String(metaOf(owner).uid);
      if (owner.kind === 'Deployment') {
        const rs = this.ensureReplicaSet(owner);
        const pods = this.syncPods(rs, [], load, true, uid);
        this.writeStatus(this.t.replicasets, rs, replicaSetStatus(rs, pods));
        this.writeStatus(this.t.deployments, owner, deploymentStatus(owner, pods));
      } else {
        this.writeStatus(this.t.statefulsets, owner, statefulSetStatus(owner, this.syncPods(owner, [], load, true)));
      }
    } finally {
      this.reconciling = false;
    }
  }

  /** One pass over every workload, as the controllers would after a watch event. */
  reconcile(): void {
    if (!this.enabled || this.closed) return;
    this.reconciling = true;
    try {
      const byOwner = new Map<string, KubeObject[]>();
      const load = new Map(this.nodeLoad);
      for (const pod of this.store.values(this.t.pods)) {
        const ref = controllerRef(pod);
        if (!ref) continue;
        const list = byOwner.get(ref.uid);
        if (list) list.push(pod);
        else byOwner.set(ref.uid, [pod]);
      }
      const liveOwners = new Set<string>();
      for (const deploy of this.store.values(this.t.deployments)) {
        const rs = this.ensureReplicaSet(deploy);
        liveOwners.add(String(metaOf(deploy).uid));
        liveOwners.add(String(metaOf(rs).uid));
        const pods = this.syncPods(rs, byOwner.get(String(metaOf(rs).uid)) ?? [], load, false, String(metaOf(deploy).uid));
        this.writeStatus(this.t.replicasets, rs, replicaSetStatus(rs, pods));
        this.writeStatus(this.t.deployments, deploy, deploymentStatus(deploy, pods));
      }
      for (const sts of this.store.values(this.t.statefulsets)) {
        liveOwners.add(String(metaOf(sts).uid));
        const pods = this.syncPods(sts, byOwner.get(String(metaOf(sts).uid)) ?? [], load, false);
        this.writeStatus(this.t.statefulsets, sts, statefulSetStatus(sts, pods));
      }
      this.collectGarbage(liveOwners);
    } finally {
      this.reconciling = false;
    }
  }

  private ensureReplicaSet(deploy: KubeObject): KubeObject {
    const ns = namespaceOf(deploy) ?? 'default';
    const hash = shortHash(String(metaOf(deploy).uid));
    const name = `${nameOf(deploy)}-${hash}`;
    const spec = fieldOf(deploy, 'spec');
    const template = clone(isRecord(spec.template) ? spec.template : {});
    const tmeta = recordAt(template, 'metadata');
    tmeta.labels = { ...stringMap(tmeta.labels), 'pod-template-hash': hash };
    const selector = isRecord(spec.selector) ? spec.selector : {};
    const rsSpec = {
      replicas: replicasOf(deploy),
      selector: { ...selector, matchLabels: { ...stringMap(selector.matchLabels), 'pod-template-hash': hash } },
      template,
    };
    const existing = this.store.peek(this.t.replicasets, ns, name);
    if (existing) {
      if (replicasOf(existing) === rsSpec.replicas) return existing;
      return this.store.update(this.t.replicasets, ns, name, { ...existing, spec: { ...fieldOf(existing, 'spec'), replicas: rsSpec.replicas } });
    }
    return this.store.create(this.t.replicasets, ns, {
      metadata: {
        name,
        namespace: ns,
        labels: { ...stringMap(tmeta.labels) },
        annotations: { 'deployment.kubernetes.io/desired-replicas': String(rsSpec.replicas), 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: [ownerRefTo('Deployment', deploy)],
      },
      spec: rsSpec,
      status: { replicas: 0 },
    });
  }

  /** Brings an owner's pods to spec.replicas; returns the pods that remain. */
  private syncPods(owner: KubeObject, current: KubeObject[], load: Map<string, number>, instant: boolean, pinKey?: string): KubeObject[] {
    const ns = namespaceOf(owner) ?? 'default';
    const isSts = owner.kind === 'StatefulSet';
    const pods = current.filter((p) => metaOf(p).deletionTimestamp === undefined);
    const desired = replicasOf(owner);
    const candidates = this.candidateNodes(this.pinnedNodes.get(pinKey ?? String(metaOf(owner).uid)));
    if (pods.length > desired) {
      pods.sort(isSts ? (a, b) => ordinal(b) - ordinal(a) : scaleDownOrder);
      for (const victim of pods.splice(0, pods.length - desired)) {
        this.store.remove(this.t.pods, ns, nameOf(victim));
        const node = nodeOf(victim);
        if (node) load.set(node, (load.get(node) ?? 1) - 1);
      }
    }
    const taken = new Set(pods.map(nameOf));
    for (let i = 0; pods.length < desired; i++) {
      if (isSts && taken.has(`${nameOf(owner)}-${i}`)) continue;
      const name = isSts ? `${nameOf(owner)}-${i}` : `${nameOf(owner)}-${randomSuffix()}`;
      if (!isSts && taken.has(name)) continue;
      pods.push(this.createPod(owner, name, this.pickNode(load, candidates), instant));
      taken.add(name);
    }
    for (const pod of pods) this.tendPod(pod, load, candidates);
    return pods.map((p) => this.store.peek(this.t.pods, ns, nameOf(p)) ?? p);
  }

  private createPod(owner: KubeObject, name: string, nodeName: string | undefined, instant: boolean): KubeObject {
    const ns = namespaceOf(owner) ?? 'default';
    const spec = fieldOf(owner, 'spec');
    const template = clone(isRecord(spec.template) ? spec.template : {});
    const labels = stringMap(recordAt(template, 'metadata').labels);
    if (owner.kind === 'StatefulSet') {
      labels['statefulset.kubernetes.io/pod-name'] = name;
      labels['controller-revision-hash'] = `${nameOf(owner)}-${shortHash(String(metaOf(owner).uid))}`;
    }
    const pod = podObject(
      ns,
      { name, labels, ...(nodeName ? { nodeName } : {}), phase: instant && nodeName ? 'Running' : 'Pending', ready: instant && Boolean(nodeName) },
      { ownerReferences: [ownerRefTo(String(owner.kind), owner)], spec: recordAt(template, 'spec') },
    );
    if (owner.kind !== 'StatefulSet') metaOf(pod).generateName = `${nameOf(owner)}-`;
    return this.store.create(this.t.pods, ns, pod, { owned: true });
  }

  /** Names of the nodes a workload may use: schedulable (not cordoned) and, when pinned, among the pinned ones. */
  private candidateNodes(pinned: string[] | undefined): string[] {
    return this.store
      .values(this.t.nodes)
      .filter((n) => fieldOf(n, 'spec').unschedulable !== true)
      .map(nameOf)
      .filter((n) => !pinned || pinned.includes(n))
      .sort();
  }

  /** The least loaded candidate (first by name on a tie), as a spreading scheduler would pick. */
  private pickNode(load: Map<string, number>, candidates: string[]): string | undefined {
    let chosen: string | undefined;
    let best = Infinity;
    for (const n of candidates) {
      const l = load.get(n) ?? 0;
      if (l < best) [chosen, best] = [n, l];
    }
    if (chosen) load.set(chosen, best + 1);
    return chosen;
  }

  /** Scheduler and kubelet for one owned pod: bind an unscheduled pod, start a Pending one after a delay. */
  private tendPod(pod: KubeObject, load: Map<string, number>, candidates: string[]): void {
    const ns = namespaceOf(pod) ?? 'default';
    if (phaseOf(pod) !== 'Pending') return;
    if (!nodeOf(pod)) {
      const node = this.pickNode(load, candidates);
      if (!node) return;
      const next = clone(pod);
      recordAt(next, 'spec').nodeName = node;
      setPodStatus(next, 'Pending', false);
      this.store.update(this.t.pods, ns, nameOf(pod), next);
    }
    const uid = String(metaOf(pod).uid);
    if (this.podTimers.has(uid)) return;
    const timer = setTimeout(() => {
      this.podTimers.delete(uid);
      const now = this.store.peek(this.t.pods, ns, nameOf(pod));
      if (!now || metaOf(now).uid !== uid || phaseOf(now) !== 'Pending' || !nodeOf(now)) return;
      const next = clone(now);
      setPodStatus(next, 'Running', true);
      this.store.update(this.t.pods, ns, nameOf(pod), next);
    }, this.startDelayMs);
    this.podTimers.set(uid, timer);
  }

  private writeStatus(t: ResourceType, obj: KubeObject, status: Record<string, unknown>): void {
    const cur = this.store.peek(t, namespaceOf(obj) ?? null, nameOf(obj));
    if (cur) this.store.update(t, namespaceOf(cur) ?? null, nameOf(cur), { ...cur, status });
  }

  /** Background deletion: ReplicaSets of deleted Deployments, pods of deleted ReplicaSets/StatefulSets. */
  private collectGarbage(liveOwners: Set<string>): void {
    for (const rs of this.store.values(this.t.replicasets)) {
      const ref = controllerRef(rs);
      if (ref?.kind === 'Deployment' && !liveOwners.has(ref.uid)) this.store.remove(this.t.replicasets, namespaceOf(rs) ?? null, nameOf(rs));
      else liveOwners.add(String(metaOf(rs).uid));
    }
    for (const pod of this.store.values(this.t.pods)) {
      const ref = controllerRef(pod);
      if (ref && (ref.kind === 'ReplicaSet' || ref.kind === 'StatefulSet') && !liveOwners.has(ref.uid)) {
        this.store.remove(this.t.pods, namespaceOf(pod) ?? null, nameOf(pod));
      }
    }
  }
}
