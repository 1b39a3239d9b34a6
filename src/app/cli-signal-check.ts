import { evaluateCheck, preflightGuardrails } from '../core/guardrails.js';
import type { Experiment } from '../core/playbook.js';
import type { SignalSource } from '../core/ports.js';
import { sampleAll } from '../engine/guards/sample-signals.js';

export interface SignalCheckLine {
  /** `ok`: a reading that would pass the pre-flight; `warn`: known but breaking now; `fail`: unknown. */
  status: 'ok' | 'warn' | 'fail';
  text: string;
}

/**
 * `faultline validate --check`: every guardrail and steady-state signal of a playbook sampled once,
 * as the pre-flight of a start would (PromQL against PROMETHEUS_URL). A signal that errors, times
 * out or returns nothing fails; one that reads but breaks its bound now is a warning, since that is
 * the system's state and not the playbook's.
 */
export async function checkSignals(playbook: Experiment, signals: ReadonlyMap<string, SignalSource>, timeoutMs: number): Promise<SignalCheckLine[]> {
  const clock = { now: () => Date.now() };
  const guards = playbook.guardrails;
  const checks = playbook.steadyState;
  const readings = await sampleAll(signals, [...guards.map((g) => g.signal), ...checks.map((c) => c.signal)], clock, timeoutMs);
  const lines: SignalCheckLine[] = [];
  preflightGuardrails(guards, readings.slice(0, guards.length), clock.now()).forEach((r, i) => {
    const status = r.passed ? 'ok' : r.reading.status === 'unknown' ? 'fail' : 'warn';
    const detail = status === 'warn' ? `${r.detail} (a start now would be refused)` : r.detail;
    lines.push({ status, text: `guardrails[${i}] ${r.name}: ${detail}` });
  });
  checks.forEach((c, i) => {
    const r = evaluateCheck(c, readings[guards.length + i]!);
    const status = r.passed ? 'ok' : r.reading.status === 'unknown' ? 'fail' : 'warn';
    lines.push({ status, text: `steadyState[${i}] ${r.name}: ${r.detail}` });
  });
  return lines;
}
