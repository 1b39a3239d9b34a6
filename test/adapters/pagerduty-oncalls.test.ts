import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError, type FaultlineError } from '../../src/core/errors.js';
import {
  firstResponders,
  OnCall,
  PagerDutyConfig,
  PagerDutyOnCalls,
  pagerDutyAdapter,
  type PagerDutyConfigInput,
} from '../../src/adapters/incidents/pagerduty/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

const TOKEN = 'u+pdtest-token-0002';
const HOUR = 3_600_000;
let pd: PagerDutyStandIn;
let log: RecordingLog;

const config = (cfg: Partial<PagerDutyConfigInput> = {}) => PagerDutyConfig.parse({ apiToken: TOKEN, apiUrl: pd.url, requestTimeout: '2s', ...cfg });
const oncalls = (cfg: Partial<PagerDutyConfigInput> = {}) => new PagerDutyOnCalls(config(cfg), log);
const failure = async (p: Promise<unknown>): Promise<FaultlineError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFaultlineError(err, 'adapter_error'), String(err)).toBe(true);
  return err as FaultlineError;
};

/** checkout-api on policy PEPCHK: Ada first (until `adaUntil`), Grace at level 2; Linus has nothing to do with it. */
function checkoutTeam(adaUntil = Date.now() + 6 * HOUR) {
  pd.oncalls.addUser({ id: 'PADA', name: 'Ada Lovelace', email: 'ada@example.com' });
  pd.oncalls.addUser({ id: 'PGRACE', name: 'Grace Hopper', email: 'grace@example.com' });
  pd.oncalls.addUser({ id: 'PLINUS', name: 'Linus T', email: 'linus@example.com' });
  pd.oncalls.addService({ id: 'PCHK', name: 'checkout-api', escalationPolicyId: 'PEPCHK', escalationPolicyName: 'Checkout' });
  pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: 'PADA', level: 1, end: adaUntil });
  pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: 'PGRACE', level: 2, start: null, end: null });
  pd.oncalls.putOnCall({ escalationPolicyId: 'PEPOTHER', userId: 'PLINUS', level: 1 });
}

beforeAll(async () => {
  pd = await PagerDutyStandIn.start({ token: TOKEN });
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.reset();
  log = new RecordingLog();
});

describe('PagerDutyOnCalls.forServices (real pdjs against the stand-in)', () => {
  it('reads the service’s escalation policy, then its current on-calls with users: level 1 and level 2, emails, until', async () => {
    // Whole seconds: PagerDuty writes times to the second (here in the account's zone, -05:00).
    const adaUntil = Math.floor((Date.now() + 6 * HOUR) / 1000) * 1000;
    checkoutTeam(adaUntil);

    const found = await oncalls().forServices(['PCHK']);
    expect(found).toEqual([
      { serviceId: 'PCHK', serviceName: 'checkout-api', userId: 'PADA', name: 'Ada Lovelace', email: 'ada@example.com', escalationLevel: 1, until: adaUntil },
      // A permanent on-call (named in the rule itself): no end.
      { serviceId: 'PCHK', serviceName: 'checkout-api', userId: 'PGRACE', name: 'Grace Hopper', email: 'grace@example.com', escalationLevel: 2 },
    ]);
    for (const o of found) expect(OnCall.parse(o)).toEqual(o);
    expect(firstResponders(found).map((o) => o.userId)).toEqual(['PADA']);

    expect(pd.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /services/PCHK', 'GET /oncalls']);
    for (const r of pd.requests) expect(r).toMatchObject({ authorization: `Token token=${TOKEN}`, accept: 'application/vnd.pagerduty+json;version=2' });
    expect(pd.requests[1]!.query).toEqual({
      'escalation_policy_ids[]': ['PEPCHK'],
      'include[]': ['users'],
      earliest: ['true'],
      limit: ['100'],
      offset: ['0'],
    });
  });

  it('a service with nobody on call is an empty list, not an error', async () => {
    checkoutTeam();
    pd.oncalls.addService({ id: 'PQUIET', name: 'quiet-batch', escalationPolicyId: 'PEPNOBODY' });
    expect(await oncalls().forServices(['PQUIET'])).toEqual([]);
    // Beside a staffed one, it adds nothing; the order is the order asked.
    const both = await oncalls().forServices(['PQUIET', 'PCHK', 'PQUIET']);
    expect(both.map((o) => `${o.serviceId}:${o.userId}:${o.escalationLevel}`)).toEqual(['PCHK:PADA:1', 'PCHK:PGRACE:2']);
    expect(log.lines.find((l) => l.msg === 'pagerduty: nobody on call for a service')?.obj).toEqual({ serviceId: 'PQUIET', escalationPolicyId: 'PEPNOBODY' });
  });

  it('an unknown service is an error naming it, and nothing more is asked', async () => {
    checkoutTeam();
    const err = await failure(oncalls().forServices(['PCHK', 'PNOPE']));
    expect(err.message).toMatch(/no service PNOPE/);
    expect(err.details).toMatchObject({ serviceId: 'PNOPE', status: 404, unknownService: true });
    expect(pd.requests.map((r) => r.path)).toEqual(['/services/PCHK', '/services/PNOPE']);
  });

  it('a 500 is adapter_error naming the call, the status and PagerDuty’s message; a page in the middle fails the lookup', async () => {
    checkoutTeam();
    pd.failNext(500, 1, JSON.stringify({ error: { message: 'Internal Server Error', code: 2000 } }));
    let err = await failure(oncalls().forServices(['PCHK']));
    expect(err.message).toBe('PagerDuty answered HTTP 500 to GET /services/PCHK: Internal Server Error');
    expect(err.details).toMatchObject({ serviceId: 'PCHK', status: 500 });

    pd.passNext(1);
    pd.failNext(503, 1, JSON.stringify({ error: { message: 'Service Unavailable', code: 2000 } }));
    err = await failure(oncalls().forServices(['PCHK']));
    expect(err.message).toBe('PagerDuty answered HTTP 503 to GET /oncalls: Service Unavailable');
    expect(err.details).toMatchObject({ escalationPolicyIds: ['PEPCHK'], status: 503 });

    pd.failNext(502, 1, '<html><body>Bad Gateway</body></html>');
    expect((await failure(oncalls().forServices(['PCHK']))).message).toMatch(/HTTP 502 to GET \/services\/PCHK without JSON/);

    for (let i = 0; i < 150; i++) {
      pd.oncalls.addUser({ id: `PU${i}`, name: `user ${i}` });
      pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: `PU${i}`, level: 3 });
    }
    const before = pd.requests.length;
    pd.passNext(2);
    pd.failNext(500, 1);
    expect((await failure(oncalls().forServices(['PCHK']))).message).toMatch(/HTTP 500 to GET \/oncalls/);
    expect(pd.requests.slice(before).map((r) => `${r.path}?${r.query.offset?.[0] ?? ''}`)).toEqual(['/services/PCHK?', '/oncalls?0', '/oncalls?100']);
  });

  it('stops when the caller’s signal aborts, and asks nothing with a signal already aborted', async () => {
    checkoutTeam();
    // Neither an answer nor the request timeout comes before the test's own timeout: only the caller's signal ends it.
    pd.slowNext(120_000);
    const err = await failure(oncalls({ requestTimeout: '120s' }).forServices(['PCHK'], AbortSignal.timeout(150)));
    expect(err.message).toMatch(/GET \/services\/PCHK aborted by the caller/);
    expect(err.details).toMatchObject({ aborted: true });

    const before = pd.requests.length;
    const gone = new AbortController();
    gone.abort(new Error('run halted'));
    expect((await failure(oncalls().forServices(['PCHK'], gone.signal))).message).toMatch(/aborted by the caller: run halted/);
    expect(pd.requests).toHaveLength(before);
  });

  it('gives up after requestTimeout on a slow answer', async () => {
    checkoutTeam();
    pd.passNext(1);
    pd.slowNext(120_000);
    const err = await failure(oncalls({ requestTimeout: '300ms' }).forServices(['PCHK']));
    expect(err.message).toBe('PagerDuty did not answer GET /oncalls within 300 ms');
    expect(err.details).toMatchObject({ timeout: true });
  });

  it('asks once for services sharing a policy, and reads every page of on-calls', async () => {
    pd.oncalls.addService({ id: 'PWEB', name: 'web', escalationPolicyId: 'PEPBIG' });
    pd.oncalls.addService({ id: 'PAPI', name: 'api', escalationPolicyId: 'PEPBIG' });
    for (let i = 0; i < 130; i++) {
      pd.oncalls.addUser({ id: `PU${i}`, name: `user ${String(i).padStart(3, '0')}`, email: `u${i}@example.com` });
      pd.oncalls.putOnCall({ escalationPolicyId: 'PEPBIG', userId: `PU${i}`, level: 1 + (i % 3) });
    }
    const found = await oncalls().forServices(['PWEB', 'PAPI']);
    expect(found).toHaveLength(260);
    expect(found.filter((o) => o.serviceId === 'PWEB')).toHaveLength(130);
    expect(found.slice(0, 3).map((o) => [o.serviceId, o.escalationLevel, o.name])).toEqual([
      ['PWEB', 1, 'user 000'],
      ['PWEB', 1, 'user 003'],
      ['PWEB', 1, 'user 006'],
    ]);
    const lists = pd.requests.filter((r) => r.path === '/oncalls');
    expect(lists.map((r) => r.query.offset?.[0])).toEqual(['0', '100']);
    expect(lists.every((r) => r.query['escalation_policy_ids[]']?.join() === 'PEPBIG')).toBe(true);
  });

  it('keeps only who is on call now, once per person and level (earliest), without a user the API will not name', async () => {
    checkoutTeam();
    const now = Date.now();
    // Ada also holds level 1 through a second schedule, ending later; next week's shift is not now.
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: 'PADA', level: 1, scheduleId: 'PSNIGHT', start: now - 2 * HOUR, end: now + 9 * HOUR });
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: 'PLINUS', level: 1, start: now + 7 * 24 * HOUR, end: now + 8 * 24 * HOUR });
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPCHK', userId: 'PLINUS', level: 1, start: now - 48 * HOUR, end: now - 24 * HOUR });
    const found = await oncalls().forServices(['PCHK']);
    expect(found.map((o) => `${o.userId}:${o.escalationLevel}`)).toEqual(['PADA:1', 'PGRACE:2']);
    // PagerDuty's `earliest` keeps one entry per policy, level and user: the one that started first.
    expect(found[0]!.until).toBeGreaterThan(now + 8 * HOUR);
  });

  it('refuses to run without a token, and reports a refused one', async () => {
    checkoutTeam();
    expect((await failure(oncalls({ apiToken: undefined }).forServices(['PCHK']))).message).toMatch(/PAGERDUTY_API_TOKEN/);
    expect(pd.requests).toHaveLength(0);
    expect((await failure(oncalls({ apiToken: 'wrong' }).forServices(['PCHK']))).message).toBe('PagerDuty answered HTTP 401 to GET /services/PCHK: Authentication failed');
    expect(await oncalls().forServices([])).toEqual([]);
    expect((await failure(oncalls().forServices([' ']))).message).toMatch(/service id is empty/);
    expect(pd.requests).toHaveLength(1);
  });

  it('is part of the integration when a token is configured', async () => {
    checkoutTeam();
    const deps = { log, now: Date.now };
    expect(pagerDutyAdapter.create(PagerDutyConfig.parse({}), deps).oncalls).toBeUndefined();
    const pdi = pagerDutyAdapter.create(config(), deps);
    expect((await pdi.oncalls!.forServices(['PCHK'])).map((o) => o.userId)).toEqual(['PADA', 'PGRACE']);
  });
});

describe('firstResponders', () => {
  const o = (serviceId: string, userId: string, escalationLevel: number): OnCall => ({ serviceId, userId, name: userId, escalationLevel });
  it('keeps level 1 per service, or the lowest level anyone holds when level 1 is empty', () => {
    expect(firstResponders([o('A', 'a1', 1), o('A', 'a2', 2), o('A', 'a3', 1), o('B', 'b2', 2), o('B', 'b3', 3)])).toEqual([o('A', 'a1', 1), o('A', 'a3', 1), o('B', 'b2', 2)]);
    expect(firstResponders([])).toEqual([]);
  });
});
