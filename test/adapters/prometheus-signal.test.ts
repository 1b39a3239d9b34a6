import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusSource, prometheusSignalSchema } from '../../src/adapters/signals/prometheus/index.js';

// A local HTTP server answering with Prometheus' documented response shapes, to cover the answers
// the real binary only gives under conditions a test cannot arrange (NaN, errors, hangs).
let server: Server;
let url: string;
let answer: { status: number; body: unknown; delayMs?: number } = { status: 200, body: {} };
const seen: Array<{ auth?: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const vector = (...values: string[]) => ({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { replica: `r${i}` }, value: [1700000000.1, v] })) } });
const ctx = { now: () => Date.now(), timeoutMs: 1000 };
const q = (extra: Record<string, unknown> = {}) => prometheusSignalSchema.parse({ source: 'prometheus', query: 'up', ...extra });
const source = (cfg: Record<string, unknown> = {}) => createPrometheusSource({ url, defaultTimeout: 500, ...cfg }, { log: console as never, now: Date.now });

describe('prometheus signal', () => {
  it('reads a vector, reduced by max by default or as asked', async () => {
    answer = { status: 200, body: vector('0.01', '0.2', '0.05') };
    expect(await source().sample(q(), ctx)).toMatchObject({ status: 'ok', value: 0.2 });
    expect(await source().sample(q({ reduce: 'sum' }), ctx)).toMatchObject({ status: 'ok', value: 0.26 });
    expect(await source().sample(q({ reduce: 'min' }), ctx)).toMatchObject({ status: 'ok', value: 0.01 });
  });

  it('reads a scalar', async () => {
    answer = { status: 200, body: { status: 'success', data: { resultType: 'scalar', result: [1700000000, '42'] } } };
    expect(await source().sample(q(), ctx)).toMatchObject({ status: 'ok', value: 42 });
  });

  it.each([
    ['an empty result', { status: 200, body: vector() }, /no data/],
    ['NaN', { status: 200, body: vector('NaN') }, /no usable value/],
    ['+Inf among good series', { status: 200, body: vector('1', '+Inf') }, /NaN or infinite/],
    ['a query error', { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' } }, /bad_data.*parse error/],
    ['a 503 without JSON', { status: 503, body: 'upstream down' }, /HTTP 503 without JSON/],
    ['a matrix', { status: 200, body: { status: 'success', data: { resultType: 'matrix', result: [] } } }, /instant vector or scalar/],
    ['a hang', { status: 200, body: vector('1'), delayMs: 2000 }, /did not answer within 500 ms/],
  ])('is unknown on %s', async (_what, a, reason) => {
    answer = a;
    const r = await source().sample(q(), ctx);
    expect(r.status).toBe('unknown');
    expect(r.status === 'unknown' && r.reason).toMatch(reason);
  });

  it('is unknown when Prometheus is unreachable or not configured', async () => {
    const dead = await source({ url: 'http://127.0.0.1:1' }).sample(q(), ctx);
    expect(dead).toMatchObject({ status: 'unknown' });
    expect(await createPrometheusSource({ defaultTimeout: 500 }, { log: console as never, now: Date.now }).sample(q(), ctx)).toMatchObject({
      status: 'unknown',
      reason: expect.stringContaining('PROMETHEUS_URL'),
    });
  });

  it('sends the query form-encoded with the configured credentials', async () => {
    answer = { status: 200, body: vector('1') };
    seen.length = 0;
    await source({ bearerToken: 't0k' }).sample(q({ query: 'sum(rate(x[5s]))' }), ctx);
    await source({ basicAuth: { username: 'u', password: 'p' } }).sample(q(), ctx);
    expect(seen[0]!.auth).toBe('Bearer t0k');
    expect(new URLSearchParams(seen[0]!.body).get('query')).toBe('sum(rate(x[5s]))');
    expect(seen[1]!.auth).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });
});
