import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { eventually } from '../fakes/kube-clients.js';

const run = promisify(execFile);

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return join(dir, bin);
    } catch {
      // not here
    }
  }
  return undefined;
}

const kubectl = onPath('kubectl');
if (!kubectl) console.log('[kube stand-in] kubectl is not on the PATH: skipping the kubectl test (it runs where kubectl is installed, e.g. /usr/bin/kubectl).');

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  // TLS: kubectl (client-go) sends the bearer token only over TLS (kubernetes/kubectl#744).
  api = await KubeApiStandIn.start({ tls: true });
  api.addNode('node-a');
  api.addNode('node-b');
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' } });
  api.addDeployment('shop', 'api', { replicas: 1, labels: { app: 'api' } });
  dir = mkdtempSync(join(tmpdir(), 'kubectl-stand-in-'));
  kubeconfig = api.writeKubeconfig(dir);
});

afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

async function kc(...args: string[]): Promise<string> {
  const { stdout } = await run(kubectl ?? 'kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '', HOME: dir },
  });
  return stdout;
}

describe('the real kubectl against the stand-in', () => {
  it.skipIf(!kubectl)('get pods -l -o json, cordon and scale work (discovery included)', async () => {
    const list = JSON.parse(await kc('get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'json')) as { kind: string; items: Array<{ metadata: { name: string }; status: { phase: string } }> };
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => p.metadata.name).sort()).toEqual(api.list('pods', 'shop').map((p) => (p.metadata as { name: string }).name).filter((n) => n.startsWith('web-')).sort());
    expect(list.items.every((p) => p.status.phase === 'Running')).toBe(true);
    const discovery = api.requests.filter((r) => r.path === '/api' || r.path === '/apis' || r.path.startsWith('/apis/apps'));
    expect(discovery.length).toBeGreaterThan(0); // kubectl discovered the API before listing
    expect(api.requests.find((r) => r.path === '/api/v1/namespaces/shop/pods')?.query).toMatchObject({ labelSelector: 'app=web' });

    expect((await kc('cordon', 'node-a')).trim()).toBe('node/node-a cordoned');
    expect(api.get('nodes', null, 'node-a')?.spec).toMatchObject({ unschedulable: true });
    expect(api.requests.find((r) => r.method === 'PATCH' && r.path === '/api/v1/nodes/node-a')).toMatchObject({
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { unschedulable: true } },
    });

    expect((await kc('scale', 'deployment/web', '-n', 'shop', '--replicas=5')).trim()).toBe('deployment.apps/web scaled');
    expect(api.requests.find((r) => r.path.endsWith('/deployments/web/scale'))).toMatchObject({ method: 'PATCH', contentType: 'application/merge-patch+json', body: { spec: { replicas: 5 } } });
    const web = await eventually(() => {
      const pods = api.list('pods', 'shop').filter((p) => (p.metadata as { labels: Record<string, string> }).labels.app === 'web');
      return pods.length === 5 ? pods : undefined;
    });
    // The two new pods avoided the cordoned node.
    expect(web.filter((p) => (p.spec as { nodeName: string }).nodeName === 'node-a').length).toBeLessThanOrEqual(2);
    expect(api.get('deployments', 'shop', 'web')?.spec).toMatchObject({ replicas: 5 });
  });

  it('client-node also works over the TLS endpoint with the CA from the kubeconfig', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    expect(config.getCurrentCluster()?.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const nodes = await config.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-a', 'node-b']);
  });
});
