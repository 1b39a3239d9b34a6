/** The Kubernetes API stand-in in its own process (as a real API server would be), seeded with pods. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeApiStandIn } from '../test/fakes/kube-api.js';

const pods = Number(process.argv[2] ?? 10_000);
const api = await KubeApiStandIn.start();
api.setController(false);
api.addNamespace('shop');
for (let i = 0; i < pods; i++) api.addPod('shop', { name: `web-${String(i).padStart(5, '0')}`, labels: { app: 'web' }, nodeName: `node-${i % 20}` });
const kubeconfig = api.writeKubeconfig(mkdtempSync(path.join(os.tmpdir(), 'faultline-kube-')), { namespace: 'shop' });
process.stdout.write(`${JSON.stringify({ msg: 'ready', kubeconfig })}\n`);
process.stdin.on('data', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'pods', count: api.list('pods', 'shop').length })}\n`);
});
process.stdin.on('end', () => void api.close().then(() => process.exit(0)));
