import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { verifySigV4 } from './sigv4.js';

/** One request as a service handler sees it, after its SigV4 signature was verified. */
export interface AwsRequest {
  /** The SigV4 signing name: ec2, autoscaling, fis, monitoring. */
  service: string;
  region: string;
  accessKeyId: string;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: string;
  /** The operation: a Query `Action`, the end of a JSON `X-Amz-Target`, or `METHOD /path` for REST. */
  action: string;
  requestId: string;
}

export interface AwsResponse {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** A service behind the stand-in: its operations, and how its protocol writes an error. */
export interface AwsService {
  handle(req: AwsRequest): AwsResponse | Promise<AwsResponse>;
  /** An error in this protocol's real shape (Query XML, JSON with __type, REST-JSON with x-amzn-errortype). */
  error(status: number, code: string, message: string, requestId: string): AwsResponse;
}

export interface AwsCall {
  service: string;
  action: string;
  status: number;
  at: number;
  accessKeyId: string;
}

/** How each service says "slow down": EC2 503 RequestLimitExceeded, FIS 429 ThrottlingException, the Query and JSON services 400 Throttling. */
const THROTTLED: Record<string, [number, string]> = {
  ec2: [503, 'RequestLimitExceeded'],
  fis: [429, 'ThrottlingException'],
  autoscaling: [400, 'Throttling'],
  monitoring: [400, 'Throttling'],
};

export const TEST_CREDENTIALS = { accessKeyId: 'AKIAFAULTLINETEST', secretAccessKey: 'faultline-test-secret-key' };

function actionOf(method: string, path: string, headers: Record<string, string>, body: string): string {
  const target = headers['x-amz-target'];
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const action = new URLSearchParams(body).get('Action');
    if (action) return action;
  }
  return `${method} ${path}`;
}

/**
 * AWS as the SDK's clients meet it, on one loopback port: every request must carry a valid SigV4
 * signature by a known key; the credential scope's service picks the handler. Point the SDK at it
 * with `AWS_ENDPOINT_URL` (or a client's `endpoint`).
 */
export class AwsStandIn {
  readonly calls: AwsCall[] = [];
  private readonly services = new Map<string, AwsService>();
  private readonly keys = new Map<string, string>([[TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey]]);
  private readonly throttles: { service: string; action?: string; left: number }[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<AwsStandIn> {
    let standIn: AwsStandIn | undefined;
    const server = createServer((req, res) => {
      void standIn!.serve(req).then(
        (r) => {
          res.writeHead(r.status, { 'content-length': Buffer.byteLength(r.body), ...r.headers });
          res.end(r.body);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    standIn = new AwsStandIn(server, `http://127.0.0.1:${port}`);
    return standIn;
  }

  /** Registers the handler of one service by its signing name. */
  register(service: string, handler: AwsService): void {
    this.services.set(service, handler);
  }

  /** Another key the stand-in accepts (a second role, say). */
  addKey(accessKeyId: string, secretAccessKey: string): void {
    this.keys.set(accessKeyId, secretAccessKey);
  }

  /** The next `n` requests to `service` (and `action`, when given) are refused as throttled, in the service's own error shape. */
  throttleNext(service: string, n: number, action?: string): void {
    this.throttles.push({ service, left: n, ...(action ? { action } : {}) });
  }

  callsTo(service: string, action?: string): AwsCall[] {
    return this.calls.filter((c) => c.service === service && (action === undefined || c.action === action));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage): Promise<AwsResponse> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
    const method = req.method ?? 'GET';
    const body = raw.toString('utf8');
    const requestId = randomUUID();
    const verdict = verifySigV4({ method, rawPath, rawQuery, headers: req.headers, body: raw }, (k) => this.keys.get(k));
    const scopeService = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(headers.authorization ?? '')?.[1] ?? 'unknown';
    const service = this.services.get(scopeService);
    const path = decodeURIComponent(rawPath);
    const action = actionOf(method, path, headers, body);
    const record = (status: number) => this.calls.push({ service: scopeService, action, status, at: Date.now(), accessKeyId: verdict.ok ? verdict.signedBy.accessKeyId : '' });
    if (!service) {
      record(400);
      return { status: 400, headers: { 'content-type': 'text/plain' }, body: `no service "${scopeService}" behind this stand-in` };
    }
    if (!verdict.ok) {
      record(403);
      return service.error(403, verdict.code, verdict.message, requestId);
    }
    const throttle = this.throttles.find((t) => t.left > 0 && t.service === scopeService && (t.action === undefined || t.action === action));
    if (throttle) {
      throttle.left -= 1;
      record(400);
      const [status, code] = THROTTLED[scopeService] ?? [400, 'Throttling'];
      return service.error(status, code, 'Rate exceeded', requestId);
    }
    const res = await service.handle({
      service: scopeService,
      region: verdict.signedBy.region,
      accessKeyId: verdict.signedBy.accessKeyId,
      method,
      path,
      query: new URLSearchParams(rawQuery),
      headers,
      body,
      action,
      requestId,
    });
    record(res.status);
    return res;
  }
}
