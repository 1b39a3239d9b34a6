import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './kube-handlers.js';

/** HTTP plumbing for the Kubernetes API stand-in: bodies, replies, and the failNext/slowNext rule books. */

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** JSON bodies as application/json (never aggregated-discovery or Table media types); strings as text/plain. */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const text = typeof reply.body === 'string';
  res.writeHead(reply.code, {
    'content-type': text ? 'text/plain; charset=utf-8' : 'application/json',
    'cache-control': 'no-cache, private',
    'audit-id': randomBytes(16).toString('hex'),
    ...reply.headers,
  });
  res.end(text ? reply.body : JSON.stringify(reply.body));
}

export interface RequestMatch {
  method?: string;
  /** Matched against the path plus query string. */
  pathIncludes?: string;
}

/** Rules that apply to the next `times` matching requests, oldest rule first. */
export class RuleBook<T> {
  private readonly rules: Array<RequestMatch & { remaining: number; value: T }> = [];

  add(match: RequestMatch, value: T, times: number): void {
    this.rules.push({ ...match, value, remaining: times });
  }

  take(method: string, target: string): T | undefined {
    const rule = this.rules.find((r) => (!r.method || r.method.toUpperCase() === method) && (!r.pathIncludes || target.includes(r.pathIncludes)));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(this.rules.indexOf(rule), 1);
    return rule.value;
  }
}

/** Delays that can all be cut short when the server closes. */
export class Sleeper {
  private readonly sleeping = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => entry.wake(), ms),
        wake: () => {
          clearTimeout(entry.timer);
          this.sleeping.delete(entry);
          resolve();
        },
      };
      this.sleeping.add(entry);
    });
  }

  wakeAll(): void {
    for (const s of [...this.sleeping]) s.wake();
  }

  /** How many delays are running now. */
  get size(): number {
    return this.sleeping.size;
  }
}
