import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading, SampleContext, SignalSource } from '../../src/core/ports.js';
import type { SignalQuery } from '../../src/core/playbook.js';
import { httpSignalAdapter, httpSignalSchema, readPath, type HttpSignalQueryInput } from '../../src/adapters/signals/http/index.js';
import { silentLogger, startSandbox } from '../../src/sandbox/index.js';
import { closedPort } from './ports.js';

let server: Server;
let base = '';
let source: SignalSource;
const T0 = 1_700_000_000_000;
const ctx = (over: Partial<SampleContext> = {}): SampleContext => ({ now: () => T0, timeoutMs: 2_000, ...over });

function reply(res: import('node:http').ServerResponse, status: number, body: string, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/stats':
        return reply(res, 200, JSON.stringify({ errorRate: 0.25, p99Ms: null, label: 'fine', flag: true, stats: { items: [{ value: 3 }, { value: 7.5 }] } }));
      case '/huge':
        return reply(res, 200, '{"value": 1e999}');
      case '/down':
        return reply(res, 503, JSON.stringify({ errorRate: 0 }));
      case '/html':
        return reply(res, 200, '<html>oops</html>', 'text/html');
      case '/empty':
        return reply(res, 200, '');
      case '/slow':
        return void setTimeout(() => reply(res, 200, JSON.stringify({ errorRate: 0 })), 1_000);
      case '/pause':
        return void setTimeout(() => reply(res, 200, '{}'), 250);
      case '/hang':
        return; // never answers (the connections are cut in afterAll)
      case '/auth':
        return req.headers.authorization === 'Bearer s3cret' ? reply(res, 200, '{"n": 1}') : reply(res, 401, '{"error":"no"}');
      default:
        return reply(res, 404, '{}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  base = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
  source = httpSignalAdapter.create(httpSignalAdapter.configSchema.parse({}), { log: silentLogger, now: () => T0 });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const q = (over: Partial<HttpSignalQueryInput>): SignalQuery => httpSignalSchema.parse({ source: 'http', url: `${base}/stats`, ...over }) as SignalQuery;
const unknownReason = (r: Reading) => (r.status === 'unknown' ? r.reason : `ok ${r.value}`);

describe('http signal: schema and description', () => {
  it('parses queries strictly; json needs a path', () => {
    expect(httpSignalAdapter.kind).toBe('http');
    expect(httpSignalAdapter.configSchema.parse({})).toEqual({ defaultTimeout: 2000 });
    expect(httpSignalSchema.parse({ source: 'http', url: 'http://a/stats', path: 'errorRate' })).toEqual({ source: 'http', url: 'http://a/stats', measure: 'json', path: 'errorRate' });
    expect(httpSignalSchema.safeParse({ source: 'http', url: 'http://a/stats' }).error?.issues[0]?.path).toEqual(['path']);
    expect(httpSignalSchema.safeParse({ source: 'http', url: 'http://a/stats', measure: 'status' }).success).toBe(true);
    expect(httpSignalSchema.safeParse({ source: 'http', url: 'not-a-url', measure: 'status' }).success).toBe(false);
    expect(httpSignalSchema.safeParse({ source: 'http', url: 'http://a', measure: 'status', query: 'x' }).success).toBe(false);
    expect(httpSignalSchema.safeParse({ source: 'http', url: 'http://a', measure: 'status', timeoutMs: 0 }).success).toBe(false);
  });

  it('describes a query in one line, masking credentials', () => {
    expect(source.describe(q({ url: 'http://127.0.0.1:7071/stats', path: 'errorRate' }))).toBe('GET http://127.0.0.1:7071/stats → errorRate');
    expect(source.describe(q({ url: 'http://x/health', measure: 'status' }))).toBe('GET http://x/health → status');
    expect(source.describe(q({ url: 'http://bob:pw@x/health', measure: 'latency' }))).toBe('GET http://***@x/health → latency');
  });

  it('walks dotted paths through objects and arrays', () => {
    expect(readPath({ a: { b: [1, { c: 2 }] } }, 'a.b.1.c')).toEqual({ found: true, value: 2 });
    expect(readPath({ a: [] }, 'a.0')).toEqual({ found: false, missing: 'a.0' });
    expect(readPath({ a: 1 }, 'a.b')).toEqual({ found: false, missing: 'a.b' });
    expect(readPath({}, 'toString')).toEqual({ found: false, missing: 'toString' });
  });
});

describe('http signal: ok readings', () => {
  it('reads a number at a path', async () => {
    expect(await source.sample(q({ path: 'errorRate' }), ctx())).toEqual({ status: 'ok', value: 0.25, at: T0 });
    expect(await source.sample(q({ path: 'stats.items.1.value' }), ctx())).toEqual({ status: 'ok', value: 7.5, at: T0 });
  });

  it('reads the status code, even an error status', async () => {
    expect(await source.sample(q({ url: `${base}/stats`, measure: 'status' }), ctx())).toMatchObject({ status: 'ok', value: 200 });
    expect(await source.sample(q({ url: `${base}/down`, measure: 'status' }), ctx())).toMatchObject({ status: 'ok', value: 503 });
  });

  it('measures latency in ms', async () => {
    const r = await source.sample(q({ url: `${base}/stats`, measure: 'latency' }), ctx());
    expect(r.status).toBe('ok');
    expect(r.status === 'ok' && r.value).toBeGreaterThan(0);
    // A server that answers after 250 ms reads as at least 200: milliseconds, not seconds.
    const paused = await source.sample(q({ url: `${base}/pause`, measure: 'latency' }), ctx());
    expect(paused.status === 'ok' && paused.value).toBeGreaterThanOrEqual(200);
  });

  it('sends the configured headers', async () => {
    expect(await source.sample(q({ url: `${base}/auth`, path: 'n', headers: { authorization: 'Bearer s3cret' } }), ctx())).toMatchObject({ status: 'ok', value: 1 });
  });
});

describe('http signal: unknown, never a throw', () => {
  it.each([
    ['an HTTP error status', { url: '/down', path: 'errorRate' }, /^GET http:\/\/127\.0\.0\.1:\d+\/down answered HTTP 503$/],
    ['a missing path', { path: 'latency.p99' }, /^path latency\.p99 is missing from the response \(no latency\)$/],
    ['a null value', { path: 'p99Ms' }, /^path p99Ms is null$/],
    ['a string value', { path: 'label' }, /^path label is a string, not a number$/],
    ['a boolean value', { path: 'flag' }, /^path flag is a boolean, not a number$/],
    ['an object value', { path: 'stats' }, /^path stats is an object, not a number$/],
    ['an infinite value', { url: '/huge', path: 'value' }, /^path value is Infinity, not a finite number$/],
    ['a non-JSON body', { url: '/html', path: 'errorRate' }, /did not return JSON \(body starts "<html>oops<\/html>"\)$/],
    ['an empty body', { url: '/empty', path: 'errorRate' }, /did not return JSON \(empty body\)$/],
    ['a 401', { url: '/auth', path: 'n' }, /answered HTTP 401$/],
  ] as Array<[string, { url?: string; path: string }, RegExp]>)('%s', async (_name, over, reason) => {
    const url = over.url ? `${base}${over.url}` : `${base}/stats`;
    const r = await source.sample(q({ ...over, url }), ctx());
    expect(r.status).toBe('unknown');
    expect(unknownReason(r)).toMatch(reason);
    expect(r.at).toBe(T0);
  });

  it('a timeout, capped by the engine budget', async () => {
    // A server that never answers and a query timeout longer than the test's own: only the engine's 150 ms budget can end it.
    const r = await source.sample(q({ url: `${base}/hang`, path: 'errorRate', timeoutMs: 120_000 }), ctx({ timeoutMs: 150 }));
    expect(unknownReason(r)).toBe(`GET ${base}/hang timed out after 150 ms`);
    const r2 = await source.sample(q({ url: `${base}/slow`, path: 'errorRate', timeoutMs: 100 }), ctx());
    expect(unknownReason(r2)).toBe(`GET ${base}/slow timed out after 100 ms`);
    // latency and status time out too: no answer is no reading.
    expect((await source.sample(q({ url: `${base}/slow`, measure: 'latency', timeoutMs: 100 }), ctx())).status).toBe('unknown');
  });

  it('a refused connection', async () => {
    const port = await closedPort();
    const r = await source.sample(q({ url: `http://127.0.0.1:${port}/stats`, path: 'errorRate' }), ctx());
    expect(unknownReason(r)).toBe(`GET http://127.0.0.1:${port}/stats failed: connection refused (ECONNREFUSED)`);
  });

  it('a cancelled sample', async () => {
    const ac = new AbortController();
    const p = source.sample(q({ url: `${base}/slow`, path: 'errorRate' }), ctx({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 50);
    expect(unknownReason(await p)).toBe(`GET ${base}/slow was cancelled`);
  });

  it('a query that does not parse', async () => {
    const r = await source.sample({ source: 'http', url: 'nope' } as SignalQuery, ctx());
    expect(r.status).toBe('unknown');
    expect(unknownReason(r)).toMatch(/^invalid http signal: url/);
  });
});

describe('http signal against the sandbox', () => {
  it('reads null stats (no traffic) as unknown, and real traffic as numbers', async () => {
    const sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 1, rps: 0 });
    try {
      const stats = q({ url: `${sb.adminUrl}/stats`, path: 'errorRate' });
      expect(unknownReason(await source.sample(stats, ctx()))).toBe('path errorRate is null');
      for (let i = 0; i < 5; i += 1) await fetch(`${sb.proxyUrl}/`).then((r) => r.text());
      expect(await source.sample(stats, ctx())).toMatchObject({ status: 'ok', value: 0 });
      expect(await source.sample(q({ url: `${sb.adminUrl}/stats`, path: 'requests' }), ctx())).toMatchObject({ status: 'ok', value: 5 });
    } finally {
      await sb.stop();
    }
  }, 15_000);
});
