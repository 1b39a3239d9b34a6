/**
 * What the engine reports about itself. The app implements it with prom-client; tests and tools
 * that do not care pass nothing and get the no-op.
 */
export interface EngineMetrics {
  aborted(code: string): void;
  guardrailRound(durationMs: number, outcome: 'ok' | 'breach' | 'blind'): void;
  signalUnknown(source: string): void;
  revertFailed(adapter: string): void;
  chatError(what: string): void;
  /** An on-call handshake ended (or could not be asked); `waitedMs` from the ask to its end. */
  onCallHandshake(outcome: 'acknowledged' | 'unacknowledged' | 'withdrawn' | 'unreachable', waitedMs?: number): void;
}

export const noMetrics: EngineMetrics = {
  aborted() {},
  guardrailRound() {},
  signalUnknown() {},
  revertFailed() {},
  chatError() {},
  onCallHandshake() {},
};
