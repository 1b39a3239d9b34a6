import { Gauge, Registry } from 'prom-client';
import type { ReplicaNode } from './replica-node.js';

/**
 * What every replica says on /metrics, leader or not, so a scrape of all pods sees each one and
 * "nobody leads" is one query (`sum(faultline_replica_leader) == 0`). The leader adds the bot's
 * own metrics (experiments, guardrails, aborts) beside these.
 */
export function replicaMetrics(node: ReplicaNode): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'faultline' });
  new Gauge({
    name: 'faultline_replica_leader',
    help: 'Whether this replica leads (1) or follows (0)',
    registers: [registry],
    collect() {
      this.set(node.election.role === 'leader' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'faultline_replica_epoch',
    help: 'The lease epoch this replica leads under (0 while it follows)',
    registers: [registry],
    collect() {
      const token = node.election.token;
      this.set(node.election.role === 'leader' && token ? token.epoch : 0);
    },
  });
  new Gauge({
    name: 'faultline_replica_database_up',
    help: 'Whether the database answered this replica at its last readiness check',
    registers: [registry],
    async collect() {
      this.set((await node.readiness()).database === 'ok' ? 1 : 0);
    },
  });
  return registry;
}
