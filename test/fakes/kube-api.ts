import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { AccessReviews, type AccessReviewRecord, type AccessRule } from './kube-access.js';
import { KubeController } from './kube-controller.js';
import { readBody, RuleBook, sendReply, Sleeper } from './kube-http.js';
import { present, type Reply } from './kube-handlers.js';
import { deploymentObject, namespaceObject, nodeObject, pdbObject, podObject, type PodSeed, statefulSetObject } from './kube-objects.js';
import { CHAOS_MESH_GROUP, CHAOS_MESH_KINDS, CHAOS_MESH_VERSION, crdObject, ResourceRegistry, type ResourceType, resourcesFromCrd } from './kube-resources.js';
import { PUBLIC_PATHS, resolveRoute, routeRequest, type RouterContext } from './kube-router.js';
import { badRequest, injectedFailure, internalError, KubeApiError, unauthorized } from './kube-status.js';
import { KubeStore, objectKey } from './kube-store.js';
import { STAND_IN_CA_CERT, STAND_IN_SERVER_CERT, STAND_IN_SERVER_KEY } from './kube-tls.js';
import { clone, type KubeObject, type KubeRequestRecord, metaOf, nameOf } from './kube-types.js';

export interface KubeApiStandInOptions {
  port?: number;
  /** How long a pod the controller creates stays Pending before it is Running and Ready. */
  podStartMs?: number;
  /** Serve HTTPS with the embedded test CA (kubectl sends bearer tokens only over TLS). */
  tls?: boolean;
}

function must(t: ResourceType | undefined): ResourceType {
  if (!t) throw new Error('built-in resource type missing');
  return t;
}

/**
 * A stand-in Kubernetes API server on 127.0.0.1 speaking the real JSON wire format: legacy discovery, core/v1,
 * apps/v1 (with scale), policy/v1 (PDBs, evictions), networking.k8s.io/v1, apiextensions.k8s.io/v1,
 * SelfSubjectAccessReviews (authorization.k8s.io/v1, answered from an allow-list: allowAccess) and,
 * once installed (or created through the API), CRD-backed resources such as the Chaos Mesh kinds.
 * Records every request; can fail or slow down chosen requests. A small controller keeps workloads at
 * spec.replicas. Plain http by default; `tls: true` serves https with an embedded test CA (needed by kubectl).
 * Not served: watch (405), server-side apply (415), Table output, logs/exec/port-forward.
 */
export class KubeApiStandIn {
  readonly requests: KubeRequestRecord[] = [];
  readonly token = `stand-in-${randomBytes(12).toString('hex')}`;
  private readonly registry = new ResourceRegistry();
  private readonly store = new KubeStore(this.registry);
  private readonly t = {
    namespaces: must(this.registry.find('', 'v1', 'namespaces')),
    nodes: must(this.registry.find('', 'v1', 'nodes')),
    pods: must(this.registry.find('', 'v1', 'pods')),
    deployments: must(this.registry.find('apps', 'v1', 'deployments')),
    replicasets: must(this.registry.find('apps', 'v1', 'replicasets')),
    statefulsets: must(this.registry.find('apps', 'v1', 'statefulsets')),
    pdbs: must(this.registry.find('policy', 'v1', 'poddisruptionbudgets')),
    crds: must(this.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')),
  };
  private readonly controller = new KubeController(this.store, this.t);
  private readonly failRules = new RuleBook<number>();
  private readonly slowRules = new RuleBook<number>();
  private readonly sleeper = new Sleeper();
  private readonly access = new AccessReviews();
  private readonly ctx: RouterContext;
  private port = 0;
  private readonly server: Server;
  private readonly tls: boolean;

  private constructor(opts: KubeApiStandInOptions) {
    if (opts.podStartMs !== undefined) this.controller.startDelayMs = opts.podStartMs;
    const deps = {
      store: this.store,
      policy: { pods: this.t.pods, pdbs: this.t.pdbs, replicasets: this.t.replicasets, statefulsets: this.t.statefulsets },
      onCrd: (crd: KubeObject, event: 'added' | 'deleted') => this.onCrd(crd, event),
    };
    this.ctx = { registry: this.registry, deps, access: this.access, serverAddress: '127.0.0.1:0' };
    this.store.onChange((t, obj, event) => this.controller.observe(t, obj, event));
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) this.addNamespace(ns);
    this.tls = opts.tls ?? false;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = this.tls ? createTlsServer({ cert: STAND_IN_SERVER_CERT, key: STAND_IN_SERVER_KEY }, handler) : createServer(handler);
  }

  static async start(opts: KubeApiStandInOptions = {}): Promise<KubeApiStandIn> {
    const api = new KubeApiStandIn(opts);
    api.port = await listenOn(api.server, opts.port ?? 0, '127.0.0.1');
    api.ctx.serverAddress = `127.0.0.1:${api.port}`;
    return api;
  }

  /** How many stored objects list requests have walked in total (paging through n objects walks about n). */
  get listScanCount(): number {
    return this.store.scanned;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /**
   * Writes a kubeconfig for this server (context `stand-in`, bearer token) and returns its path. Over TLS it
   * carries the test CA; over plain http it sets insecure-skip-tls-verify, without which client-node 1.x
   * refuses an http: server outright.
   */
  writeKubeconfig(dir: string, opts: { namespace?: string } = {}): string {
    const path = join(dir, 'kubeconfig.yaml');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'stand-in',
          cluster: this.tls
            ? { server: this.url, 'certificate-authority-data': Buffer.from(STAND_IN_CA_CERT).toString('base64') }
            : { server: this.url, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'stand-in', user: { token: this.token } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'stand-in', namespace: opts.namespace ?? 'default' } }],
      'current-context': 'stand-in',
      preferences: {},
    };
    writeFileSync(path, stringify(config), { mode: 0o600 });
    return path;
  }

  // ---- seeding -------------------------------------------------------------------------------

  addNamespace(name: string, labels: Record<string, string> = {}): void {
    const cur = this.store.peek(this.t.namespaces, null, name);
    if (!cur) this.store.create(this.t.namespaces, null, namespaceObject(name, labels));
    else this.store.update(this.t.namespaces, null, name, { ...cur, metadata: { ...metaOf(cur), labels: { ...(metaOf(cur).labels as object), ...labels } } });
  }

  addNode(name: string, opts: { labels?: Record<string, string>; unschedulable?: boolean } = {}): void {
    this.store.create(this.t.nodes, null, nodeObject(name, this.store.values(this.t.nodes).length, opts));
    this.controller.reconcile();
  }

  /** A Deployment with its ReplicaSet and `replicas` Running, Ready pods spread over the nodes (all schedulable ones, or `nodeNames`). */
  addDeployment(ns: string, name: string, opts: { replicas: number; labels: Record<string, string>; nodeNames?: string[] }): void {
    this.ensureNamespace(ns);
    const created = this.store.create(this.t.deployments, ns, deploymentObject(ns, name, opts.replicas, opts.labels));
    this.pinAndSync(created, opts.nodeNames);
  }

  addStatefulSet(ns: string, name: string, opts: { replicas: number; labels: Record<string, string>; nodeNames?: string[] }): void {
    this.ensureNamespace(ns);
    const created = this.store.create(this.t.statefulsets, ns, statefulSetObject(ns, name, opts.replicas, opts.labels));
    this.pinAndSync(created, opts.nodeNames);
  }

  addPod(ns: string, pod: PodSeed): void {
    this.ensureNamespace(ns);
    this.store.create(this.t.pods, ns, podObject(ns, pod));
  }

  addPdb(ns: string, name: string, opts: { selector: Record<string, string>; minAvailable?: number | string; maxUnavailable?: number | string }): void {
    this.ensureNamespace(ns);
    this.store.create(this.t.pdbs, ns, pdbObject(ns, name, opts.selector, opts));
  }

  /** Registers the chaos-mesh.org/v1alpha1 CRDs (NetworkChaos, HTTPChaos, StressChaos, TimeChaos). */
  installChaosMesh(): void {
    for (const { plural, kind } of CHAOS_MESH_KINDS) {
      const crd = crdObject(CHAOS_MESH_GROUP, CHAOS_MESH_VERSION, plural, kind);
      const existing = this.store.peek(this.t.crds, null, nameOf(crd));
      this.onCrd(existing ?? this.store.create(this.t.crds, null, crd), 'added');
    }
  }

  // ---- inspection ----------------------------------------------------------------------------

  /** A copy of one object (`kind` is a plural, singular or Kind: 'pods', 'deployment', 'NetworkChaos'). */
  get(kind: string, ns: string | null, name: string): Record<string, unknown> | undefined {
    const t = this.typeFor(kind);
    const obj = t ? this.store.peek(t, t.namespaced ? ns : null, name) : undefined;
    return t && obj ? clone(present(this.ctx.deps, t, obj)) : undefined;
  }

  /** Copies of all objects of a kind, in one namespace or (ns omitted/null) all, in API list order. */
  list(kind: string, ns?: string | null): Array<Record<string, unknown>> {
    const t = this.typeFor(kind);
    if (!t) return [];
    const objs = this.store.values(t, ns ?? null);
    const key = (o: KubeObject) => objectKey(t, (metaOf(o).namespace as string | undefined) ?? null, nameOf(o));
    return objs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).map((o) => clone(present(this.ctx.deps, t, o)));
  }

  // ---- behaviours ----------------------------------------------------------------------------

  /** The next `times` matching requests fail with `status` and a proper Status body, without being carried out. */
  failNext(match: { method?: string; pathIncludes?: string }, status: number, times = 1): void {
    this.failRules.add(match, status, times);
  }

  /** The next `times` matching requests wait `delayMs` before being handled. */
  slowNext(match: { method?: string; pathIncludes?: string }, delayMs: number, times = 1): void {
    this.slowRules.add(match, delayMs, times);
  }

  /** How many requests a slowNext rule holds right now. */
  get delayedRequests(): number {
    return this.sleeper.size;
  }

  /** Ends every slowNext delay now: the held requests are handled at once. */
  wakeDelayed(): void {
    this.sleeper.wakeAll();
  }

  /**
   * SelfSubjectAccessReviews are allowed only by these RBAC rules from now on (as deploy/rbac.yaml's
   * ClusterRole writes them; `namespaces` limits a rule as RoleBindings would). Other requests are not
   * checked against them.
   */
  allowAccess(rules: readonly AccessRule[]): void {
    this.access.allowOnly(rules);
  }

  /** Back to the default: every SelfSubjectAccessReview is allowed. */
  allowAllAccess(): void {
    this.access.allowAll();
  }

  /** Every SelfSubjectAccessReview answered so far, with its answer. */
  get accessReviews(): readonly AccessReviewRecord[] {
    return this.access.reviews;
  }

  /** Turns the Deployment/StatefulSet controller (and its scheduler and kubelet) on or off. */
  setController(on: boolean): void {
    this.controller.setEnabled(on);
  }

  async close(): Promise<void> {
    this.controller.close();
    this.sleeper.wakeAll();
    await closeServer(this.server);
  }

  // ---- internals -----------------------------------------------------------------------------

  private typeFor(kind: string): ResourceType | undefined {
    const t = this.registry.lookup(kind);
    if (t) return t;
    if (CHAOS_MESH_KINDS.some((k) => k.plural === kind.toLowerCase() || k.kind.toLowerCase() === kind.toLowerCase())) return undefined;
    throw new Error(`KubeApiStandIn: unknown kind "${kind}"`);
  }

  private ensureNamespace(ns: string): void {
    if (!this.store.peek(this.t.namespaces, null, ns)) this.addNamespace(ns);
  }

  private pinAndSync(owner: KubeObject, nodeNames: string[] | undefined): void {
    if (nodeNames) {
      for (const n of nodeNames) if (!this.store.peek(this.t.nodes, null, n)) this.addNode(n);
      this.controller.pinNodes(String(metaOf(owner).uid), nodeNames);
    }
    this.controller.seedWorkload(owner);
  }

  private onCrd(crd: KubeObject, event: 'added' | 'deleted'): void {
    for (const t of resourcesFromCrd(crd)) {
      if (event === 'added') this.registry.register(t);
      else this.registry.unregister(t.group, t.plural);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const path = url.pathname;
    const query = Object.fromEntries(url.searchParams);
    const contentType = req.headers['content-type'];
    const raw = await readBody(req).catch(() => '');
    let body: unknown;
    let malformed = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        malformed = true;
      }
    }
    const record: KubeRequestRecord = { method, path, query, ...(contentType ? { contentType } : {}), ...(raw.length > 0 ? { body } : {}), status: 0, at };
    let reply: Reply;
    try {
      const delayMs = this.slowRules.take(method, path + url.search);
      if (delayMs !== undefined) await this.sleeper.sleep(delayMs);
      if (!PUBLIC_PATHS.has(path) && req.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
      const failWith = this.failRules.take(method, path + url.search);
      if (failWith !== undefined) {
        const route = resolveRoute(this.registry, path);
        throw injectedFailure(failWith, route?.type, route?.name);
      }
      if (malformed) throw badRequest(`the request body is not valid JSON: ${raw.slice(0, 80)}`);
      reply = routeRequest(this.ctx, method, path, query, body, contentType);
    } catch (err) {
      const e = err instanceof KubeApiError ? err : internalError(err instanceof Error ? err.message : String(err));
      reply = { code: e.code, body: e.status, headers: e.headers };
    }
    sendReply(res, reply);
    record.status = reply.code;
    this.requests.push(record);
  }
}
