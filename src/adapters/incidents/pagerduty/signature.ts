import { createHmac, timingSafeEqual } from 'node:crypto';

const V1 = /^v1=([0-9a-fA-F]{64})$/;

/**
 * Checks `X-PagerDuty-Signature` (Webhooks v3): a comma-separated list of `v1=<hex HMAC-SHA256 of the
 * raw body>`, one per signing secret while a secret is being rotated. True when any v1 value matches
 * any of our secrets. Comparisons are constant-time and every pair is compared, so the time taken
 * does not say which secret or which value matched. False when the header or the secrets are missing.
 */
export function verifyPagerDutySignature(rawBody: Buffer | string, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header) return false;
  const keys = secrets.filter((s) => s.length > 0);
  if (keys.length === 0) return false;
  const given: Buffer[] = [];
  for (const part of header.split(',')) {
    const m = V1.exec(part.trim());
    if (m) given.push(Buffer.from(m[1]!, 'hex'));
  }
  if (given.length === 0) return false;
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  let matched = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(body).digest();
    for (const value of given) {
      if (timingSafeEqual(expected, value)) matched = true;
    }
  }
  return matched;
}
