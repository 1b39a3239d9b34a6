export { startSandbox, silentLogger, type Sandbox, type SandboxOptions } from './sandbox.js';
export {
  SANDBOX_FAULT_TYPES,
  SANDBOX_FAULT_PARAMS,
  SandboxFaultType,
  LatencyParams,
  HttpErrorParams,
  BlackholeParams,
  ProcessKillParams,
  NewFaultBody,
  ActiveFaultWire,
  SandboxTargetWire,
  type ActiveFault,
} from './fault-spec.js';
export type { StatsSnapshot } from './traffic-stats.js';
