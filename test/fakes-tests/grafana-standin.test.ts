import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GrafanaStandIn } from '../fakes/grafana-api.js';

describe('the Grafana annotations stand-in speaks Grafana\'s wire format', () => {
  let g: GrafanaStandIn;
  beforeAll(async () => {
    g = await GrafanaStandIn.start({ token: 'glsa_ok' });
  });
  afterAll(async () => g?.close());
  beforeEach(() => g.reset());

  const call = async (method: string, path: string, body?: unknown, token: string | null = 'glsa_ok') => {
    const res = await fetch(`${g.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as any };
  };

  it('401 without a bearer token and with a wrong one; nothing stored', async () => {
    expect(await call('POST', '/api/annotations', { text: 'x' }, null)).toMatchObject({ status: 401, json: { message: 'Unauthorized' } });
    expect(await call('POST', '/api/annotations', { text: 'x' }, 'glsa_other')).toMatchObject({ status: 401, json: { message: 'Invalid API key' } });
    expect(g.annotations).toEqual([]);
    expect(g.requests).toHaveLength(2);
  });

  it('POST: "Annotation added" with an id; a region keeps timeEnd, a point gets timeEnd = time', async () => {
    expect(await call('POST', '/api/annotations', { time: 1_700_000_000_000, timeEnd: 1_700_000_060_000, tags: ['faultline'], text: 'region' })).toEqual(
      expect.objectContaining({ status: 200, json: { message: 'Annotation added', id: 1 } }),
    );
    expect((await call('POST', '/api/annotations', { time: 1_700_000_000_000, tags: ['faultline'], text: 'point' })).json.id).toBe(2);
    expect(g.annotations.map((a) => [a.text, a.time, a.timeEnd])).toEqual([
      ['region', 1_700_000_000_000, 1_700_000_060_000],
      ['point', 1_700_000_000_000, 1_700_000_000_000],
    ]);
  });

  it('400 on what Grafana refuses: no text, an empty text, wrong types, not JSON', async () => {
    expect(await call('POST', '/api/annotations', { time: 1, tags: [] })).toMatchObject({ status: 400, json: { message: 'Failed to save annotation' } });
    expect((await call('POST', '/api/annotations', { text: '' })).status).toBe(400);
    expect(await call('POST', '/api/annotations', { text: 'x', time: '1700000000000' })).toMatchObject({ status: 400, json: { message: 'bad request data' } });
    expect((await call('POST', '/api/annotations', { text: 'x', tags: 'faultline' })).status).toBe(400);
    expect((await call('POST', '/api/annotations', '{not json')).status).toBe(400);
    expect(g.annotations).toEqual([]);
  });

  it('PATCH changes only the fields given ("Annotation patched"); 404 for an unknown id, 400 for a bad one', async () => {
    await call('POST', '/api/annotations', { time: 1000, timeEnd: 1000, tags: ['a'], text: 'open' });
    expect(await call('PATCH', '/api/annotations/1', { timeEnd: 5000 })).toMatchObject({ status: 200, json: { message: 'Annotation patched' } });
    expect(g.annotations[0]).toMatchObject({ time: 1000, timeEnd: 5000, tags: ['a'], text: 'open' });
    await call('PATCH', '/api/annotations/1', { text: '', tags: ['b'] });
    expect(g.annotations[0]).toMatchObject({ text: 'open', tags: ['b'] });
    expect(await call('PATCH', '/api/annotations/99', { timeEnd: 1 })).toMatchObject({ status: 404, json: { message: 'Annotation not found' } });
    expect((await call('PATCH', '/api/annotations/abc', { timeEnd: 1 })).status).toBe(400);
  });

  it('GET filters by every tag given, time overlap and limit, newest first', async () => {
    await call('POST', '/api/annotations', { time: 1000, tags: ['faultline', 'exp-1'], text: 'one' });
    await call('POST', '/api/annotations', { time: 3000, timeEnd: 4000, tags: ['faultline', 'exp-2'], text: 'two' });
    await call('POST', '/api/annotations', { time: 2000, tags: ['other'], text: 'three' });
    expect((await call('GET', '/api/annotations?tags=faultline')).json.map((a: any) => a.text)).toEqual(['two', 'one']);
    expect((await call('GET', '/api/annotations?tags=faultline&tags=exp-1')).json.map((a: any) => a.text)).toEqual(['one']);
    expect((await call('GET', '/api/annotations?from=3500&to=9000')).json.map((a: any) => a.text)).toEqual(['two']);
    expect((await call('GET', '/api/annotations?limit=1')).json).toHaveLength(1);
    expect((await call('GET', '/api/annotations', undefined, null)).status).toBe(401);
  });

  it('failNext answers 500 or 429 (with Retry-After) for the next N requests, then normally', async () => {
    g.failNext(500, 2);
    g.failNext(429, 1, { retryAfter: 3 });
    expect((await call('POST', '/api/annotations', { text: 'a' })).status).toBe(500);
    expect((await call('POST', '/api/annotations', { text: 'a' })).status).toBe(500);
    const limited = await call('POST', '/api/annotations', { text: 'a' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect((await call('POST', '/api/annotations', { text: 'a' })).status).toBe(200);
  });

  it('hangNext holds a request without an answer (recorded), and answers the ones after it', async () => {
    g.hangNext(1);
    const controller = new AbortController();
    const hung = fetch(`${g.url}/api/annotations`, { method: 'POST', body: '{"text":"x"}', headers: { authorization: 'Bearer glsa_ok' }, signal: controller.signal }).catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 50));
    expect(g.hanging).toBe(1);
    expect((await call('POST', '/api/annotations', { text: 'y' })).status).toBe(200);
    controller.abort();
    expect(await hung).toBe('AbortError');
    expect(g.requests).toHaveLength(2);
  });
});
