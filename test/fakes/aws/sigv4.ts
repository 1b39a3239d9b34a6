import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a signed request's Authorization header says about who signed it, where and for what. */
export interface SignedBy {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

export function parseAuthorization(header: string | undefined): SignedBy | null {
  const m = header ? AUTH.exec(header.trim()) : null;
  if (!m) return null;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services sign the path as sent, encoded once more, segment by segment. */
function canonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => encode(segment))
    .join('/');
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  const pairs = rawQuery
    .split('&')
    .filter(Boolean)
    .map((kv) => {
      const i = kv.indexOf('=');
      const k = decodeURIComponent((i < 0 ? kv : kv.slice(0, i)).replace(/\+/g, '%20'));
      const v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, '%20'));
      return [encode(k), encode(v)] as const;
    });
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/**
 * Recomputes the SigV4 signature of a received request from its method, raw path and query, the
 * signed headers and the body, and compares it with the one sent. Null when it matches, else why not.
 */
export function verifySigV4(
  req: { method: string; rawPath: string; rawQuery: string; headers: Record<string, string | string[] | undefined>; body: Buffer },
  secretFor: (accessKeyId: string) => string | undefined,
): { ok: true; signedBy: SignedBy } | { ok: false; code: string; message: string } {
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const signedBy = parseAuthorization(header('authorization'));
  if (!signedBy) return { ok: false, code: 'MissingAuthenticationToken', message: 'Request is missing a valid SigV4 Authorization header' };
  const secret = secretFor(signedBy.accessKeyId);
  if (!secret) return { ok: false, code: 'UnrecognizedClientException', message: `The security token included in the request is invalid (unknown access key ${signedBy.accessKeyId})` };
  const amzDate = header('x-amz-date');
  if (!amzDate || !amzDate.startsWith(signedBy.date)) return { ok: false, code: 'IncompleteSignature', message: 'X-Amz-Date is missing or does not match the credential scope' };
  if (!signedBy.signedHeaders.includes('host')) return { ok: false, code: 'IncompleteSignature', message: 'the host header must be signed' };
  const canonicalHeaders = signedBy.signedHeaders.map((h) => `${h}:${(header(h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = header('x-amz-content-sha256') ?? sha256(req.body);
  const canonicalRequest = [req.method, canonicalPath(req.rawPath || '/'), canonicalQuery(req.rawQuery), canonicalHeaders, signedBy.signedHeaders.join(';'), payloadHash].join('\n');
  const scope = `${signedBy.date}/${signedBy.region}/${signedBy.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, signedBy.date), signedBy.region), signedBy.service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signedBy.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided' };
  }
  return { ok: true, signedBy };
}
