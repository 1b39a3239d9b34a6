/**
 * The two Query protocols as the stand-in speaks them: form-encoded requests in, XML out.
 * EC2 (`ec2` protocol) flattens lists as `Name.N` and answers `<XResponse><requestId>`; Auto Scaling
 * (`awsQuery`) nests them as `Name.member.N` and answers `<XResponse><XResult>…<ResponseMetadata>`.
 */
import type { AwsResponse } from './aws-standin.js';

export const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const AUTOSCALING_NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** `<name>escaped text</name>`; nothing at all when the value is undefined. */
export function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${esc(String(value))}</${name}>`;
}

/** The request's form parameters, with helpers for the Query list encodings. */
export class QueryParams {
  private readonly map: Map<string, string>;

  constructor(body: string) {
    this.map = new Map(new URLSearchParams(body));
  }

  get(name: string): string | undefined {
    return this.map.get(name);
  }

  bool(name: string): boolean {
    return (this.map.get(name) ?? '').toLowerCase() === 'true';
  }

  /** An integer parameter, or undefined; NaN when present but not a number. */
  int(name: string): number | undefined {
    const v = this.map.get(name);
    return v === undefined ? undefined : /^-?\d+$/.test(v) ? Number(v) : NaN;
  }

  /** The scalar list `prefix.1`, `prefix.2`, … (prefix `InstanceId` for EC2, `InstanceIds.member` for awsQuery). */
  list(prefix: string): string[] {
    const out: { i: number; v: string }[] = [];
    const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
    for (const [k, v] of this.map) {
      const m = re.exec(k);
      if (m) out.push({ i: Number(m[1]), v });
    }
    return out.sort((a, b) => a.i - b.i).map((e) => e.v);
  }

  /** The structure list `prefix.N.*`: one view per N, in order, each reading its own members. */
  structs(prefix: string): QueryStruct[] {
    const groups = new Map<number, Map<string, string>>();
    const head = `${prefix}.`;
    for (const [k, v] of this.map) {
      if (!k.startsWith(head)) continue;
      const rest = k.slice(head.length);
      const dot = rest.indexOf('.');
      if (dot < 0) continue;
      const i = Number(rest.slice(0, dot));
      if (!Number.isInteger(i)) continue;
      let g = groups.get(i);
      if (!g) groups.set(i, (g = new Map()));
      g.set(rest.slice(dot + 1), v);
    }
    return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => new QueryStruct(g));
  }
}

export class QueryStruct {
  constructor(private readonly map: Map<string, string>) {}

  get(name: string): string | undefined {
    return this.map.get(name);
  }

  list(prefix: string): string[] {
    const out: { i: number; v: string }[] = [];
    const head = `${prefix}.`;
    for (const [k, v] of this.map) {
      if (!k.startsWith(head)) continue;
      const i = Number(k.slice(head.length));
      if (Number.isInteger(i)) out.push({ i, v });
    }
    return out.sort((a, b) => a.i - b.i).map((e) => e.v);
  }
}

function xmlResponse(status: number, body: string, requestId: string): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

/** An EC2 answer: `<ActionResponse xmlns=…><requestId>…</requestId>…</ActionResponse>`. */
export function ec2Response(action: string, inner: string, requestId: string): AwsResponse {
  return xmlResponse(200, `<${action}Response xmlns="${EC2_NS}"><requestId>${esc(requestId)}</requestId>${inner}</${action}Response>`, requestId);
}

/** An EC2 error: `<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>`. */
export function ec2Error(status: number, code: string, message: string, requestId: string): AwsResponse {
  return xmlResponse(status, `<Response><Errors><Error>${el('Code', code)}${el('Message', message)}</Error></Errors>${el('RequestID', requestId)}</Response>`, requestId);
}

/** An awsQuery answer; `inner` undefined for operations without output (no Result element at all). */
export function queryResponse(action: string, inner: string | undefined, requestId: string): AwsResponse {
  const result = inner === undefined ? '' : `<${action}Result>${inner}</${action}Result>`;
  return xmlResponse(200, `<${action}Response xmlns="${AUTOSCALING_NS}">${result}<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`, requestId);
}

/** An awsQuery error: `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. */
export function queryError(status: number, code: string, message: string, requestId: string): AwsResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return xmlResponse(status, `<ErrorResponse xmlns="${AUTOSCALING_NS}"><Error>${el('Type', type)}${el('Code', code)}${el('Message', message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`, requestId);
}

/** A thrown protocol error; the services turn it into their error shape. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `*` and `?` wildcards, as EC2 and Auto Scaling filter values take them. */
export function globMatcher(patterns: string[]): (v: string | undefined) => boolean {
  const plain = new Set<string>();
  const res: RegExp[] = [];
  for (const p of patterns) {
    if (/[*?]/.test(p)) res.push(new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's'));
    else plain.add(p);
  }
  return (v) => v !== undefined && (plain.has(v) || res.some((r) => r.test(v)));
}

/** Opaque pagination tokens that point into a snapshot of the matching ids (one cursor per page handed out). */
export class Cursors {
  private readonly cursors = new Map<string, { ids: string[]; offset: number; key: string }>();
  private n = 0;

  /** A token for the rest of `ids` from `offset`; `key` ties it to the request's filters. */
  issue(ids: string[], offset: number, key: string): string {
    const token = Buffer.from(`faultline-cursor-${++this.n}-${offset}`).toString('base64');
    this.cursors.set(token, { ids, offset, key });
    return token;
  }

  take(token: string, key: string): { ids: string[]; offset: number } | undefined {
    const c = this.cursors.get(token);
    if (!c || c.key !== key) return undefined;
    return c;
  }
}
