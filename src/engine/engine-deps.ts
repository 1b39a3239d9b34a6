import type { ApprovalPolicy } from '../core/approval.js';
import type { BlastRadiusCaps, ProtectionPolicy } from '../core/blast-radius.js';
import type { Clock } from '../core/clock.js';
import type { ExperimentRecord } from '../core/experiment.js';
import type { FreezeWindow } from '../core/freeze.js';
import type { AdapterLogger, ChatPort, IncidentLookup, IncidentSettings, MessageRef, OnCallDirectory, SignalSource, TargetDriver } from '../core/ports.js';
import type { FileReport, LoadedGameDay, LoadedPlaybook } from '../playbooks/load-playbooks.js';
import type { Store } from '../store/index.js';
import type { EngineMetrics } from './engine-metrics.js';

export interface EngineSettings {
  approval: ApprovalPolicy;
  /**
   * How approvers are asked: `channel` (default) by the card's mentions, `dm` by a direct message
   * each (the card then pings nobody), `both`. Where the chat has no direct messages, the card alone.
   */
  askApprovers?: 'channel' | 'dm' | 'both';
  proposalTtlMs: number;
  protection: ProtectionPolicy;
  caps: BlastRadiusCaps & { maxConcurrent: number; maxDurationMs: number };
  /** Guardrail rounds start this often (fixed rate, from the start of the round before). */
  guardrailIntervalMs: number;
  /** A guardrail whose signal is unknown this long is blind (a playbook's `blindAfter` overrides it); default 10 s. */
  blindAfterMs?: number;
  signalTimeoutMs: number;
  statusIntervalMs: number;
  /** The longest the engine waits for one target call (preview, inject, revert, list) before it counts as failed. */
  targetTimeoutMs: number;
  /** How long the post-check may wait for the steady state to come back after the revert. */
  postcheckTimeoutMs: number;
  /** Freeze windows from the config; people add one-off windows in chat. */
  freezeWindows?: FreezeWindow[];
  /** "Start small": when set, a multi-target run needs a smaller run that held within this window. */
  ladderWindowMs?: number;
  postmortemTemplate: string;
  postmortemDir: string;
  /** The game-day report template; defaults to gameday-report.md.hbs beside the post-mortem template. */
  gameDayReportTemplate?: string;
}

/** Everything the engine touches, passed in; nothing is imported as a singleton. */
export interface EngineDeps {
  store: Store;
  targets: ReadonlyMap<string, TargetDriver>;
  signals: ReadonlyMap<string, SignalSource>;
  chat: ChatPort;
  clock: Clock;
  log: AdapterLogger;
  playbooks: () => ReadonlyMap<string, LoadedPlaybook>;
  /** Files that did not load, with their problems: a propose by a name among them says why. */
  invalidPlaybooks?: () => readonly FileReport[];
  /** Loaded `kind: GameDay` playbooks. */
  gamedays?: () => ReadonlyMap<string, LoadedGameDay>;
  settings: EngineSettings;
  /** Approvers beyond the configured list (a chat user group), looked up when someone approves. */
  extraApprovers?: { label: string; members: () => Promise<readonly string[]>; /** The chat's id of the group, so the card can mention it. */ groupId?: string };
  metrics?: EngineMetrics;
  /** Told after every applied transition (change events to PagerDuty, for one); must not throw or block. */
  onTransition?: (before: ExperimentRecord, after: ExperimentRecord, card: MessageRef | null) => void;
  /** PagerDuty (or another incident system): the start gate, the freeze, incident aborts. */
  incidents?: { lookup?: IncidentLookup; settings: IncidentSettings };
  /** Who is on call (PagerDuty's on-calls API): whom the on-call handshake of `onCall: require` asks. */
  onCalls?: OnCallDirectory;
  /** Random source for ids and seeds; tests may pass a fixed one. */
  random?: () => number;
}
