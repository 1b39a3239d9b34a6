/** What an instances-family handle records, and what its parts need. */
import { z } from 'zod';
import type { AwsFamilyDeps } from './family-deps.js';

/** The processes a zone outage suspends on each Auto Scaling group holding its instances. */
export const ZONE_OUTAGE_PROCESSES = ['AZRebalance', 'Launch', 'ReplaceUnhealthy'] as const;

export const AsgChange = z.object({
  name: z.string().min(1),
  /** Only what Faultline suspended (not what was suspended already): revert resumes these alone. */
  suspended: z.array(z.string()),
});
export type AsgChange = z.infer<typeof AsgChange>;

/** `handle.data` of ec2-stop and zone-outage: everything revert needs, also rebuilt from the tags alone. */
export const InstanceHandleData = z.looseObject({
  region: z.string().min(1),
  /** Instance ids Faultline tagged (and stopped). */
  instances: z.array(z.string()).default([]),
  asgs: z.array(AsgChange).default([]),
  hibernate: z.boolean().optional(),
  /** True when rebuilt from the tags by listOwned rather than returned by inject. */
  rebuilt: z.boolean().optional(),
  /** listOwned: false when some resource of the handle carries no readable faultline:expires-at. */
  expiryKnown: z.boolean().optional(),
});
export type InstanceHandleData = z.infer<typeof InstanceHandleData>;

export type InstanceFamilyDeps = AwsFamilyDeps;
