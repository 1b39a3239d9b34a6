/**
 * `faultline janitor` as the CronJob runs it: a real process against the Kubernetes API stand-in,
 * seeded with expired faults the real driver injected (50 scaled-down deployments, 20 cordoned nodes,
 * 20 network partitions: 110 objects). Restore time is process start to exit, median of a few runs;
 * per-object time is that minus the time of a pass with nothing to do, and (steadier on a busy machine)
 * the same pass in-process, without the process start.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKubeClient, kubernetesFaultSchema, kubernetesTargetAdapter, kubernetesTargetSchema, KubernetesTargetConfig } from '../src/adapters/targets/kubernetes/index.js';
import { runJanitor as runPass } from '../src/adapters/targets/kubernetes/janitor.js';
import type { ResolvedTarget, TargetDriver, TargetSpec } from '../src/core/ports.js';
import { KubeApiStandIn } from '../test/fakes/kube-api.js';

const DEPLOYMENTS = 50;
const NODES = 20;
const PARTITIONS = 20;
const RUNS = Number(process.env.BENCH_JANITOR_RUNS ?? 3);
const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'src', 'app', 'faultline.mjs');
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function runJanitor(kubeconfig: string): Promise<{ ms: number; code: number | null; stdout: string }> {
  const env = { ...process.env };
  delete env.FAULTLINE_CONFIG;
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'janitor', '--kubeconfig', kubeconfig, '--grace', '0s'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ ms: performance.now() - t0, code, stdout })));
}

async function seed(driver: TargetDriver, run: number): Promise<number> {
  const expired = { expiresAt: Date.now() - 60_000, now: Date.now, log: quiet, note: () => {} };
  let objects = 0;
  const inject = async (id: string, t: Record<string, unknown>, f: Record<string, unknown>) => {
    const [target] = (await driver.preview(kubernetesTargetSchema.parse({ adapter: 'kubernetes', ...t }) as unknown as TargetSpec, { log: quiet })) as ResolvedTarget[];
    const h = await driver.inject(kubernetesFaultSchema.parse({ duration: '1m', ...f }), [target!], { experimentId: `exp-b${run}${id}`, handleId: `fh-b${run}${id}`, ...expired });
    objects += (h.data.objects as unknown[]).length;
  };
  for (let i = 0; i < DEPLOYMENTS; i++) await inject(`d${i}`, { namespace: 'shop', kind: 'Deployment', name: `svc-${i}` }, { type: 'scale-down', parameters: { replicas: 0 } });
  for (let i = 0; i < NODES; i++) await inject(`n${i}`, { nodeSelector: { spare: `s${i}` } }, { type: 'node-drain' });
  for (let i = 0; i < PARTITIONS; i++) await inject(`p${i}`, { namespace: 'edge', selector: { app: `edge-${i}` } }, { type: 'network-partition' });
  return objects;
}

export async function benchJanitor(log: (line: string) => void): Promise<void> {
  const api = await KubeApiStandIn.start({ podStartMs: 0 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-janitor-'));
  try {
    const kubeconfig = api.writeKubeconfig(dir);
    api.addNode('work-1');
    for (let i = 0; i < DEPLOYMENTS; i++) api.addDeployment('shop', `svc-${i}`, { replicas: 2, labels: { app: `svc-${i}` }, nodeNames: ['work-1'] });
    for (let i = 0; i < PARTITIONS; i++) api.addDeployment('edge', `edge-${i}`, { replicas: 1, labels: { app: `edge-${i}` }, nodeNames: ['work-1'] });
    for (let i = 0; i < NODES; i++) api.addNode(`spare-${i}`, { labels: { spare: `s${i}` } });
    const driver = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig }), { log: quiet, now: Date.now });

    const idle: number[] = [];
    for (let i = 0; i < RUNS; i++) idle.push((await runJanitor(kubeconfig)).ms);
    const times: number[] = [];
    let objects = 0;
    for (let run = 0; run < RUNS; run++) {
      objects = await seed(driver, run);
      const r = await runJanitor(kubeconfig);
      const confirmed = (r.stdout.match(/^confirmed /gm) ?? []).length;
      if (r.code !== 0 || confirmed !== DEPLOYMENTS + NODES + PARTITIONS) throw new Error(`janitor run ${run} did not confirm every handle (exit ${r.code}):\n${r.stdout.slice(-2000)}`);
      times.push(r.ms);
    }
    const passes: number[] = [];
    const client = createKubeClient(KubernetesTargetConfig.parse({ kubeconfig }), 'bench');
    for (let run = RUNS; run < 2 * RUNS; run++) {
      await seed(driver, run);
      const t0 = performance.now();
      const s = await runPass(client, { graceMs: 0, protectedNamespaces: [], dryRun: false, now: Date.now, policy: { attempts: 5, backoffMs: 250 } }, () => {});
      passes.push(performance.now() - t0);
      if (!s.ok || s.confirmed !== DEPLOYMENTS + NODES + PARTITIONS) throw new Error(`in-process pass ${run} did not confirm every handle`);
    }
    await driver.close?.();
    const handles = DEPLOYMENTS + NODES + PARTITIONS;
    const work = median(times) - median(idle);
    log(
      `janitor restore of ${handles} expired handles / ${objects} objects (${DEPLOYMENTS} deployments, ${NODES} nodes, ${PARTITIONS} policies + pods), process start to exit: ` +
        `median ${median(times).toFixed(0)} ms over ${RUNS} runs (${times.map((t) => t.toFixed(0)).join(', ')}); a pass with nothing to do: ${median(idle).toFixed(0)} ms`,
    );
    log(`janitor per object (revert + read-back receipt, beyond process start): ${(work / objects).toFixed(1)} ms; per handle ${(work / handles).toFixed(1)} ms`);
    log(
      `janitor pass in-process (list, revert, receipt; 8 handles at a time): median ${median(passes).toFixed(0)} ms over ${RUNS} runs, ${(median(passes) / objects).toFixed(2)} ms per object, ${(median(passes) / handles).toFixed(2)} ms per handle`,
    );
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
