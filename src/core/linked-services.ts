import type { Experiment } from './playbook.js';

/**
 * The incident-system services some runs are linked to: each playbook's `pagerduty.services`, then
 * the ones the config links to every run, once each. The incident gate, the on-call handshake and a
 * drill's detection record all mean the same services by "linked".
 */
export function linkedServices(specs: ReadonlyArray<Pick<Experiment, 'pagerduty'>>, configured: readonly string[]): string[] {
  return [...new Set([...specs.flatMap((s) => s.pagerduty.services), ...configured])];
}
