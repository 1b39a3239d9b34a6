/**
 * Reading instances and their Auto Scaling groups: paginated DescribeInstances (by tag filters or
 * by id), the groups that hold them (DescribeAutoScalingInstances, 50 ids a call), and the
 * ResolvedTarget of each instance (`ec2:<region>:<instance-id>`).
 */
import { DescribeAutoScalingGroupsCommand, DescribeAutoScalingInstancesCommand, type AutoScalingClient, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, type EC2Client, type Filter } from '@aws-sdk/client-ec2';
import type { ResolvedTarget } from '../../../core/ports.js';
import { AWS_TAGS } from './fault-family.js';
import { OWN_TAG_KEYS, tagMap } from './tags.js';

export interface InstanceInfo {
  id: string;
  state: string;
  zone: string;
  type: string;
  account: string;
  tags: Record<string, string>;
}

/** DescribeAutoScalingInstances calls in flight at once (well under Auto Scaling's request rate). */
const GROUP_LOOKUPS_AT_ONCE = 8;

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/** Every instance matching the filters (or these ids), page by page (NextToken). */
export async function describeInstances(ec2: EC2Client, query: { filters?: Filter[]; ids?: readonly string[] }, signal?: AbortSignal): Promise<InstanceInfo[]> {
  const out: InstanceInfo[] = [];
  // Ids go in a filter, not InstanceIds: an id that is gone (terminated an hour ago) is then simply absent, not an error.
  const inputs =
    query.ids !== undefined
      ? chunks([...new Set(query.ids)], 200).map((ids) => ({ Filters: [{ Name: 'instance-id', Values: ids }], MaxResults: 1000 }))
      : [{ Filters: query.filters ?? [], MaxResults: 1000 }];
  for (const input of inputs) {
    let token: string | undefined;
    do {
      const page = await ec2.send(new DescribeInstancesCommand({ ...input, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId) continue;
          out.push({
            id: i.InstanceId,
            state: i.State?.Name ?? 'unknown',
            zone: i.Placement?.AvailabilityZone ?? '',
            type: i.InstanceType ?? '',
            account: r.OwnerId ?? '',
            tags: tagMap(i.Tags),
          });
        }
      }
      token = page.NextToken;
    } while (token);
  }
  return out;
}

/** The Auto Scaling group of each instance that has one. */
export async function groupsOf(asg: AutoScalingClient, ids: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const parts = chunks(ids, 50);
  // A few batches at once: 5,000 instances are 100 calls, which one after another take seconds.
  const lookup = async () => {
    for (let part = parts.shift(); part; part = parts.shift()) {
      let token: string | undefined;
      do {
        const res = await asg.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: part, MaxRecords: 50, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
        for (const a of res.AutoScalingInstances ?? []) if (a.InstanceId && a.AutoScalingGroupName) out.set(a.InstanceId, a.AutoScalingGroupName);
        token = res.NextToken;
      } while (token);
    }
  };
  await Promise.all(Array.from({ length: Math.min(GROUP_LOOKUPS_AT_ONCE, parts.length) }, lookup));
  return out;
}

/** The groups by name (DescribeAutoScalingGroups, 50 names a call); a group that is gone is absent. */
export async function describeGroups(asg: AutoScalingClient, names: readonly string[], signal?: AbortSignal): Promise<Map<string, AutoScalingGroup>> {
  const out = new Map<string, AutoScalingGroup>();
  for (const part of chunks([...new Set(names)], 50)) {
    let token: string | undefined;
    do {
      const res = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: part, MaxRecords: 100, ...(token ? { NextToken: token } : {}) }), { abortSignal: signal });
      for (const g of res.AutoScalingGroups ?? []) if (g.AutoScalingGroupName) out.set(g.AutoScalingGroupName, g);
      token = res.NextToken;
    } while (token);
  }
  return out;
}

export const instanceTargetId = (region: string, instanceId: string): string => `ec2:${region}:${instanceId}`;
export const asgId = (region: string, name: string): string => `asg:${region}:${name}`;
export const zoneId = (zone: string): string => `zone:${zone}`;

/** `ec2:<region>:<instance-id>` back into its parts. */
export function parseInstanceTargetId(id: string): { region: string; instanceId: string } | undefined {
  const m = /^ec2:([a-z0-9-]+):(i-[0-9a-f]+)$/.exec(id);
  return m ? { region: m[1]!, instanceId: m[2]! } : undefined;
}

/**
 * An instance as the card and the core see it. Its tags ride along twice (`tag.<key>` and `<key>`, as
 * the kubernetes adapter does with labels) so the config's `protected.labels` match tags too; the
 * fixed attributes win over a tag of the same name. `within` names its group and zone, so two
 * experiments on the same group or zone are seen to overlap.
 */
export function instanceTarget(i: InstanceInfo, region: string, group: string | undefined): ResolvedTarget {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(i.tags)) {
    if ((OWN_TAG_KEYS as readonly string[]).includes(k) || k === AWS_TAGS.protected) continue;
    tags[k] = v;
    tags[`tag.${k}`] = v;
  }
  const name = i.tags.Name;
  return {
    id: instanceTargetId(region, i.id),
    name: name && name.length > 0 ? name : i.id,
    kind: 'instance',
    attributes: {
      ...tags,
      instanceId: i.id,
      zone: i.zone,
      type: i.type,
      account: i.account,
      region,
      ...(name !== undefined ? { Name: name } : {}),
      ...(group !== undefined ? { asg: group } : {}),
    },
    within: [...(group !== undefined ? [asgId(region, group)] : []), ...(i.zone ? [zoneId(i.zone)] : [])],
  };
}
