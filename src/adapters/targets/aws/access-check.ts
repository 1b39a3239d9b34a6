/**
 * The dry run's permission check of the aws faults: the EC2 calls a fault makes are sent with
 * `DryRun=true`, which EC2 answers `DryRunOperation` (HTTP 412: it would have succeeded) or
 * `UnauthorizedOperation` (HTTP 403) without doing anything. Auto Scaling and FIS have no DryRun, so
 * their calls are listed as not checkable, never as allowed.
 */
import { CreateTagsCommand, DeleteTagsCommand, StartInstancesCommand, StopInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { AccessCheck, FaultSpec, ResolvedTarget } from '../../../core/ports.js';
import { awsErrorCode, describeAwsError, isPermissionError } from './aws-errors.js';
import { AWS_TAGS } from './fault-family.js';
import type { InstanceFaultType } from './schema-instances.js';
import { ownerTags } from './tags.js';

const MAX_IDS = 5;

const idList = (ids: readonly string[]) => (ids.length <= MAX_IDS ? ids.join(', ') : `${ids.slice(0, MAX_IDS).join(', ')} and ${ids.length - MAX_IDS} more`);

/** Why a call is not checkable; also what the inject itself still checks. */
const NO_DRY_RUN_ASG = 'Auto Scaling has no DryRun; a refused SuspendProcesses fails the inject before any instance is stopped';
const NO_DRY_RUN_FIS = 'FIS has no DryRun; a refusal fails the inject before anything changes, or the revert';
/** Start and DeleteTags may be allowed only on instances carrying faultline:handle (deploy/aws-iam-policy.json). */
const TAG_CONDITIONED = `refused now, but the policy may allow it only on instances tagged ${AWS_TAGS.handle}, which they are not before the fault; the inject checks it again (DryRun) once its tags are on, before anything is stopped`;

/** One EC2 call with DryRun: DryRunOperation is allowed, a permission error denied, anything else not checkable. */
async function dryRun(what: string, send: () => Promise<unknown>, onRefusal?: string): Promise<AccessCheck> {
  try {
    await send();
  } catch (err) {
    if (awsErrorCode(err) === 'DryRunOperation') return { what, allowed: true };
    if (isPermissionError(err)) return onRefusal ? { what, allowed: null, reason: `${onRefusal} (${describeAwsError(err)})` } : { what, allowed: false, reason: describeAwsError(err) };
    return { what, allowed: null, reason: `the DryRun could not be answered: ${describeAwsError(err)}` };
  }
  return { what, allowed: null, reason: 'the DryRun call was not refused with DryRunOperation (is the endpoint really EC2?); the inject would refuse to go on' };
}

export interface InstanceAccessRun {
  faultType: InstanceFaultType;
  hibernate: boolean;
  region: string;
  ids: readonly string[];
  /** The Auto Scaling groups holding the targets (zone-outage suspends their processes). */
  groups: readonly string[];
  durationMs: number;
  now: () => number;
  signal?: AbortSignal;
}

/** ec2-stop and zone-outage: every call of inject and revert, EC2's by DryRun, Auto Scaling's as not checkable. */
export async function checkInstanceAccess(ec2: EC2Client, run: InstanceAccessRun): Promise<AccessCheck[]> {
  const ids = [...run.ids];
  const on = `on ${idList(ids)} (${run.region})`;
  const abortSignal = run.signal;
  // The tags the inject would write (same keys, so a policy conditioned on aws:TagKeys answers as it would then).
  const tags = ownerTags({ experimentId: 'dry-run', handleId: 'dry-run', expiresAt: run.now() + run.durationMs, now: run.now }, run.faultType);
  const checks = await Promise.all([
    dryRun(`ec2:CreateTags ${on}`, () => ec2.send(new CreateTagsCommand({ DryRun: true, Resources: ids, Tags: tags }), { abortSignal })),
    dryRun(`ec2:StopInstances ${on}`, () => ec2.send(new StopInstancesCommand({ DryRun: true, InstanceIds: ids, Hibernate: run.hibernate }), { abortSignal })),
    dryRun(`ec2:StartInstances ${on}`, () => ec2.send(new StartInstancesCommand({ DryRun: true, InstanceIds: ids }), { abortSignal }), TAG_CONDITIONED),
    dryRun(`ec2:DeleteTags ${on}`, () => ec2.send(new DeleteTagsCommand({ DryRun: true, Resources: ids, Tags: tags.map((t) => ({ Key: t.Key })) }), { abortSignal }), TAG_CONDITIONED),
  ]);
  if (run.faultType === 'zone-outage' && run.groups.length > 0) {
    const groups = `on Auto Scaling group${run.groups.length > 1 ? 's' : ''} ${idList(run.groups)} (${run.region})`;
    for (const action of ['CreateOrUpdateTags', 'SuspendProcesses', 'ResumeProcesses', 'DeleteTags']) checks.push({ what: `autoscaling:${action} ${groups}`, allowed: null, reason: NO_DRY_RUN_ASG });
  }
  return checks;
}

/** fis-experiment and fis-action: FIS has no DryRun, so every call is listed as not checkable. */
export function fisAccess(fault: FaultSpec, targets: readonly ResolvedTarget[]): AccessCheck[] {
  const region = targets[0]?.attributes.region ?? '';
  const where = region ? ` (${region})` : '';
  const not = (what: string): AccessCheck => ({ what: `${what}${where}`, allowed: null, reason: NO_DRY_RUN_FIS });
  if (fault.type === 'fis-experiment') {
    const template = targets.find((t) => t.attributes.templateId)?.attributes.templateId;
    return [not(`fis:StartExperiment${template ? ` of ${template}` : ''}`), not('fis:TagResource'), not('fis:StopExperiment')];
  }
  const role = (fault.parameters as { roleArn?: unknown } | undefined)?.roleArn;
  return [
    not('fis:CreateExperimentTemplate'),
    not('fis:TagResource'),
    not(`iam:PassRole${typeof role === 'string' ? ` of ${role}` : ''}`),
    not('fis:StartExperiment'),
    not('fis:StopExperiment'),
    not('fis:DeleteExperimentTemplate'),
  ];
}
