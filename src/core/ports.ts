import type { z } from 'zod';
import type { Message } from './message.js';
import type { Experiment, SignalQuery } from './playbook.js';
import type { OnCallPerson } from './oncall.js';

/**
 * One thing a fault would hit: a replica, a pod, a node. `id` is stable across previews. A target
 * that lives in one of several places (a Kubernetes cluster) says which in `attributes.cluster`.
 */
export interface ResolvedTarget {
  id: string;
  name: string;
  kind: string;
  attributes: Record<string, string>;
  /**
   * Ids (of this adapter, in the same cluster) of the targets that contain this one: a pod's node and
   * its workload. An experiment on one of those overlaps an experiment on this one.
   */
  within?: string[];
}

/** Part of a fault did not go in (a PodDisruptionBudget refused evictions): the run cannot show the hypothesis held. */
export interface PartialApplication {
  applied: number;
  intended: number;
  /** What was counted, e.g. "pods". */
  unit: string;
  /** What happened to those that went in, e.g. "evicted". */
  action: string;
  /** Why the rest did not, e.g. "PodDisruptionBudget cart-pdb". */
  reason: string;
}

/**
 * The note kind (`TargetContext.note`) an adapter journals as soon as part of a fault did not go in,
 * with a PartialApplication (and `where`, e.g. "node-b1") as data: the engine says it in the thread.
 */
export const PARTIAL_NOTE = 'fault-partial';

/**
 * The note kind an adapter journals when its fault ended by itself before Faultline reverted it: a
 * FIS experiment that completed its actions, was stopped by its own stop condition, or failed. The
 * engine ends the observation (completed) or aborts the run (stopped, failed) and says so in the thread.
 */
export const FAULT_ENDED_NOTE = 'fault-ended';

/** The data of a FAULT_ENDED_NOTE. */
export interface FaultEnded {
  state: 'completed' | 'stopped' | 'failed';
  /** What the target said, e.g. "FIS experiment EXP1 completed" or its failure reason. */
  reason: string;
}

/** What a plan targets as the adapter names it: the card shows it; the ladder and the history group by it. */
export interface TargetScope {
  cluster?: string;
  namespace?: string;
  /** pod, deployment, node, replica, … */
  kind: string;
  /** Which ones, e.g. "name=cart", "app=checkout", "zone=eu-west-1a", "*". */
  selection: string;
}

/** What was injected and everything needed to revert it, even from another process after a crash. */
export interface FaultHandle {
  handleId: string;
  experimentId: string;
  adapter: string;
  faultType: string;
  targets: ResolvedTarget[];
  appliedAt: number;
  expiresAt: number;
  data: Record<string, unknown>;
  /** Set when the fault went in only in part; the verdict is then at best inconclusive. */
  partial?: PartialApplication;
}

export interface AdapterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface TargetContext {
  experimentId: string;
  handleId: string;
  expiresAt: number;
  now: () => number;
  log: AdapterLogger;
  /** Journals what the adapter is about to change (e.g. a replica count) before it changes it. */
  note: (kind: string, data: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

/** The answer of `confirmReverted`: read from the target itself, never from the journal. */
export interface RevertReceipt {
  confirmed: boolean;
  /** One line per thing not as it was, e.g. "deployment/shop/web: 0 replicas, expected 3". */
  differences: string[];
  /** What a person runs to finish the job when not confirmed (kubectl commands, admin API calls). */
  manualSteps: string[];
}

/**
 * One permission a fault needs, as the target answered when asked before the run (`faultline run
 * --dry-run`): a Kubernetes SelfSubjectAccessReview, an EC2 call with `DryRun`. Nothing changes.
 */
export interface AccessCheck {
  /** What was asked, in the target's own terms: "patch deployments.apps in shop", "ec2:StopInstances on i-0abc (eu-west-1)". */
  what: string;
  /** true: allowed; false: denied; null: cannot be checked before the run (the API has no dry run, or the answer was not to be had). */
  allowed: boolean | null;
  /** Why it is denied or cannot be checked (the target's words where it gave any); optional when allowed. */
  reason?: string;
}

export interface DiscoverContext {
  log: AdapterLogger;
  signal?: AbortSignal;
}

export type TargetSpec = Experiment['target'];
export type FaultSpec = Experiment['fault'];

export interface TargetDriver {
  kind: string;
  faultTypes: readonly string[];
  /** zod schemas for the playbook's `target` and `fault` when `target.adapter` is this driver. */
  schemas: { target: z.ZodType; fault: z.ZodType };
  /** Every candidate the selector matches; blast-radius selection and protection happen in the core. */
  preview(target: TargetSpec, ctx: DiscoverContext): Promise<ResolvedTarget[]>;
  /** What the target is (cluster, namespace, kind, which ones), given what preview resolved. */
  describeTarget?(target: TargetSpec, resolved: readonly ResolvedTarget[]): TargetScope;
  /**
   * How many objects of this kind the caps' percent is measured against when that is more than the
   * candidates (node targets: every node of the cluster, so a zone is its share of the cluster).
   */
  population?(target: TargetSpec, ctx: DiscoverContext): Promise<number | undefined>;
  /** What else the fault touches besides its targets (the pods a drain evicts), one line each, for the card. */
  impact?(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext): Promise<string[]>;
  /**
   * Asks the target, without changing anything, whether Faultline may make the calls this fault's
   * inject, revert and revert receipt would make on these targets: one check per permission (verb and
   * resource, in each place). A permission the target cannot check beforehand comes back with
   * `allowed: null` and the reason, never as allowed. Absent where there is nothing to check (the
   * local process sandbox). Rejects only when the target cannot be asked at all.
   */
  checkAccess?(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext): Promise<AccessCheck[]>;
  inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle>;
  /** Idempotent: reverting an already reverted or expired fault succeeds. */
  revert(handle: FaultHandle, ctx: DiscoverContext): Promise<void>;
  /** What this bot still has injected, found from the target side (for reconcile after a crash). */
  listOwned(ctx: DiscoverContext): Promise<FaultHandle[]>;
  /** Reads the target again after a revert and says whether what the handle changed is back as it was. */
  confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt>;
  close?(): Promise<void>;
}

export type Reading =
  | { status: 'ok'; value: number; at: number }
  | { status: 'unknown'; reason: string; at: number };

export interface SampleContext {
  now: () => number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SignalSource {
  kind: string;
  schema: z.ZodType;
  /** Never throws: errors, timeouts and empty answers come back as `unknown`. */
  sample(query: SignalQuery, ctx: SampleContext): Promise<Reading>;
  describe(query: SignalQuery): string;
  /**
   * A signal that reads where the target runs (the pods signal reads a cluster) binds a query that
   * names no place of its own to the experiment's: `cluster` as the playbook names it, else the one
   * its targets were found in (`resolvedCluster`). Returns the query unchanged when it does not apply.
   */
  followTarget?(query: SignalQuery, target: { adapter: string; cluster?: string; resolvedCluster?: string }): SignalQuery;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

/** An adapter's descriptor: its config schema and a factory. Registered in one Map per family. */
export interface AdapterDeps {
  log: AdapterLogger;
  now: () => number;
}
export interface TargetAdapter<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  create(config: C, deps: AdapterDeps): TargetDriver;
}
export interface SignalAdapter<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  create(config: C, deps: AdapterDeps): SignalSource;
}

// ---- Chat: how the engine talks to people ----

/** A file to post into a thread: where it lives on disk, and its text. */
export interface ChatFile {
  path: string;
  filename: string;
  title: string;
  content: string;
  /** The bytes of a binary file (a PNG chart); when set, uploaded instead of `content`. */
  data?: Buffer;
}

/** How the engine talks to people. Implemented by the console and by Slack. */
export interface ChatPort {
  post(channel: string, msg: Message): Promise<MessageRef>;
  update(ref: MessageRef, msg: Message): Promise<void>;
  reply(ref: MessageRef, msg: Message): Promise<MessageRef>;
  /** A link people can open to the message (and its thread), where the chat has one. */
  permalink?(ref: MessageRef): Promise<string | undefined>;
  /**
   * Posts a file into the thread of `ref`, where the chat takes files (Slack: files:write). Rejects
   * when the upload fails; the Notifier then replies with the path instead.
   */
  upload?(ref: MessageRef, file: ChatFile): Promise<void>;
  /** A message to one person, outside any channel (Slack: a direct message from the app). */
  direct?(user: string, msg: Message): Promise<MessageRef>;
  /**
   * The chat user with this email (Slack: users.lookupByEmail): how an on-call from the incident
   * system is mentioned, DMed and recognised. Undefined when nobody has it; rejects when it cannot tell.
   */
  userByEmail?(email: string): Promise<string | undefined>;
  /**
   * People's messages in a channel between two times (Slack: conversations.history, bots left out),
   * oldest first: a blinded drill's first responder message. Rejects when it cannot read them.
   */
  history?(channel: string, fromMs: number, toMs: number): Promise<Array<{ user: string; text: string; at: number }>>;
}

/**
 * Why the chat refused a post, when it said (Slack's `error`, e.g. `not_in_channel`): chat adapters
 * put it in their error's `details.chatError`, so the engine can tell the person what to do.
 */
export const CHAT_REFUSALS = {
  notInChannel: 'not_in_channel',
  channelNotFound: 'channel_not_found',
  archived: 'is_archived',
} as const;

// ---- Incidents: what the engine needs of an incident system ----

/** An incident as the engine needs it, whatever system it came from. */
export interface IncidentInfo {
  id: string;
  number?: number | undefined;
  title: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  urgency: 'high' | 'low';
  url: string;
  serviceId: string;
  createdAt: number;
  acknowledgedAt?: number | null | undefined;
  resolvedAt?: number | null | undefined;
}

/** Where open incidents can be asked for (PagerDuty's REST API). */
export interface IncidentLookup {
  openIncidents(serviceIds: readonly string[], signal?: AbortSignal): Promise<IncidentInfo[]>;
}

/** Who is on call now for incident-system services (PagerDuty's on-calls API): whom the on-call handshake asks. */
export interface OnCallDirectory {
  /** Per service, the first responders: the lowest escalation level anyone holds now. Rejects when it cannot tell. */
  firstResponders(serviceIds: readonly string[], signal?: AbortSignal): Promise<Array<Omit<OnCallPerson, 'chatUser'>>>;
}

export interface IncidentSettings {
  /** Services linked to every experiment, on top of each playbook's `pagerduty.services`. */
  linkedServices: readonly string[];
  /** While a high-urgency incident is open on a linked service, nothing new starts there. */
  autoFreeze: boolean;
  /** A freeze lifts by itself after this long even if nobody resolves the incident. */
  freezeMaxMs: number;
  /**
   * `on` (default): a start on a linked service is refused when incidents cannot be learned
   * (`incident_unknown`) or PagerDuty cannot be asked (`incident_lookup_failed`). `off`: those
   * starts go ahead (with a warning); incidents known to be open still refuse.
   */
  gate?: 'on' | 'off';
  /**
   * Signed webhooks: `served` when a secret is set and this bot serves `POST /webhooks/pagerduty`,
   * `not-served` when a secret is set but no HTTP server runs; absent without a secret.
   */
  webhooks?: 'served' | 'not-served';
}
