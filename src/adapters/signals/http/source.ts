/**
 * The `http` signal source: one GET per sample. It never throws: every failure (timeout, refused,
 * error status, non-JSON, missing or non-numeric value) is an `unknown` reading with a reason a
 * person can read, because unknown is unhealthy, never silently fine.
 */
import type { AdapterDeps, Reading, SampleContext, SignalSource } from '../../../core/ports.js';
import type { SignalQuery } from '../../../core/playbook.js';
import { httpSignalSchema, type HttpSignalConfig, type HttpSignalQuery } from './schema.js';
import { errorText } from '../../../core/errors.js';

/** The URL without credentials, for reasons and descriptions. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

type PathResult = { found: true; value: unknown } | { found: false; missing: string };

/** Walks a dotted path (`stats.errorRate`, `items.0.value`) through objects and arrays. */
export function readPath(root: unknown, path: string): PathResult {
  let cur: unknown = root;
  const seen: string[] = [];
  for (const key of path.split('.')) {
    seen.push(key);
    if (Array.isArray(cur)) {
      const i = /^\d+$/.test(key) ? Number(key) : NaN;
      if (!(i < cur.length)) return { found: false, missing: seen.join('.') };
      cur = cur[i];
    } else if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, key)) {
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return { found: false, missing: seen.join('.') };
    }
  }
  return { found: true, value: cur };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function failureReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection reset (${code})`;
  if (code) return `${cause?.message ?? 'request failed'} (${code})`;
  if (cause?.message) return cause.message;
  return errorText(err);
}

export function describeHttpQuery(q: Pick<HttpSignalQuery, 'url' | 'measure' | 'path'>): string {
  const what = q.measure === 'json' ? (q.path ?? '(no path)') : q.measure;
  return `GET ${displayUrl(q.url)} → ${what}`;
}

export function createHttpSource(config: HttpSignalConfig, deps: AdapterDeps): SignalSource {
  async function sample(query: SignalQuery, ctx: SampleContext): Promise<Reading> {
    const now = ctx.now ?? deps.now;
    const unknown = (reason: string): Reading => ({ status: 'unknown', reason, at: now() });
    const parsed = httpSignalSchema.safeParse(query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return unknown(`invalid http signal: ${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim());
    }
    const q = parsed.data;
    const url = displayUrl(q.url);
    const wanted = q.timeoutMs ?? config.defaultTimeout;
    const timeoutMs = ctx.timeoutMs > 0 ? Math.min(wanted, ctx.timeoutMs) : wanted;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
    const started = performance.now();
    let status: number;
    let text: string;
    try {
      const res = await fetch(q.url, { method: 'GET', headers: { accept: 'application/json', ...q.headers }, signal, redirect: 'follow' });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) return unknown(`GET ${url} timed out after ${timeoutMs} ms`);
      if (ctx.signal?.aborted) return unknown(`GET ${url} was cancelled`);
      return unknown(`GET ${url} failed: ${failureReason(err)}`);
    }
    const elapsedMs = Math.round((performance.now() - started) * 10) / 10;
    if (q.measure === 'status') return { status: 'ok', value: status, at: now() };
    if (q.measure === 'latency') return { status: 'ok', value: elapsedMs, at: now() };

    if (status < 200 || status > 299) return unknown(`GET ${url} answered HTTP ${status}`);
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      const preview = text.trim().slice(0, 60);
      return unknown(`GET ${url} did not return JSON${preview ? ` (body starts "${preview}")` : ' (empty body)'}`);
    }
    const path = q.path ?? '';
    const hit = readPath(body, path);
    if (!hit.found) return unknown(hit.missing === path ? `path ${path} is missing from the response` : `path ${path} is missing from the response (no ${hit.missing})`);
    const value = hit.value;
    if (value === null) return unknown(`path ${path} is null`);
    if (typeof value !== 'number') return unknown(`path ${path} is ${kindOf(value)}, not a number`);
    if (!Number.isFinite(value)) return unknown(`path ${path} is ${value}, not a finite number`);
    return { status: 'ok', value, at: now() };
  }

  return {
    kind: 'http',
    schema: httpSignalSchema,
    async sample(query, ctx) {
      try {
        return await sample(query, ctx);
      } catch (err) {
        // Belt and braces: the port promises sample() never throws.
        return { status: 'unknown', reason: `http signal failed: ${errorText(err)}`, at: (ctx.now ?? deps.now)() };
      }
    },
    describe(query) {
      const q = query as Partial<HttpSignalQuery>;
      return describeHttpQuery({ url: String(q.url ?? '(no url)'), measure: q.measure ?? 'json', path: q.path });
    },
  };
}
