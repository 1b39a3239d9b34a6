import type { AdapterLogger } from '../../../core/ports.js';
import type { AwsClients } from './clients.js';
import type { AwsFaultFamily } from './fault-family.js';
import type { AwsTargetConfig } from './schema.js';

/** What the aws driver hands each fault family: its settings, the shared SDK clients, a logger and the clock. */
export interface AwsFamilyDeps {
  config: AwsTargetConfig;
  clients: AwsClients;
  log: AdapterLogger;
  now: () => number;
}

/** How a family is built (`createInstanceFaults`, `createFisFaults`); the driver lists them in AWS_FAMILIES. */
export type AwsFamilyFactory = (deps: AwsFamilyDeps) => AwsFaultFamily;
