import type { Logger } from 'pino';
import path from 'node:path';
import type { ChatPort } from '../core/ports.js';
import type { EngineDeps } from '../engine/engine-deps.js';
import { createApp, playbookVars, type App } from './compose.js';
import type { Config, LoadedConfig } from './config.js';
import { ensureSandbox, type LaunchedSandbox } from './sandbox-launcher.js';
import type { Store } from '../store/index.js';
import type { Fence } from './replica/fence.js';

/** Starts the sandbox when the config asks for it, points the process target at it, then builds the app. */
export async function boot(opts: {
  config: Config;
  chat: ChatPort;
  log: Logger;
  embedded: boolean;
  extraApprovers?: EngineDeps['extraApprovers'];
  env?: LoadedConfig['env'];
  /** Whether the bot serves HTTP (webhooks can reach it); default true. */
  httpServed?: boolean;
  /** A replica that leads: its lease fences the app's effects (compose.ts). */
  fence?: (store: Store) => Fence;
}): Promise<{ app: App; sandbox: LaunchedSandbox | null }> {
  const { config, log } = opts;
  let sandbox: LaunchedSandbox | null = null;
  if (config.sandbox.autoStart) {
    sandbox = await ensureSandbox({ ...config.sandbox, log });
    if (opts.embedded) config.adapters.targets.process = { ...(config.adapters.targets.process as object), adminUrl: sandbox.adminUrl };
  }
  try {
    const app = await createApp({
      config,
      chat: opts.chat,
      log,
      vars: playbookVars(config, sandbox ?? undefined),
      ...(opts.extraApprovers ? { extraApprovers: opts.extraApprovers } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.httpServed !== undefined ? { httpServed: opts.httpServed } : {}),
      ...(opts.fence ? { fence: opts.fence } : {}),
    });
    return { app, sandbox };
  } catch (err) {
    await sandbox?.stop();
    throw err;
  }
}

export function logFileFor(config: Config): string {
  return path.join(path.dirname(path.resolve(config.store.path === ':memory:' ? 'data/x' : config.store.path)), 'faultline.log');
}
