import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import type { FaultHandle, TargetContext, TargetDriver } from '../../src/core/ports.js';
import { processFaultSchema, processTargetAdapter, processTargetSchema } from '../../src/adapters/targets/process/index.js';
import { silentLogger, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { closedPort } from './ports.js';

let sb: Sandbox;
let driver: TargetDriver;
const deps = { log: silentLogger, now: Date.now };

function make(config: Record<string, unknown>): TargetDriver {
  return processTargetAdapter.create(processTargetAdapter.configSchema.parse(config), deps);
}

let seq = 0;
function ctx(over: Partial<TargetContext> = {}): TargetContext & { notes: Array<[string, Record<string, unknown>]> } {
  seq += 1;
  const notes: Array<[string, Record<string, unknown>]> = [];
  return {
    experimentId: `exp-${seq}`,
    handleId: `fh-${seq}`,
    expiresAt: Date.now() + 30_000,
    now: Date.now,
    log: silentLogger,
    note: (kind, data) => notes.push([kind, data]),
    notes,
    ...over,
  };
}

async function faultsAt(adminUrl: string): Promise<Array<{ id: string; handleId: string }>> {
  return (await fetch(`${adminUrl}/faults`).then((r) => r.json())) as Array<{ id: string; handleId: string }>;
}

beforeAll(async () => {
  sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 0, upstreamTimeoutMs: 300 });
  driver = make({ adminUrl: sb.adminUrl });
}, 20_000);
afterAll(async () => {
  await sb?.stop();
});

describe('process target adapter: schemas', () => {
  it('has config defaults', () => {
    expect(processTargetAdapter.kind).toBe('process');
    expect(processTargetAdapter.configSchema.parse({})).toEqual({ adminUrl: 'http://127.0.0.1:7071', requestTimeout: 3000, revertAttempts: 5, revertBackoff: 200 });
    expect(processTargetAdapter.configSchema.safeParse({ adminUrl: 'not a url' }).success).toBe(false);
    expect(processTargetAdapter.configSchema.safeParse({ adminUrl: 'http://x', extra: 1 }).success).toBe(false);
  });

  it('parses targets and faults strictly, with defaults and ranges', () => {
    expect(processTargetSchema.parse({ adapter: 'process' })).toEqual({ adapter: 'process', selector: {}, blastRadius: { kind: 'one' } });
    expect(processTargetSchema.parse({ adapter: 'process', selector: { service: 'checkout' }, blastRadius: 'count:2' }).blastRadius).toEqual({ kind: 'count', n: 2 });
    expect(processTargetSchema.safeParse({ adapter: 'process', selector: { zone: 'a' } }).success).toBe(false);
    expect(processFaultSchema.parse({ type: 'latency', parameters: { ms: 300 }, duration: '30s' })).toEqual({
      type: 'latency',
      parameters: { ms: 300, jitterMs: 0, percent: 100 },
      duration: 30_000,
    });
    expect(processFaultSchema.parse({ type: 'http-error', duration: '1m' }).parameters).toEqual({ status: 503, percent: 100 });
    expect(processFaultSchema.parse({ type: 'blackhole', duration: '5s' }).parameters).toEqual({ percent: 100 });
    expect(processFaultSchema.parse({ type: 'process-kill', parameters: { intervalMs: 1000 }, duration: '5s' }).parameters).toEqual({ count: 1, intervalMs: 1000 });
    for (const bad of [
      { type: 'latency', parameters: {}, duration: '30s' },
      { type: 'latency', parameters: { ms: 100_000 }, duration: '30s' },
      { type: 'http-error', parameters: { status: 302 }, duration: '30s' },
      { type: 'http-error', parameters: { percent: 0 }, duration: '30s' },
      { type: 'process-kill', parameters: { count: 0 }, duration: '30s' },
      { type: 'blackhole', parameters: { foo: 1 }, duration: '30s' },
      { type: 'blackhole', duration: 'soon' },
      { type: 'cpu-burn', duration: '30s' },
    ]) {
      expect(processFaultSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('process target driver against a real sandbox', () => {
  const spec = (over: Record<string, unknown> = {}) => processTargetSchema.parse({ adapter: 'process', ...over });

  it('previews by selector, with only stable attributes', async () => {
    const all = await driver.preview(spec(), { log: silentLogger });
    expect(all).toEqual([0, 1, 2].map((i) => ({ id: `checkout-${i}`, name: `checkout-${i}`, kind: 'replica', attributes: { service: 'checkout', replica: String(i) } })));
    expect(await driver.preview(spec({ selector: { service: 'checkout' } }), { log: silentLogger })).toHaveLength(3);
    expect(await driver.preview(spec({ selector: { service: 'payments' } }), { log: silentLogger })).toEqual([]);
    expect((await driver.preview(spec({ selector: { replica: '1' } }), { log: silentLogger })).map((t) => t.id)).toEqual(['checkout-1']);
    expect((await driver.preview(spec({ selector: { replica: 'checkout-2' } }), { log: silentLogger })).map((t) => t.id)).toEqual(['checkout-2']);
    const loose = { adapter: 'process', selector: { zone: 'a' }, blastRadius: { kind: 'all' } } as unknown as Parameters<TargetDriver['preview']>[0];
    const err = await driver.preview(loose, { log: silentLogger }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'playbook_invalid')).toBe(true);
  });

  it('injects, lists, and reverts idempotently', async () => {
    const targets = await driver.preview(spec({ selector: { replica: '0' } }), { log: silentLogger });
    const fault = processFaultSchema.parse({ type: 'http-error', parameters: { status: 500 }, duration: '30s' });
    const c = ctx();
    const handle = await driver.inject(fault, targets, c);
    expect(handle).toMatchObject({
      handleId: c.handleId,
      experimentId: c.experimentId,
      adapter: 'process',
      faultType: 'http-error',
      targets,
      expiresAt: c.expiresAt,
      data: { faultId: expect.stringMatching(/^f-/), adminUrl: sb.adminUrl },
    });
    expect(c.notes[0]?.[0]).toBe('sandbox-fault');
    // The same handle again (an engine retry): still one fault.
    const again = await driver.inject(fault, targets, c);
    expect(again.data.faultId).toBe(handle.data.faultId);
    expect((await faultsAt(sb.adminUrl)).filter((f) => f.handleId === c.handleId)).toHaveLength(1);

    const owned = await driver.listOwned({ log: silentLogger });
    const mine = owned.find((h) => h.handleId === c.handleId);
    expect(mine).toMatchObject({ experimentId: c.experimentId, faultType: 'http-error', targets, data: { faultId: handle.data.faultId, adminUrl: sb.adminUrl } });

    await driver.revert(handle, { log: silentLogger });
    expect((await faultsAt(sb.adminUrl)).map((f) => f.id)).not.toContain(handle.data.faultId);
    await driver.revert(handle, { log: silentLogger });
    expect((await driver.listOwned({ log: silentLogger })).map((h) => h.handleId)).not.toContain(c.handleId);
  });

  it('reverts a handle that lost its fault id by finding the fault through its handle id', async () => {
    const targets = await driver.preview(spec({ selector: { replica: '2' } }), { log: silentLogger });
    const c = ctx();
    const handle = await driver.inject(processFaultSchema.parse({ type: 'blackhole', duration: '30s' }), targets, c);
    const partial: FaultHandle = { ...handle, data: {} };
    await driver.revert(partial, { log: silentLogger });
    expect((await faultsAt(sb.adminUrl)).map((f) => f.handleId)).not.toContain(c.handleId);
    await driver.revert(partial, { log: silentLogger });
  });

  it('fails inject with inject_failed on a refusal, and preview with adapter_error when the admin API is gone', async () => {
    const bogus = [{ id: 'checkout-7', name: 'checkout-7', kind: 'replica', attributes: { service: 'checkout', replica: '7' } }];
    const err = await driver.inject(processFaultSchema.parse({ type: 'blackhole', duration: '30s' }), bogus, ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'inject_failed')).toBe(true);
    expect(String((err as Error).message)).toMatch(/400.*unknown target checkout-7/);
    const noTargets = await driver.inject(processFaultSchema.parse({ type: 'blackhole', duration: '30s' }), [], ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(noTargets, 'no_targets')).toBe(true);
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const dead = make({ adminUrl: deadUrl, requestTimeout: '500ms', revertBackoff: '10ms' });
    const perr = await dead.preview(spec(), { log: silentLogger }).catch((e: unknown) => e);
    expect(isFaultlineError(perr, 'adapter_error')).toBe(true);
    expect(String((perr as Error).message)).toBe(`could not list sandbox targets at ${deadUrl}/targets: GET ${deadUrl}/targets failed: ECONNREFUSED`);
    expect(isFaultlineError(await dead.listOwned({ log: silentLogger }).catch((e: unknown) => e), 'adapter_error')).toBe(true);
  });
});

describe('process target driver: revert when the admin API is unreachable', () => {
  let flaky: Server;
  let flakyUrl = '';
  let deletes = 0;
  beforeAll(async () => {
    flaky = createServer((req, res) => {
      if (req.method === 'DELETE') deletes += 1;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unavailable' }));
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', () => r()));
    const addr = flaky.address();
    flakyUrl = `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => flaky.close(() => r())));

  const handle = (adminUrl: string): FaultHandle => ({
    handleId: 'fh-x',
    experimentId: 'exp-x',
    adapter: 'process',
    faultType: 'latency',
    targets: [],
    appliedAt: Date.now(),
    expiresAt: Date.now() + 60_000,
    data: { faultId: 'f-deadbeef', adminUrl },
  });

  it('retries 5xx with backoff, then fails with revert_failed naming the fault and the URL', async () => {
    const d = make({ adminUrl: flakyUrl, revertAttempts: 3, revertBackoff: '20ms' });
    const t0 = performance.now();
    const err = await d.revert(handle(flakyUrl), { log: silentLogger }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'revert_failed')).toBe(true);
    expect(deletes).toBe(3);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55); // 20 + 40 ms of backoff
    expect((err as Error).message).toContain('f-deadbeef');
    expect((err as Error).message).toContain(flakyUrl);
  });

  it('retries a dead admin URL, then fails with revert_failed', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const d = make({ adminUrl: dead, revertAttempts: 3, revertBackoff: '10ms', requestTimeout: '500ms' });
    const err = await d.revert(handle(dead), { log: silentLogger }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'revert_failed')).toBe(true);
    expect((err as Error).message).toContain(`could not revert fault f-deadbeef at ${dead} after 3 tries`);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({ faultId: 'f-deadbeef', adminUrl: dead });
  });
});
