export {
  CheckReading,
  GuardrailBreach,
  GuardrailReading,
  GuardrailResult,
  GuardrailStatus,
  RevertReceipt,
  RunOutcome,
  RunResult,
  SteadyStateCheck,
  outcomeOf,
  runResult,
  type RunResultOptions,
} from './run-result.js';
export { EXIT_USAGE, exitCodeFor } from './exit-code.js';
export { junitXml, writeJunit } from './junit.js';
