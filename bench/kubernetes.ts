/**
 * The Kubernetes target over the real client library against the API stand-in, which runs in its
 * own process as a real API server would: preview over 10 000 pods in one namespace (paginated),
 * and a pod-delete of 100 pods.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { kubernetesTargetAdapter, kubernetesTargetSchema, KubernetesTargetConfig } from '../src/adapters/targets/kubernetes/index.js';
import type { FaultSpec, TargetSpec } from '../src/core/ports.js';

const PODS = Number(process.env.BENCH_KUBE_PODS ?? 10_000);
const DELETE = 100;
const ROOT = path.resolve(import.meta.dirname, '..');
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

export async function benchKubernetes(log: (line: string) => void): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/kube-stand-in-main.ts', String(PODS)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(String((await lines.next()).value)) as { msg: string; kubeconfig?: string; count?: number };
  try {
    const ready = await next();
    const config = KubernetesTargetConfig.parse({ kubeconfig: ready.kubeconfig });
    const driver = kubernetesTargetAdapter.create(config, { log: quiet, now: Date.now });
    const target = kubernetesTargetSchema.parse({ adapter: 'kubernetes', namespace: 'shop', selector: { app: 'web' }, blastRadius: 'all' }) as TargetSpec;
    await driver.preview(target, { log: quiet }); // warm-up
    const previews: number[] = [];
    let candidates = await driver.preview(target, { log: quiet });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      candidates = await driver.preview(target, { log: quiet });
      previews.push(performance.now() - t0);
    }
    log(`kubernetes preview of ${candidates.length} pods (paginated by ${config.pageSize}): best ${Math.min(...previews).toFixed(0)} ms, worst ${Math.max(...previews).toFixed(0)} ms (goal ≤ 1000 ms)`);

    const fault = { type: 'pod-delete', parameters: {}, duration: 60_000 } as unknown as FaultSpec;
    const t0 = performance.now();
    await driver.inject(fault, candidates.slice(0, DELETE), { experimentId: 'exp-bench', handleId: 'fh-bench', expiresAt: Date.now() + 60_000, now: Date.now, log: quiet, note: () => {} });
    const ms = performance.now() - t0;
    child.stdin!.write('count\n');
    const left = (await next()).count ?? PODS;
    log(`kubernetes pod-delete of ${DELETE} pods: ${ms.toFixed(0)} ms (goal ≤ 2000 ms); ${PODS - left} deleted`);
  } finally {
    child.stdin!.end();
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}
