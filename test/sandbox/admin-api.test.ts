import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { faultBody, http, type FaultRow, type StatsRow } from './helpers.js';

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 0, upstreamTimeoutMs: 300 });
}, 20_000);
afterAll(async () => {
  await sb?.stop();
});

const post = (body: unknown) => http<Record<string, unknown>>(`${sb.adminUrl}/faults`, { method: 'POST', body });

describe('admin API: stats with no traffic', () => {
  it('reports null rates and percentiles, never a healthy-looking zero', async () => {
    const { status, body } = await http<StatsRow>(`${sb.adminUrl}/stats`);
    expect(status).toBe(200);
    expect(body).toEqual({ windowSeconds: 10, requests: 0, errors: 0, errorRate: null, p50Ms: null, p99Ms: null, rps: 0 });
  });

  it('rejects a bad window', async () => {
    expect(await http(`${sb.adminUrl}/stats?window=abc`)).toMatchObject({ status: 400, body: { field: 'window' } });
    expect(await http(`${sb.adminUrl}/stats?window=0`)).toMatchObject({ status: 400, body: { field: 'window' } });
  });
});

describe('admin API: faults', () => {
  it('is idempotent on handleId: a retry returns the same fault, never a second one', async () => {
    const body = faultBody({ type: 'latency', params: { ms: 20 } });
    const first = await post(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      experimentId: body.experimentId,
      handleId: body.handleId,
      type: 'latency',
      targets: ['checkout-0'],
      params: { ms: 20, jitterMs: 0, percent: 100 },
      expiresAt: body.expiresAt,
    });
    expect(typeof first.body.id).toBe('string');
    expect(typeof first.body.appliedAt).toBe('number');
    const retry = await post(body);
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    const listed = await http<FaultRow[]>(`${sb.adminUrl}/faults?experimentId=${String(body.experimentId)}`);
    expect(listed.body).toHaveLength(1);
    // Same handle, different contents: a conflict, not a silent second fault.
    expect(await post({ ...body, params: { ms: 99 } })).toMatchObject({ status: 409, body: { field: 'handleId' } });
    // Once cleared, a late retry of the same POST does not bring the fault back.
    expect((await http(`${sb.adminUrl}/faults/${String(first.body.id)}`, { method: 'DELETE' })).status).toBe(204);
    expect(await post(body)).toMatchObject({ status: 409, body: { field: 'handleId' } });
  });

  it('deletes by id (204, then 404) and by experimentId', async () => {
    const a = await post(faultBody({ experimentId: 'exp-del', targets: ['checkout-0'] }));
    const b = await post(faultBody({ experimentId: 'exp-del', type: 'blackhole', targets: ['checkout-1', 'checkout-2'] }));
    const c = await post(faultBody({ experimentId: 'exp-keep', targets: ['checkout-2'] }));
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    const del = await http(`${sb.adminUrl}/faults/${String(a.body.id)}`, { method: 'DELETE' });
    expect(del).toEqual({ status: 204, body: undefined });
    expect(await http(`${sb.adminUrl}/faults/${String(a.body.id)}`, { method: 'DELETE' })).toEqual({ status: 404, body: { error: 'not_found' } });
    expect(await http(`${sb.adminUrl}/faults?experimentId=exp-del`, { method: 'DELETE' })).toEqual({ status: 200, body: { cleared: 1 } });
    expect(await http(`${sb.adminUrl}/faults?experimentId=exp-del`, { method: 'DELETE' })).toEqual({ status: 200, body: { cleared: 0 } });
    const left = (await http<FaultRow[]>(`${sb.adminUrl}/faults`)).body;
    expect(left.map((f) => f.id)).toContain(c.body.id);
    expect(left.map((f) => f.experimentId)).not.toContain('exp-del');
    await http(`${sb.adminUrl}/faults?experimentId=exp-keep`, { method: 'DELETE' });
    expect((await http(`${sb.adminUrl}/faults`, { method: 'DELETE' })).status).toBe(400);
  });

  it.each([
    ['unknown target', faultBody({ targets: ['checkout-9'] }), 'targets'],
    ['no targets', faultBody({ targets: [] }), 'targets'],
    ['unknown type', faultBody({ type: 'meteor' }), 'type'],
    ['missing latency ms', faultBody({ type: 'latency', params: {} }), 'params.ms'],
    ['negative latency', faultBody({ type: 'latency', params: { ms: -5 } }), 'params.ms'],
    ['status out of range', faultBody({ type: 'http-error', params: { status: 200 } }), 'params.status'],
    ['percent over 100', faultBody({ type: 'blackhole', params: { percent: 150 } }), 'params.percent'],
    ['unknown parameter', faultBody({ type: 'process-kill', params: { count: 1, signal: 'HUP' } }), 'params.signal'],
    ['expiry in the past', faultBody({ expiresAt: Date.now() - 1_000 }), 'expiresAt'],
    ['missing handleId', { ...faultBody(), handleId: undefined }, 'handleId'],
  ])('answers 400 { error, field } for %s', async (_name, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
    expect(typeof res.body.error).toBe('string');
  });

  it('answers 400 on a body that is not JSON, and 404/405 on unknown routes', async () => {
    expect(await post('{nope')).toMatchObject({ status: 400, body: { field: 'body' } });
    expect(await post('')).toMatchObject({ status: 400, body: { field: 'body' } });
    expect(await http(`${sb.adminUrl}/nothing-here`)).toEqual({ status: 404, body: { error: 'not_found' } });
    expect((await http(`${sb.adminUrl}/faults`, { method: 'PUT', body: {} })).status).toBe(405);
  });
});
