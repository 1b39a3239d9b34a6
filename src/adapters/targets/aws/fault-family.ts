import type { AccessCheck, DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetScope, TargetSpec } from '../../../core/ports.js';

/**
 * One family of AWS faults behind the one `aws` driver: instances (ec2-stop, zone-outage) or FIS
 * templates (fis-experiment, fis-action). The driver hands each call to the family whose target or
 * fault type it is; each family finds what it owns from AWS tags alone.
 */
export interface AwsFaultFamily {
  /** The fault types this family injects. */
  readonly faultTypes: readonly string[];
  /** Whether a (parsed) playbook target is this family's to resolve. */
  ownsTarget(target: TargetSpec): boolean;
  preview(target: TargetSpec, ctx: DiscoverContext): Promise<ResolvedTarget[]>;
  describeTarget(target: TargetSpec, resolved: readonly ResolvedTarget[]): TargetScope;
  /**
   * Optional: how many objects the caps' percent is measured against when that is more than the
   * candidates (a zone's instances against the selector's instances in every zone of the region).
   */
  population?(target: TargetSpec, ctx: DiscoverContext): Promise<number | undefined>;
  /** Lines for the card besides the targets (an ASG told not to heal, a template's actions). */
  impact?(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext): Promise<string[]>;
  /** Optional: whether AWS lets the bot make this fault's calls, asked without changing anything (DryRun where the API has one). */
  checkAccess?(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext): Promise<AccessCheck[]>;
  inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle>;
  /** Idempotent: an already reverted or expired fault reverts without error. */
  revert(handle: FaultHandle, ctx: DiscoverContext): Promise<void>;
  /** Faults of this family still in, found by Faultline's tags (no database needed). */
  listOwned(ctx: DiscoverContext): Promise<FaultHandle[]>;
  confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt>;
  /** Optional: stops what the family runs by itself (followers, pollers); the driver's close calls it. */
  close?(): void | Promise<void>;
}

/** Tag keys every AWS resource Faultline touches carries, so reconcile and the janitor find it with nothing but AWS. */
export const AWS_TAGS = {
  experiment: 'faultline:experiment',
  handle: 'faultline:handle',
  expiresAt: 'faultline:expires-at',
  fault: 'faultline:fault',
  protected: 'faultline:protected',
} as const;
