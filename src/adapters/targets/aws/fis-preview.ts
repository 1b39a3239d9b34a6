/**
 * What a FIS target resolves to before approval: an existing template as one target (with its
 * description, targets and actions), or inline FIS targets (subnets found by tag when an EC2 client
 * is given, otherwise one target per FIS target name); and the card's lines for each action and target.
 */
import { createHash } from 'node:crypto';
import { DescribeSubnetsCommand, type EC2Client, type Subnet } from '@aws-sdk/client-ec2';
import { GetExperimentTemplateCommand, ListExperimentTemplatesCommand, type ExperimentTemplate, type ExperimentTemplateSummary, type FisClient } from '@aws-sdk/client-fis';
import { FaultlineError } from '../../../core/errors.js';
import type { ResolvedTarget } from '../../../core/ports.js';
import { AWS_TAGS } from './fault-family.js';
import { isAwsError, wrapAwsError } from './fis-errors.js';
import { templateTarget } from './fis-tags.js';
import { tagText } from './fis-describe.js';
import type { FisActionDefinition, FisInlineTarget, FisResolvedTarget, FisTargetDefinition, FisTemplateTarget } from './schema-fis.js';

/** FIS takes at most this many resourceArns per target. */
export const MAX_TARGET_ARNS = 5;

export interface PreviewDeps {
  fis: FisClient;
  ec2?: EC2Client | undefined;
  region: string;
}

const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
const isProtected = (tags: Record<string, string> | undefined) => tags?.[AWS_TAGS.protected] === 'true';

/** The account of an ARN (arn:partition:service:region:account:…), or undefined. */
export const accountOfArn = (arn: string | undefined) => /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(arn ?? '')?.[1];

export async function listAllTemplates(fis: FisClient, signal?: AbortSignal): Promise<ExperimentTemplateSummary[]> {
  const out: ExperimentTemplateSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fis.send(new ListExperimentTemplatesCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }), opts(signal));
    out.push(...(page.experimentTemplates ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** One line per target of a template or an inline definition: what FIS picks and how. */
export function targetLine(name: string, t: { resourceType?: string | undefined; resourceTags?: Record<string, string> | undefined; resourceArns?: string[] | undefined; filters?: Array<{ path?: string | undefined; values?: string[] | undefined }> | undefined; selectionMode?: string | undefined; parameters?: Record<string, string> | undefined }): string {
  const by = t.resourceArns?.length ? `arns ${t.resourceArns.join(', ')}` : t.resourceTags ? `tags ${tagText(t.resourceTags)}` : t.parameters ? `parameters ${tagText(t.parameters)}` : 'no selection';
  const filters = t.filters?.length ? `, filters ${t.filters.map((f) => `${f.path ?? '?'} in [${(f.values ?? []).join(', ')}]`).join('; ')}` : '';
  return `target ${name}: ${t.resourceType ?? '?'} by ${by}${filters}, ${t.selectionMode ?? 'ALL'}`;
}

export function actionLine(name: string, a: Partial<FisActionDefinition> | { actionId?: string | undefined; parameters?: Record<string, string> | undefined; targets?: Record<string, string> | undefined; startAfter?: string[] | undefined; description?: string | undefined }): string {
  const on = Object.entries(a.targets ?? {}).map(([kind, target]) => `${kind} → ${target}`);
  const params = Object.keys(a.parameters ?? {}).length ? ` (${tagText(a.parameters)})` : '';
  const after = a.startAfter?.length ? `, after ${a.startAfter.join(', ')}` : '';
  return `action ${name}: ${a.actionId ?? '?'}${on.length ? ` on ${on.join(', ')}` : ''}${params}${after}`;
}

/** The template a target names, read in full. By tags: exactly one template that is not Faultline's own. */
export async function findTemplate(target: FisTemplateTarget | (FisResolvedTarget & { template: unknown }), deps: PreviewDeps, signal?: AbortSignal): Promise<ExperimentTemplate> {
  const ref = (target as FisTemplateTarget).template;
  let id: string;
  if (typeof ref === 'string') {
    id = ref;
  } else {
    let all: ExperimentTemplateSummary[];
    try {
      all = await listAllTemplates(deps.fis, signal);
    } catch (err) {
      throw wrapAwsError('adapter_error', `could not list the FIS experiment templates of ${deps.region}`, err);
    }
    const matching = all.filter((t) => !t.tags?.[AWS_TAGS.handle] && Object.entries(ref.tags).every(([k, v]) => t.tags?.[k] === v));
    if (matching.length === 0) throw new FaultlineError('no_targets', `no FIS experiment template in ${deps.region} carries the tags ${tagText(ref.tags)}`);
    if (matching.length > 1) {
      throw new FaultlineError('playbook_invalid', `${matching.length} FIS experiment templates in ${deps.region} carry the tags ${tagText(ref.tags)} (${matching.map((t) => t.id).join(', ')}): name one by id, or tag exactly one`);
    }
    id = matching[0]!.id!;
  }
  try {
    const out = await deps.fis.send(new GetExperimentTemplateCommand({ id }), opts(signal));
    if (!out.experimentTemplate) throw new FaultlineError('adapter_error', `FIS answered GetExperimentTemplate ${id} without a template`);
    return out.experimentTemplate;
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) throw wrapAwsError('no_targets', `FIS experiment template ${id} does not exist in ${deps.region}`, err);
    throw wrapAwsError('adapter_error', `could not read FIS experiment template ${id}`, err);
  }
}

export function templateAsTarget(t: ExperimentTemplate, region: string): ResolvedTarget {
  const base = templateTarget(region, t.id!, t.description);
  const account = accountOfArn(t.roleArn);
  const targets = Object.entries(t.targets ?? {}).map(([n, x]) => targetLine(n, x));
  const actions = Object.entries(t.actions ?? {}).map(([n, a]) => actionLine(n, a));
  return {
    ...base,
    attributes: {
      ...base.attributes,
      targets: targets.join('; '),
      actions: actions.join('; '),
      stopConditions: (t.stopConditions ?? []).map((s) => (s.value ? `${s.source}: ${s.value}` : (s.source ?? '?'))).join(', ') || 'none',
      ...(t.lastUpdateTime ? { lastUpdated: t.lastUpdateTime.toISOString() } : {}),
      ...(account ? { account, roleArn: t.roleArn! } : {}),
    },
  };
}

const definitionId = (region: string, name: string, def: FisTargetDefinition) => `fis:${region}:target/${name}/${createHash('sha256').update(JSON.stringify(def)).digest('hex').slice(0, 12)}`;

function fisTargetAttributes(region: string, name: string, def: FisTargetDefinition): Record<string, string> {
  return { region, fisTarget: name, resourceType: def.resourceType, selectionMode: def.selectionMode, definition: JSON.stringify(def) };
}

/** A dotted path into a described resource, as FIS filters name them (e.g. AvailabilityZone, State). */
function valueAt(obj: unknown, path: string): string | undefined {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? undefined : String(cur);
}

async function describeSubnets(ec2: EC2Client, def: FisTargetDefinition, signal?: AbortSignal): Promise<Subnet[]> {
  const Filters = Object.entries(def.resourceTags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
  const out: Subnet[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeSubnetsCommand({ ...(Filters.length ? { Filters } : {}), ...(def.resourceArns ? { SubnetIds: def.resourceArns.map((a) => a.slice(a.lastIndexOf('/') + 1)) } : {}), ...(NextToken ? { NextToken } : {}), ...(def.resourceArns ? {} : { MaxResults: 1000 }) }), opts(signal));
    out.push(...(page.Subnets ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out.filter((s) => (def.filters ?? []).every((f) => f.values.includes(valueAt(s, f.path) ?? '')));
}

function subnetTarget(region: string, name: string, def: FisTargetDefinition, s: Subnet, spared: number): ResolvedTarget {
  const tags = Object.fromEntries((s.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
  const arn = s.SubnetArn ?? `arn:aws:ec2:${region}:${s.OwnerId ?? ''}:subnet/${s.SubnetId ?? ''}`;
  return {
    id: `fis:${region}:${arn}`,
    name: tags.Name ? `${s.SubnetId} (${tags.Name})` : (s.SubnetId ?? arn),
    kind: 'subnet',
    attributes: {
      ...tags,
      ...fisTargetAttributes(region, name, def),
      arn,
      subnetId: s.SubnetId ?? '',
      zone: s.AvailabilityZone ?? '',
      vpcId: s.VpcId ?? '',
      cidr: s.CidrBlock ?? '',
      ...(spared > 0 ? { protectedSpared: String(spared) } : {}),
    },
  };
}

/** Inline FIS targets: subnets resolved where an EC2 client can, named ARNs as given, anything else as its definition. */
export async function previewInline(target: FisInlineTarget | (FisResolvedTarget & { fisTargets: unknown }), deps: PreviewDeps, signal?: AbortSignal): Promise<ResolvedTarget[]> {
  const region = deps.region;
  const out: ResolvedTarget[] = [];
  for (const [name, def] of Object.entries((target as FisInlineTarget).fisTargets)) {
    if (def.resourceType === 'aws:ec2:subnet' && deps.ec2) {
      let subnets: Subnet[];
      try {
        subnets = await describeSubnets(deps.ec2, def, signal);
      } catch (err) {
        throw wrapAwsError('adapter_error', `could not list the subnets of FIS target ${name}`, err);
      }
      const found = subnets.filter((s) => !isProtected(Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))));
      if (found.length === 0) throw new FaultlineError('no_targets', `FIS target ${name} matches no subnet in ${region} (${targetLine(name, def)})${subnets.length ? `; ${subnets.length} matching are tagged ${AWS_TAGS.protected}=true` : ''}`);
      const spared = subnets.length - found.length;
      out.push(...found.map((s) => subnetTarget(region, name, def, s, spared)));
    } else if (def.resourceArns) {
      const kind = def.resourceType.split(':').at(-1) ?? 'resource';
      out.push(...def.resourceArns.map((arn) => ({ id: `fis:${region}:${arn}`, name: arn.slice(arn.lastIndexOf('/') + 1) || arn, kind, attributes: { ...fisTargetAttributes(region, name, def), arn } })));
    } else {
      out.push({ id: definitionId(region, name, def), name: `${name} (${def.resourceType} by tags ${tagText(def.resourceTags)})`, kind: 'fis-target', attributes: fisTargetAttributes(region, name, def) });
    }
  }
  return out;
}

/** The definitions of inline FIS targets as the approved targets carry them, with the ARNs that were approved. */
export interface ApprovedFisTarget {
  def: FisTargetDefinition;
  arns: string[];
  /** Resources the definition matches that preview left out as protected. */
  spared: number;
}

export function definitionsOf(targets: readonly ResolvedTarget[]): Map<string, ApprovedFisTarget> {
  const out = new Map<string, ApprovedFisTarget>();
  for (const t of targets) {
    const name = t.attributes.fisTarget;
    const def = t.attributes.definition;
    if (!name || !def) continue;
    const entry = out.get(name) ?? { def: JSON.parse(def) as FisTargetDefinition, arns: [], spared: 0 };
    if (t.attributes.arn) entry.arns.push(t.attributes.arn);
    entry.spared = Math.max(entry.spared, Number(t.attributes.protectedSpared ?? 0));
    out.set(name, entry);
  }
  return out;
}

/**
 * The template's targets as FIS takes them. Resources resolved at preview are pinned by ARN (what
 * was approved is what is hit) when FIS allows it (at most 5 per target); otherwise FIS resolves the
 * definition again at start, and the card says so.
 */
export function templateTargets(defs: ReadonlyMap<string, ApprovedFisTarget>): { targets: Record<string, FisTargetDefinition>; unpinned: string[] } {
  const targets: Record<string, FisTargetDefinition> = {};
  const unpinned: string[] = [];
  for (const [name, { def, arns, spared }] of defs) {
    const approved = [...new Set(arns)];
    if (def.resourceArns) {
      // ARNs named in the playbook: the approved ones, FIS's filters still apply.
      targets[name] = { ...def, resourceArns: approved };
    } else if (approved.length > 0 && approved.length <= MAX_TARGET_ARNS) {
      // Found by tags (and filtered) at preview: exactly those.
      const { resourceTags: _tags, filters: _filters, ...rest } = def;
      targets[name] = { ...rest, resourceArns: approved };
    } else {
      if (spared > 0) {
        throw new FaultlineError('inject_failed', `FIS target ${name} matches ${approved.length} resources, more than the ${MAX_TARGET_ARNS} ARNs FIS takes, and ${spared} protected ones among them: FIS would hit those too. Narrow the target (tags, filters) to at most ${MAX_TARGET_ARNS}`);
      }
      targets[name] = def;
      if (approved.length > MAX_TARGET_ARNS) unpinned.push(name);
    }
  }
  return { targets, unpinned };
}
