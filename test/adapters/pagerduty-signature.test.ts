import { describe, expect, it } from 'vitest';
import { verifyPagerDutySignature } from '../../src/adapters/incidents/pagerduty/index.js';
import { signPagerDuty, webhookBody } from '../fakes/pagerduty-webhooks.js';

const body = webhookBody('incident.triggered');
const OLD = 'old-secret-7c1d0a';
const NEW = 'new-secret-93be44';

describe('verifyPagerDutySignature', () => {
  it('accepts a body signed with our secret, as a string or the raw bytes', () => {
    const header = signPagerDuty(body, NEW);
    expect(header).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyPagerDutySignature(body, header, [NEW])).toBe(true);
    expect(verifyPagerDutySignature(Buffer.from(body), header, [NEW])).toBe(true);
  });

  it('during a rotation accepts two v1= values when either secret is ours', () => {
    const header = signPagerDuty(body, OLD, NEW);
    expect(header.split(',')).toHaveLength(2);
    expect(verifyPagerDutySignature(body, header, [OLD])).toBe(true);
    expect(verifyPagerDutySignature(body, header, [NEW])).toBe(true);
    expect(verifyPagerDutySignature(body, header, [NEW, OLD])).toBe(true);
    // Our side rotated first: we hold both, PagerDuty still signs with the old one only.
    expect(verifyPagerDutySignature(body, signPagerDuty(body, OLD), [NEW, OLD])).toBe(true);
    // Spaces after the commas are tolerated.
    expect(verifyPagerDutySignature(body, header.replace(',', ', '), [NEW])).toBe(true);
  });

  it('refuses a forged signature', () => {
    expect(verifyPagerDutySignature(body, signPagerDuty(body, 'guessed'), [NEW])).toBe(false);
    expect(verifyPagerDutySignature(body, `v1=${'0'.repeat(64)}`, [NEW])).toBe(false);
    expect(verifyPagerDutySignature(body, 'v1=not-hex', [NEW])).toBe(false);
    expect(verifyPagerDutySignature(body, `v0=${signPagerDuty(body, NEW).slice(3)}`, [NEW])).toBe(false);
  });

  it('refuses an unsigned delivery', () => {
    expect(verifyPagerDutySignature(body, undefined, [NEW])).toBe(false);
    expect(verifyPagerDutySignature(body, '', [NEW])).toBe(false);
  });

  it('refuses everything when no secret is configured (an empty secret is no secret)', () => {
    expect(verifyPagerDutySignature(body, signPagerDuty(body, NEW), [])).toBe(false);
    expect(verifyPagerDutySignature(body, signPagerDuty(body, ''), [''])).toBe(false);
  });

  it('refuses a tampered body', () => {
    const header = signPagerDuty(body, NEW);
    expect(verifyPagerDutySignature(body.replace('"triggered"', '"resolved"'), header, [NEW])).toBe(false);
    expect(verifyPagerDutySignature(`${body} `, header, [NEW])).toBe(false);
    // Re-serialised JSON is a different body: verification needs the raw bytes.
    expect(verifyPagerDutySignature(JSON.stringify(JSON.parse(body), null, 2), header, [NEW])).toBe(false);
  });

  it('signs the UTF-8 bytes of a body with non-ASCII characters', () => {
    const unicode = body.replace('checkout-api 5xx', 'caisse – paiement ✓');
    expect(verifyPagerDutySignature(Buffer.from(unicode, 'utf8'), signPagerDuty(unicode, NEW), [NEW])).toBe(true);
  });
});
