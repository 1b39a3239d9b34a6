import { z } from 'zod';

export const RegionName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as eu-west-1');
/** An availability zone name: its region and a letter (eu-west-1a), or a Local Zone (us-west-2-lax-1a). */
export const ZoneName = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+(-[a-z]+-\d+)?[a-z]$/, 'an availability zone such as eu-west-1a');
export const AccountId = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
