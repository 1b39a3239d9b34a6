import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';

/** The stand-in's services and on-calls, asked over plain HTTP: the wire format the adapter's tests rely on. */
let pd: PagerDutyStandIn;
const HOUR = 3_600_000;
const get = async (path: string, token = 'tok') => {
  const res = await fetch(`${pd.url}${path}`, { headers: { authorization: `Token token=${token}`, accept: 'application/vnd.pagerduty+json;version=2' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { oncalls: Array<Record<string, unknown>> } };
};

beforeAll(async () => {
  pd = await PagerDutyStandIn.start({ token: 'tok' });
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.reset();
  pd.oncalls.addUser({ id: 'PADA', name: 'Ada', email: 'ada@example.com' });
  pd.oncalls.addUser({ id: 'PBOB', name: 'Bob' });
  pd.oncalls.addService({ id: 'PSVC', name: 'svc', escalationPolicyId: 'PEP1', escalationPolicyName: 'On call' });
  pd.oncalls.putOnCall({ escalationPolicyId: 'PEP1', userId: 'PADA', level: 1, start: Date.parse('2026-01-01T00:00:00Z'), end: Date.now() + HOUR });
  pd.oncalls.putOnCall({ escalationPolicyId: 'PEP2', userId: 'PBOB', level: 1 });
});

describe('PagerDuty stand-in: GET /services/{id} and GET /oncalls', () => {
  it('a service names its escalation policy; an unknown one is 404; a wrong token 401', async () => {
    const svc = await get('/services/PSVC');
    expect(svc.status).toBe(200);
    expect(svc.body.service).toMatchObject({ id: 'PSVC', type: 'service', name: 'svc', escalation_policy: { id: 'PEP1', type: 'escalation_policy_reference', summary: 'On call' } });
    expect(await get('/services/PNONE')).toEqual({ status: 404, body: { error: { message: 'Not Found', code: 2100 } } });
    expect((await get('/oncalls', 'bad')).status).toBe(401);
  });

  it('filters by bracketed policy ids only, references users unless include[]=users, writes times in the account zone', async () => {
    expect((await get('/oncalls?escalation_policy_ids=PEP1')).body.oncalls).toHaveLength(2);
    const plain = (await get('/oncalls?escalation_policy_ids[]=PEP1')).body.oncalls;
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatchObject({ escalation_level: 1, start: '2025-12-31T19:00:00-05:00', user: { id: 'PADA', type: 'user_reference', summary: 'Ada' } });
    expect(plain[0]!.user).not.toHaveProperty('email');
    const full = (await get('/oncalls?escalation_policy_ids[]=PEP1&include[]=users')).body.oncalls;
    expect(full[0]!.user).toMatchObject({ id: 'PADA', type: 'user', name: 'Ada', email: 'ada@example.com' });
  });

  it('answers the on-calls overlapping since..until (now by default), paginated; refuses until before since', async () => {
    const later = new Date(Date.now() + 2 * HOUR).toISOString();
    expect((await get(`/oncalls?escalation_policy_ids[]=PEP1&since=${later}&until=${later}`)).body.oncalls).toEqual([]);
    const page = await get('/oncalls?limit=1&total=true');
    expect(page.body).toMatchObject({ limit: 1, offset: 0, more: true, total: 2 });
    expect((await get('/oncalls?limit=1&offset=1')).body).toMatchObject({ more: false, total: null });
    const bad = await get(`/oncalls?since=${later}&until=${new Date().toISOString()}`);
    expect(bad.status).toBe(400);
  });
});
