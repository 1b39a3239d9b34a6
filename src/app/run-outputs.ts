import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExperimentRecord } from '../core/experiment.js';
import type { StoredEvent } from '../store/index.js';
import { RunResult, runResult, writeJunit, type RunOutcome } from '../reports/run-result/index.js';

export type { RunOutcome } from '../reports/run-result/index.js';

/**
 * The files a pipeline run leaves: `--json` (the result with readings, breaches and the revert
 * receipts) and `--junit` (one case per steady-state check and guardrail). The outcome is the run's
 * own word (a `--timeout` is not the experiment's verdict).
 */
export function writeRunOutputs(input: {
  record: ExperimentRecord;
  journal: readonly StoredEvent[];
  hypothesis: string;
  outcome: RunOutcome;
  refusal?: { code: string; reason: string };
  json?: string;
  junit?: string;
}): RunResult {
  const built = runResult(input.record, input.journal, { hypothesis: input.hypothesis, ...(input.refusal ? { refusal: input.refusal } : {}) });
  const result = RunResult.parse({ ...built, outcome: input.outcome });
  if (input.json) {
    mkdirSync(path.dirname(input.json), { recursive: true });
    writeFileSync(input.json, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (input.junit) {
    mkdirSync(path.dirname(input.junit), { recursive: true });
    writeJunit(result, input.junit);
  }
  return result;
}
