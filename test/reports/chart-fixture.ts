import type { PostmortemEvent } from '../../src/reports/postmortem/postmortem-events.js';
import type { ChartSource } from '../../src/reports/charts/chart-spec.js';

/** A fixed run: error rate climbs while the fault is in, one reading is blind, the 6th breaks > 0.05; success rate before and after. */
export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
export const ERROR_RATES: Array<number | null> = [0.004, 0.006, 0.011, 0.019, null, 0.034, 0.057];

let seq = 0;
const ev = (kind: string, at: number, data: Record<string, unknown>): PostmortemEvent =>
  ({ seq: ++seq, at, kind, experimentId: 'exp-c4a7e1', actor: 'faultline', data }) as unknown as PostmortemEvent;

export function chartSource(rates: Array<number | null> = ERROR_RATES): ChartSource {
  const events: PostmortemEvent[] = [ev('precheck', T0 - 2000, { results: [{ name: 'success rate', passed: true, detail: '0.998 >= 0.99', value: 0.998 }] })];
  events.push(ev('injected', T0, { handleId: 'h1' }));
  rates.forEach((v, i) => {
    const at = T0 + 1000 + i * 2000;
    const status = v === null ? 'pending' : v > 0.05 ? 'breach' : 'ok';
    events.push(ev('reading', at, { sampledAt: at, results: [{ name: 'error rate', status, detail: v === null ? 'unknown (1/3, no series)' : `${v}`, ...(v === null ? {} : { value: v }) }] }));
  });
  const end = T0 + 1000 + rates.length * 2000;
  events.push(ev('reverted', end, { handleId: 'h1' }));
  events.push(ev('postcheck', end + 1500, { results: [{ name: 'success rate', passed: true, detail: '0.995 >= 0.99', value: 0.995 }] }));
  return {
    id: 'exp-c4a7e1',
    title: 'Checkout answers 503 on some replicas',
    events,
    guardrails: [{ name: 'error rate', comparison: '>', threshold: 0.05 }],
    steadyState: [{ name: 'success rate', comparison: '>=', threshold: 0.99 }],
  };
}
