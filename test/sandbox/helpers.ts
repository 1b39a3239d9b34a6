import type { StatsSnapshot } from '../../src/sandbox/traffic-stats.js';
import { readdirSync, readFileSync } from 'node:fs';

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

export async function http<T = unknown>(url: string, init: { method?: string; body?: unknown } = {}): Promise<JsonResponse<T>> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: body as T };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 5_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** True while the pid names a live (not zombie) process. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface TargetRow {
  id: string;
  service: string;
  replica: number;
  pid: number | null;
  port: number | null;
  up: boolean;
}

export interface FaultRow {
  id: string;
  experimentId: string;
  handleId: string;
  type: string;
  targets: string[];
  params: Record<string, unknown>;
  appliedAt: number;
  expiresAt: number;
}

export type StatsRow = StatsSnapshot;

let seq = 0;
export function faultBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  seq += 1;
  return {
    experimentId: `exp-${seq}`,
    handleId: `h-${seq}-${Math.random().toString(16).slice(2, 8)}`,
    type: 'http-error',
    targets: ['checkout-0'],
    params: {},
    expiresAt: Date.now() + 30_000,
    ...overrides,
  };
}

/** Live (non-zombie) child pids of a process, from /proc. */
export function childPids(pid: number = process.pid): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const p of text.split(/\s+/).filter(Boolean)) if (pidAlive(Number(p))) out.push(Number(p));
    } catch {
      // the task ended while we read
    }
  }
  return out;
}
