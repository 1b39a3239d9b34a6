import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { PagerDutyConfig, PagerDutyRest, type PagerDutyConfigInput } from '../../src/adapters/incidents/pagerduty/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

const TOKEN = 'u+pdtest-token-0001';
let pd: PagerDutyStandIn;
let log: RecordingLog;

const rest = (cfg: Partial<PagerDutyConfigInput> = {}) => new PagerDutyRest(PagerDutyConfig.parse({ apiToken: TOKEN, apiUrl: pd.url, requestTimeout: '2s', ...cfg }), log);
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFaultlineError(err, 'adapter_error')).toBe(true);
  return (err as Error).message;
};

beforeAll(async () => {
  pd = await PagerDutyStandIn.start({ token: TOKEN });
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.reset();
  log = new RecordingLog();
});

describe('PagerDutyRest.openIncidents (real pdjs against the stand-in)', () => {
  it('asks for triggered and acknowledged incidents on the given services, filters spelled with brackets', async () => {
    const t = Date.parse('2026-03-04T10:00:00Z');
    pd.incidents.addIncident({ id: 'QA1', serviceId: 'PA', serviceName: 'checkout-api', title: 'checkout 5xx', createdAt: t });
    pd.incidents.addIncident({ id: 'QA2', serviceId: 'PA', status: 'acknowledged', urgency: 'low', createdAt: t });
    pd.incidents.setStatus('QA2', 'acknowledged', t + 60_000);
    pd.incidents.addIncident({ id: 'QA3', serviceId: 'PA', status: 'resolved', createdAt: t });
    pd.incidents.addIncident({ id: 'QB1', serviceId: 'PB', createdAt: t });
    pd.incidents.addIncident({ id: 'QC1', serviceId: 'PC', createdAt: t });

    const open = await rest().openIncidents(['PA', 'PB']);
    expect(open.map((i) => i.id).sort()).toEqual(['QA1', 'QA2', 'QB1']);
    expect(open.find((i) => i.id === 'QA1')).toEqual({
      id: 'QA1',
      number: 1,
      title: 'checkout 5xx',
      status: 'triggered',
      urgency: 'high',
      url: 'https://acme.pagerduty.com/incidents/QA1',
      serviceId: 'PA',
      serviceName: 'checkout-api',
      createdAt: t,
      acknowledgedAt: null,
      resolvedAt: null,
    });
    expect(open.find((i) => i.id === 'QA2')).toMatchObject({ status: 'acknowledged', urgency: 'low', acknowledgedAt: t + 60_000, resolvedAt: null });

    expect(pd.requests).toHaveLength(1);
    const req = pd.requests[0]!;
    expect(req).toMatchObject({ method: 'GET', path: '/incidents', authorization: `Token token=${TOKEN}`, accept: 'application/vnd.pagerduty+json;version=2' });
    expect(req.query).toEqual({
      'service_ids[]': ['PA', 'PB'],
      'statuses[]': ['triggered', 'acknowledged'],
      date_range: ['all'],
      limit: ['100'],
      offset: ['0'],
    });
  });

  it('finds an incident opened more than 30 days ago and still open', async () => {
    pd.incidents.addIncident({ id: 'QOLD', serviceId: 'PA', createdAt: Date.now() - 45 * 86_400_000 });
    expect((await rest().openIncidents(['PA'])).map((i) => i.id)).toEqual(['QOLD']);
  });

  it('follows `more` across pages: 250 open incidents in three requests', async () => {
    for (let i = 0; i < 250; i++) pd.incidents.addIncident({ id: `QP${i}`, serviceId: i % 2 ? 'PA' : 'PB' });
    for (let i = 0; i < 30; i++) pd.incidents.addIncident({ id: `QR${i}`, serviceId: 'PA', status: 'resolved' });
    const open = await rest().openIncidents(['PA', 'PB']);
    expect(open).toHaveLength(250);
    expect(new Set(open.map((i) => i.id)).size).toBe(250);
    expect(pd.requests.map((r) => r.query.offset?.[0])).toEqual(['0', '100', '200']);
    expect(pd.requests.every((r) => r.query.limit?.[0] === '100')).toBe(true);
  });

  it('makes no request for no services', async () => {
    expect(await rest().openIncidents([])).toEqual([]);
    expect(pd.requests).toHaveLength(0);
  });

  it('gives up after requestTimeout when PagerDuty answers slowly', async () => {
    pd.incidents.addIncident({ serviceId: 'PA' });
    // An answer later than the test's own timeout: only the 300 ms request timeout can end this call.
    pd.slowNext(120_000);
    expect(await failure(rest({ requestTimeout: '300ms' }).openIncidents(['PA']))).toMatch(/did not answer GET \/incidents within 300 ms/);
  });

  it("stops when the caller's signal aborts", async () => {
    // Neither the answer nor the request timeout comes before the test's own timeout: only the caller's signal can end it.
    pd.slowNext(120_000);
    expect(await failure(rest({ requestTimeout: '120s' }).openIncidents(['PA'], AbortSignal.timeout(150)))).toMatch(/aborted/);
  });

  it('wraps a 5xx as adapter_error with the status and PagerDuty’s message', async () => {
    pd.failNext(503, 1, JSON.stringify({ error: { message: 'Service Unavailable', code: 2000 } }));
    expect(await failure(rest().openIncidents(['PA']))).toMatch(/HTTP 503 .*Service Unavailable/);
    pd.failNext(502, 1, '<html><body>Bad Gateway</body></html>');
    expect(await failure(rest().openIncidents(['PA']))).toMatch(/HTTP 502 .*without JSON/);
  });

  it('fails on a page in the middle instead of returning a partial list', async () => {
    for (let i = 0; i < 150; i++) pd.incidents.addIncident({ serviceId: 'PA' });
    pd.passNext(1);
    pd.failNext(500, 1);
    expect(await failure(rest().openIncidents(['PA']))).toMatch(/HTTP 500/);
    expect(pd.requests.map((r) => r.query.offset?.[0])).toEqual(['0', '100']);
  });

  it('paces pdjs’s 429 retries inside the request budget', async () => {
    pd.incidents.addIncident({ id: 'Q429', serviceId: 'PA' });
    pd.failNext(429, 1, JSON.stringify({ error: { message: 'Rate Limit Exceeded', code: 2020 } }));
    expect((await rest({ requestTimeout: '1s' }).openIncidents(['PA'])).map((i) => i.id)).toEqual(['Q429']);
    expect(pd.requests).toHaveLength(2);
    pd.failNext(429, 10, JSON.stringify({ error: { message: 'Rate Limit Exceeded', code: 2020 } }));
    expect(await failure(rest({ requestTimeout: '1600ms' }).openIncidents(['PA']))).toMatch(/HTTP 429.*Rate Limit Exceeded/);
    // One request and pdjs's three retries.
    expect(pd.requests).toHaveLength(2 + 4);
  });

  it('reports a refused token, and refuses to run without one', async () => {
    expect(await failure(rest({ apiToken: 'wrong' }).openIncidents(['PA']))).toMatch(/HTTP 401.*Authentication failed/);
    const before = pd.requests.length;
    expect(await failure(rest({ apiToken: undefined }).openIncidents(['PA']))).toMatch(/PAGERDUTY_API_TOKEN/);
    expect(pd.requests).toHaveLength(before);
  });

  it('reports an unreachable API', async () => {
    expect(await failure(rest({ apiUrl: 'http://127.0.0.1:9' }).openIncidents(['PA']))).toMatch(/GET \/incidents failed/);
  });
});
