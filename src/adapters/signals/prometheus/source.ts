import { causeText } from '../../../core/errors.js';
import type { SampleContext, AdapterDeps, Reading, SignalSource } from '../../../core/ports.js';
import type { SignalQuery } from '../../../core/playbook.js';
import { prometheusSignalSchema, type PrometheusSignalConfig, type PrometheusSignalQuery } from './schema.js';

interface PromResponse {
  status: 'success' | 'error';
  data?: { resultType: 'vector' | 'scalar' | 'matrix' | 'string'; result: unknown };
  errorType?: string;
  error?: string;
}

function reduce(values: number[], how: PrometheusSignalQuery['reduce']): number {
  switch (how) {
    case 'first':
      return values[0]!;
    case 'min':
      return Math.min(...values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'max':
      return Math.max(...values);
  }
}

/** Prometheus writes sample values as strings ("NaN", "+Inf" included). */
function sampleValues(body: PromResponse): number[] | string {
  const data = body.data;
  if (!data) return 'answer has no data';
  if (data.resultType === 'scalar') return [Number((data.result as [number, string])[1])];
  if (data.resultType === 'vector') return (data.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]));
  return `a ${data.resultType} result; write an instant vector or scalar query`;
}

/**
 * PromQL instant queries. Never throws: HTTP errors, query errors, timeouts, empty results and
 * NaN/Inf values all come back as `unknown` with a reason a person can act on.
 */
export function createPrometheusSource(config: PrometheusSignalConfig, _deps: AdapterDeps): SignalSource {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (config.bearerToken) headers.authorization = `Bearer ${config.bearerToken}`;
  else if (config.basicAuth) headers.authorization = `Basic ${Buffer.from(`${config.basicAuth.username}:${config.basicAuth.password}`).toString('base64')}`;
  const describe = (q: SignalQuery) => `prometheus ${(q as PrometheusSignalQuery).query}`;
  return {
    kind: 'prometheus',
    schema: prometheusSignalSchema,
    describe,
    async sample(raw: SignalQuery, ctx: SampleContext): Promise<Reading> {
      const q = raw as PrometheusSignalQuery;
      const unknown = (reason: string): Reading => ({ status: 'unknown', reason, at: ctx.now() });
      if (!config.url) return unknown('no Prometheus URL configured (set PROMETHEUS_URL)');
      const timeoutMs = Math.min(q.timeoutMs ?? config.defaultTimeout, ctx.timeoutMs);
      const signals = [AbortSignal.timeout(timeoutMs), ...(ctx.signal ? [ctx.signal] : [])];
      const body = new URLSearchParams({ query: q.query, time: (ctx.now() / 1000).toFixed(3), timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s` });
      let res: Response;
      try {
        res = await fetch(new URL('api/v1/query', config.url.endsWith('/') ? config.url : `${config.url}/`), { method: 'POST', headers, body, signal: AbortSignal.any(signals) });
      } catch (err) {
        const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
        return unknown(timedOut ? `Prometheus did not answer within ${timeoutMs} ms` : `Prometheus unreachable: ${causeText(err)}`);
      }
      let parsed: PromResponse;
      try {
        parsed = (await res.json()) as PromResponse;
      } catch {
        return unknown(`Prometheus answered HTTP ${res.status} without JSON`);
      }
      if (parsed.status !== 'success') return unknown(`query failed (${parsed.errorType ?? `HTTP ${res.status}`}): ${parsed.error ?? 'no detail'}`);
      const values = sampleValues(parsed);
      if (typeof values === 'string') return unknown(values);
      if (values.length === 0) return unknown('no data: the query returned an empty result');
      const finite = values.filter((v) => Number.isFinite(v));
      if (finite.length === 0) return unknown(`no usable value: ${values.map(String).join(', ')}`);
      // A NaN series among good ones is still a gap in what we can see: count the reading unknown.
      if (finite.length < values.length) return unknown(`${values.length - finite.length} of ${values.length} series are NaN or infinite`);
      return { status: 'ok', value: reduce(finite, q.reduce), at: ctx.now() };
    },
  };
}
