import { ensureSandbox } from '../../src/app/sandbox-launcher.js';

/** A sandbox as the integration tests use it: where its proxy and admin API are, and how to stop it. */
export interface SandboxProcess {
  proxyUrl: string;
  adminUrl: string;
  stop(): Promise<void>;
}

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * The sandbox in its own process, started the way the bot starts it (`ensureSandbox`, free ports).
 * Its proxy then times requests on an event loop of its own: the test's engine, Bolt app and
 * stand-ins running in the test's process cannot add their pauses to the latency the playbooks'
 * steady state reads, which in-process made the p99 checks fail on a busy machine.
 */
export async function startSandboxProcess(opts: { replicas?: number; rps?: number; statsWindowSeconds?: number } = {}): Promise<SandboxProcess> {
  const launched = await ensureSandbox({
    host: '127.0.0.1',
    proxyPort: 0,
    adminPort: 0,
    replicas: opts.replicas ?? 3,
    rps: opts.rps ?? 40,
    ...(opts.statsWindowSeconds !== undefined ? { statsWindow: opts.statsWindowSeconds * 1000 } : {}),
    log: quiet,
  });
  return { proxyUrl: launched.proxyUrl, adminUrl: launched.adminUrl, stop: () => launched.stop() };
}
