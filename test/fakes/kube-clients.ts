import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, PolicyV1Api } from '@kubernetes/client-node';
import type { KubeApiStandIn } from './kube-api.js';
import type { KubeStatus } from './kube-status.js';

/** The real @kubernetes/client-node API clients, configured from a kubeconfig the stand-in wrote. */
export interface KubeClients {
  dir: string;
  kubeconfigPath: string;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  net: NetworkingV1Api;
  custom: CustomObjectsApi;
  ext: ApiextensionsV1Api;
  cleanup(): void;
}

export function kubeClients(api: KubeApiStandIn, opts: { namespace?: string } = {}): KubeClients {
  const dir = mkdtempSync(join(tmpdir(), 'kube-stand-in-'));
  const kubeconfigPath = api.writeKubeconfig(dir, opts);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    dir,
    kubeconfigPath,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    net: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    ext: kc.makeApiClient(ApiextensionsV1Api),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CaughtKubeError {
  code: number;
  /** The Status body, parsed (client-node 1.x hands it over as a JSON string, or not at all for 401). */
  status: KubeStatus | undefined;
  error: ApiException<unknown>;
}

/** Awaits a call that must fail with an ApiException and returns its code and parsed Status body. */
export async function kubeError(call: Promise<unknown>): Promise<CaughtKubeError> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const e = err as ApiException<unknown>;
    let status: KubeStatus | undefined;
    if (typeof e.body === 'string' && e.body.length > 0) status = JSON.parse(e.body) as KubeStatus;
    else if (typeof e.body === 'object' && e.body !== null) status = e.body as KubeStatus;
    return { code: e.code, status, error: e };
  }
  throw new Error('expected the Kubernetes call to fail, but it succeeded');
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
