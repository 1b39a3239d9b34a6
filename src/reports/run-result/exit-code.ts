import type { RunOutcome } from './run-result.js';

/** The command line was wrong or the configuration did not load: no run was attempted. */
export const EXIT_USAGE = 4;

/**
 * The exit status of `faultline run` for a run's outcome, so a pipeline can branch on it:
 *
 * | outcome        | exit | meaning                                                          |
 * |----------------|------|------------------------------------------------------------------|
 * | `held`         | 0    | the steady state held under the fault                            |
 * | `refuted`      | 1    | a guardrail breached or the steady state did not come back       |
 * | `inconclusive` | 2    | the run says nothing either way (aborted, blind, partial fault)  |
 * | `refused`      | 3    | never started: rejected, expired, cancelled or a start rule said no |
 * | `failed`       | 3    | an inject or a revert failed (check the targets)                 |
 * | `timeout`      | 3    | the run had not finished when the command stopped waiting        |
 * | (usage/config) | 4    | `EXIT_USAGE`: bad arguments or configuration, no run attempted   |
 */
export function exitCodeFor(outcome: RunOutcome): 0 | 1 | 2 | 3 {
  switch (outcome) {
    case 'held':
      return 0;
    case 'refuted':
      return 1;
    case 'inconclusive':
      return 2;
    case 'refused':
    case 'failed':
    case 'timeout':
      return 3;
  }
}
