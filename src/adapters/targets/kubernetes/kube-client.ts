/**
 * The one door to the API server: kubeconfig loading (lazily, on the first call, so a bot without a
 * cluster starts fine), typed API clients, a per-call timeout joined with the caller's abort signal,
 * merge patches, paginated lists and readable errors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  PatchStrategy,
  type ConfigurationOptions,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { FaultlineError, errorText } from '../../../core/errors.js';
import type { KubeConnection } from './connection.js';

export interface KubeApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  net: NetworkingV1Api;
  custom: CustomObjectsApi;
  ext: ApiextensionsV1Api;
  /** SelfSubjectAccessReviews (the dry run's permission check). */
  authz: AuthorizationV1Api;
  /** The context's default namespace, if the kubeconfig names one. */
  contextNamespace: string | undefined;
  /** The kubeconfig context in use (`in-cluster` for the service account): the cluster's name in plans. */
  context: string;
  server: string;
}

/** A call that got no answer in time (or was cut off by the caller). */
export class KubeTimeoutError extends Error {}

export interface CallOptions {
  signal?: AbortSignal;
  /** Send the body as a JSON merge patch (RFC 7386) instead of the client's default JSON Patch. */
  mergePatch?: boolean;
}

export type CallFn = <T>(what: string, fn: (apis: KubeApis, options: ConfigurationOptions<ObservableMiddleware>) => Promise<T>, opts?: CallOptions) => Promise<T>;

export interface KubeClient {
  call: CallFn;
  /** Every item of a list, fetched `pageSize` at a time with `limit`/`continue`. */
  listAll<T>(what: string, page: (apis: KubeApis, query: { limit: number; _continue?: string }, options: ConfigurationOptions<ObservableMiddleware>) => Promise<ListPage<T>>, opts?: CallOptions): Promise<T[]>;
  apis(): KubeApis;
}

export interface ListPage<T> {
  items: T[];
  metadata?: { _continue?: string; continue?: string };
}

/** The status code of an API answer, or undefined when there was none. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? (err as ApiException<unknown>).code : undefined;
}

/** The `Status` the API server answered with (the client hands it over as text or as an object). */
export function statusBody(err: unknown): { message?: string; reason?: string } | undefined {
  if (!(err instanceof ApiException)) return undefined;
  let body: unknown = (err as ApiException<unknown>).body;
  if (typeof body === 'string') {
    const text = body;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      return { message: text.slice(0, 200) };
    }
  }
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { message?: unknown; reason?: unknown };
  return { ...(typeof b.message === 'string' ? { message: b.message } : {}), ...(typeof b.reason === 'string' ? { reason: b.reason } : {}) };
}

/** The `details.causes` of the API server's Status (e.g. which PodDisruptionBudget refused an eviction). */
export function statusCauses(err: unknown): Array<{ reason?: string; message?: string }> {
  if (!(err instanceof ApiException)) return [];
  let body: unknown = (err as ApiException<unknown>).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return [];
    }
  }
  const causes = (body as { details?: { causes?: unknown } } | undefined)?.details?.causes;
  if (!Array.isArray(causes)) return [];
  return causes
    .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
    .map((c) => ({ ...(typeof c.reason === 'string' ? { reason: c.reason } : {}), ...(typeof c.message === 'string' ? { message: c.message } : {}) }));
}

/** The API server's own words (`Status.message`) rather than the client's dump of headers. */
export function describeKubeError(err: unknown): string {
  if (err instanceof ApiException) {
    const status = statusBody(err);
    const text = status?.message ?? status?.reason ?? '';
    return `HTTP ${(err as ApiException<unknown>).code}${text ? `: ${text}` : ''}`;
  }
  return errorText(err);
}

/** Worth another try: 5xx, 409, 429 and calls that got no answer. */
export function isTransient(err: unknown): boolean {
  const code = statusOf(err);
  if (code === undefined) return !(err instanceof FaultlineError);
  return code >= 500 || code === 409 || code === 429;
}

export const noKubeconfigMessage = (configPath: string) => `no kubeconfig found: set KUBECONFIG or ${configPath}.kubeconfig`;

export function loadKubeConfig(conn: KubeConnection, configPath: string): KubeConfig {
  const kc = new KubeConfig();
  const saDir = conn.serviceAccountDir;
  try {
    if (conn.kubeconfig !== undefined) {
      const files = conn.kubeconfig.split(path.delimiter).filter(Boolean);
      const file = files.find((f) => existsSync(f));
      if (!file) throw new FaultlineError('adapter_error', `${noKubeconfigMessage(configPath)} (${files.join(', ')} does not exist)`);
      kc.loadFromFile(file);
    } else if (existsSync(path.join(saDir, 'token'))) {
      const nsFile = path.join(saDir, 'namespace');
      const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
      kc.loadFromOptions({
        clusters: [{ name: 'in-cluster', server: conn.inClusterServer, caFile: path.join(saDir, 'ca.crt'), skipTLSVerify: false }],
        users: [{ name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile: path.join(saDir, 'token') } } }],
        contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) }],
        currentContext: 'in-cluster',
      });
    } else {
      const file = path.join(conn.homeDir ?? homedir(), '.kube', 'config');
      if (!existsSync(file)) throw new FaultlineError('adapter_error', noKubeconfigMessage(configPath));
      kc.loadFromFile(file);
    }
  } catch (err) {
    if (err instanceof FaultlineError) throw err;
    throw new FaultlineError('adapter_error', `could not read the kubeconfig: ${errorText(err)}`, {}, { cause: err });
  }
  if (conn.context !== undefined) {
    if (!kc.getContextObject(conn.context)) {
      throw new FaultlineError('adapter_error', `kubeconfig has no context "${conn.context}"; it has: ${kc.getContexts().map((c) => c.name).join(', ') || '(none)'}`);
    }
    kc.setCurrentContext(conn.context);
  }
  if (!kc.getCurrentCluster()) throw new FaultlineError('adapter_error', `kubeconfig context "${kc.getCurrentContext()}" names no cluster`);
  return kc;
}

/** Makes a client; nothing is read or contacted until the first call. */
export function createKubeClient(conn: KubeConnection, configPath: string): KubeClient {
  let cached: KubeApis | undefined;

  function apis(): KubeApis {
    if (cached) return cached;
    const kc = loadKubeConfig(conn, configPath);
    const ctx = kc.getContextObject(kc.getCurrentContext());
    cached = {
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      net: kc.makeApiClient(NetworkingV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
      ext: kc.makeApiClient(ApiextensionsV1Api),
      authz: kc.makeApiClient(AuthorizationV1Api),
      contextNamespace: ctx?.namespace,
      context: kc.getCurrentContext(),
      server: kc.getCurrentCluster()?.server ?? '(unknown)',
    };
    return cached;
  }

  const call: CallFn = async (what, fn, opts = {}) => {
    const api = apis();
    const timeout = AbortSignal.timeout(conn.requestTimeout);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const middleware: ObservableMiddleware[] = [
      {
        pre: (req) => {
          req.setSignal(signal);
          if (opts.mergePatch) req.setHeaderParam('Content-Type', PatchStrategy.MergePatch);
          return new Observable(Promise.resolve(req));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      },
    ];
    try {
      return await fn(api, { middleware, middlewareMergeStrategy: 'append' });
    } catch (err) {
      if (err instanceof ApiException) throw err;
      if (timeout.aborted) throw new KubeTimeoutError(`${what}: no answer from ${api.server} within ${conn.requestTimeout} ms`, { cause: err });
      if (opts.signal?.aborted) throw new KubeTimeoutError(`${what}: cancelled`, { cause: err });
      throw new Error(`${what}: ${errorText(err)}`, { cause: err });
    }
  };

  async function listAll<T>(
    what: string,
    page: (apis: KubeApis, query: { limit: number; _continue?: string }, options: ConfigurationOptions<ObservableMiddleware>) => Promise<ListPage<T>>,
    opts: CallOptions = {},
  ): Promise<T[]> {
    let restarted = false;
    for (;;) {
      const out: T[] = [];
      let token: string | undefined;
      try {
        do {
          const res = await call(what, (a, o) => page(a, { limit: conn.pageSize, ...(token ? { _continue: token } : {}) }, o), opts);
          out.push(...res.items);
          token = res.metadata?._continue || res.metadata?.continue || undefined;
        } while (token);
        return out;
      } catch (err) {
        // An expired continue token (410 Gone): start over once from a fresh snapshot.
        if (statusOf(err) === 410 && !restarted) {
          restarted = true;
          continue;
        }
        throw err;
      }
    }
  }

  return { call, listAll, apis };
}
