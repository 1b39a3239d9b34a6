import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { SlackFiles, type StoredFile } from './slack-files.js';
import { SlackWorkspace, TEAM_ID, type SlackAnswer, type StoredMessage } from './slack-workspace.js';

export interface SlackCall {
  method: string;
  params: Record<string, unknown>;
  token: string | undefined;
  at: number;
  outcome: 'ok' | 'error' | 'rate_limited' | 'down';
}

export interface SlackResponsePost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

interface Waiter<T> {
  pred: (v: T) => boolean;
  resolve: (v: T) => void;
}

/** Values that are free text even when they look like JSON; every other `[…]`/`{…}` value is decoded. */
const TEXT_PARAMS = new Set(['text', 'markdown_text', 'title', 'alt_text', 'filename', 'initial_comment']);

/** Parses a body the way Slack does: urlencoded (nested values arrive JSON-encoded) or JSON. */
export function parseSlackBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    if (raw.trim() === '') return {};
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  return decodeForm(new URLSearchParams(raw));
}

function decodeForm(form: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of form) {
    const trimmed = value.trim();
    if (!TEXT_PARAMS.has(key) && (trimmed.startsWith('[') || trimmed.startsWith('{'))) {
      try {
        out[key] = JSON.parse(trimmed);
        continue;
      } catch {
        // Not JSON after all: keep the string, as Slack would see it.
      }
    }
    out[key] = value;
  }
  return out;
}

/** The bot scopes of deploy/slack-app-manifest.yaml: what `missing_scope` answers say the token has. */
const BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'usergroups:read', 'files:write', 'im:write', 'users:read', 'users:read.email', 'channels:history', 'groups:history'];

/** The scope a method needs for this conversation, where the stand-in checks one (channels C…/names, private G…, DMs D…). */
function scopeNeeded(method: string, params: Record<string, unknown>): string | undefined {
  if (method !== 'conversations.history' && method !== 'conversations.replies') return undefined;
  const channel = typeof params.channel === 'string' ? params.channel : '';
  return channel.startsWith('G') ? 'groups:history' : channel.startsWith('D') ? 'im:history' : 'channels:history';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function waitUntil<T>(existing: T | undefined, waiters: Set<Waiter<T>>, pred: (v: T) => boolean, timeoutMs: number, what: () => string): Promise<T> {
  if (existing !== undefined) return Promise.resolve(existing);
  return new Promise<T>((resolve, reject) => {
    const waiter: Waiter<T> = {
      pred,
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
    };
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`));
    }, timeoutMs);
    waiters.add(waiter);
  });
}

function settle<T>(waiters: Set<Waiter<T>>, value: T): void {
  for (const w of [...waiters]) {
    if (w.pred(value)) {
      waiters.delete(w);
      w.resolve(value);
    }
  }
}

/**
 * A Slack Web API stand-in on 127.0.0.1: answers the methods Faultline uses with Slack's shapes, records every
 * call (refused ones too), keeps message state so tests can assert 'one status message updated in place', and
 * injects platform errors, 429 rate limits and outages. POSTs to `responseUrl(id)` are recorded in `responses`.
 */
export class SlackApiStandIn {
  readonly calls: SlackCall[] = [];
  readonly responses: SlackResponsePost[] = [];
  private readonly workspace = new SlackWorkspace();
  private readonly files: SlackFiles;
  private readonly failures = new Map<string, string[]>();
  private readonly rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  private readonly callWaiters = new Set<Waiter<SlackCall>>();
  private readonly responseWaiters = new Set<Waiter<SlackResponsePost>>();
  private down = false;
  /** Bot scopes the token lacks (see revokeScope). */
  private readonly revoked = new Set<string>();
  private readonly holds = new Map<string, Promise<void>>();
  /** Web API calls that reached the stand-in while a `hold` kept them unanswered, in order. */
  readonly heldCalls: Array<{ method: string; params: Record<string, unknown> }> = [];
  /** People `users.lookupByEmail` finds, by lower-cased address (see setUser). */
  private readonly emails = new Map<string, { id: string; name: string; displayName?: string; realName?: string; email: string; deleted: boolean }>();

  private constructor(
    private readonly server: Server,
    private readonly port: number,
  ) {
    this.files = new SlackFiles((id) => `http://127.0.0.1:${this.port}/upload/v1/${encodeURIComponent(id)}`);
  }

  static async start(opts: { port?: number } = {}): Promise<SlackApiStandIn> {
    let standIn: SlackApiStandIn | undefined;
    const server = createServer((req, res) => {
      if (!standIn) return sendJson(res, 503, { ok: false, error: 'starting' });
      standIn.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'stand_in_failure', detail: String(err) });
      });
    });
    const port = await listenOn(server, opts.port ?? 0, '127.0.0.1');
    standIn = new SlackApiStandIn(server, port);
    return standIn;
  }

  /** Base URL with trailing slash: Bolt `clientOptions.slackApiUrl` / WebClient `slackApiUrl`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  responseUrl(id: string): string {
    return `http://127.0.0.1:${this.port}/response/${encodeURIComponent(id)}`;
  }

  callsTo(method: string, outcome?: SlackCall['outcome']): SlackCall[] {
    return this.calls.filter((c) => c.method === method && (outcome === undefined || c.outcome === outcome));
  }

  waitFor(pred: (c: SlackCall) => boolean, timeoutMs = 2000): Promise<SlackCall> {
    const what = () => `a matching Slack API call (seen: ${this.calls.map((c) => `${c.method}:${c.outcome}`).join(', ') || 'none'})`;
    return waitUntil(this.calls.find(pred), this.callWaiters, pred, timeoutMs, what);
  }

  waitForResponse(pred: (r: SlackResponsePost) => boolean, timeoutMs = 2000): Promise<SlackResponsePost> {
    const what = () => `a matching response_url POST (seen: ${this.responses.map((r) => r.id).join(', ') || 'none'})`;
    return waitUntil(this.responses.find(pred), this.responseWaiters, pred, timeoutMs, what);
  }

  /** Current content of a message after postMessage/update; `updates` counts chat.update calls. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.workspace.message(channel, ts);
  }

  messagesIn(channel: string): StoredMessage[] {
    return this.workspace.messagesIn(channel);
  }

  /** Every Home tab published with views.publish, in order, with the view JSON as sent. */
  readonly homes: Array<{ user: string; view: Record<string, unknown>; at: number }> = [];

  /** The Home tab `user` sees now (the last one published for them). */
  home(user: string): Record<string, unknown> | undefined {
    return this.homes.filter((h) => h.user === user).at(-1)?.view;
  }

  /** views.publish as Slack checks it: a user id and a `home` view of at most 100 blocks. */
  private publishHome(params: Record<string, unknown>): SlackAnswer {
    const user = params.user_id;
    const view = params.view as Record<string, unknown> | undefined;
    if (typeof user !== 'string' || user === '') return { ok: false, error: 'invalid_arguments' };
    if (!view || typeof view !== 'object' || view.type !== 'home' || !Array.isArray(view.blocks)) return { ok: false, error: 'invalid_arguments' };
    if (view.blocks.length > 100) return { ok: false, error: 'invalid_blocks' };
    this.homes.push({ user, view, at: Date.now() });
    return { ok: true, view: { id: `V${this.homes.length.toString().padStart(8, '0')}`, type: 'home', blocks: view.blocks } };
  }

  /** Every file started with files.getUploadURLExternal, with the bytes that reached its upload URL. */
  uploadedFiles(): StoredFile[] {
    return this.files.all();
  }

  /** The next `times` calls to `method` answer HTTP 200 `{ ok: false, error }`. */
  failNext(method: string, error: string, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(error);
    this.failures.set(method, queue);
  }

  /** The next `times` calls to `method` (or to any method, with '*') answer 429 with `Retry-After`. */
  rateLimit(method: string, opts: { times: number; retryAfterSeconds: number }): void {
    this.rateLimits.set(method, { ...opts });
  }

  /**
   * Calls to `method` (or to any Web API method, with '*') wait, unanswered, until the returned release is
   * called; then they are answered as usual. A promise the test controls, for "X happens before Slack answers".
   */
  hold(method: string): () => void {
    let release!: () => void;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /**
   * A person writes in `channel` (a name such as `#oncall` or an id, as the bot posts there), in the
   * thread of `threadTs` if given (`broadcast`: also sent to the channel). Returns the message's ts.
   * conversations.history and conversations.replies read it back beside the bot's own messages.
   */
  say(channel: string, user: string, text: string, opts: { threadTs?: string; broadcast?: boolean } = {}): string {
    return this.workspace.say(channel, user, text, opts);
  }

  /** From now on a page of conversations.history / .replies holds at most `n` messages (Slack may answer fewer than `limit`). */
  setPageCap(n: number): void {
    this.workspace.setPageCap(n);
  }

  /**
   * The bot token lacks `scope` (e.g. `channels:history`): the methods that need it answer `missing_scope`
   * with `needed` and `provided`, as Slack does; `revoked = false` gives it back.
   */
  revokeScope(scope: string, revoked = true): void {
    if (revoked) this.revoked.add(scope);
    else this.revoked.delete(scope);
  }

  /** While down, every Web API call answers HTTP 503. */
  setDown(down: boolean): void {
    this.down = down;
  }

  setUsergroup(groupId: string, users: string[] | { error: string }): void {
    this.workspace.setUsergroup(groupId, users);
  }

  /**
   * A person `users.info` knows; with `email`, `users.lookupByEmail` finds them by it too (any case),
   * answering `deleted: true` for a `deleted` one; any other address is `users_not_found`.
   */
  setUser(id: string, user: { name: string; displayName?: string; realName?: string; email?: string; deleted?: boolean }): void {
    const { email, deleted, ...profile } = user;
    this.workspace.setUser(id, profile);
    for (const [address, known] of this.emails) if (known.id === id) this.emails.delete(address);
    if (email !== undefined) this.emails.set(email.toLowerCase(), { id, ...profile, email, deleted: deleted ?? false });
  }

  /** users.lookupByEmail as Slack answers it (docs.slack.dev/reference/methods/users.lookupByEmail). */
  private lookupByEmail(params: Record<string, unknown>): SlackAnswer {
    const email = typeof params.email === 'string' ? params.email.trim() : '';
    if (email === '') return { ok: false, error: 'invalid_arguments' };
    const u = this.emails.get(email.toLowerCase());
    if (!u) return { ok: false, error: 'users_not_found' };
    const real = u.realName ?? u.name;
    const profile = { display_name: u.displayName ?? '', real_name: real, display_name_normalized: u.displayName ?? '', real_name_normalized: real, email: u.email };
    return { ok: true, user: { id: u.id, team_id: TEAM_ID, name: u.name, deleted: u.deleted, real_name: real, tz: 'Europe/London', is_bot: false, profile } };
  }

  setNotInChannel(channel: string, outside = true): void {
    this.workspace.setNotInChannel(channel, outside);
  }

  /** The messages the bot sent `user` directly. */
  directMessagesTo(user: string): StoredMessage[] {
    return this.workspace.messagesIn(this.workspace.imChannelOf(user));
  }

  setSocketUrl(url: string): void {
    this.workspace.setSocketUrl(url);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const bytes = await readBody(req);
    if (url.pathname.startsWith('/upload/v1/')) return this.handleUpload(req, res, url, bytes);
    const raw = bytes.toString('utf8');
    if (url.pathname.startsWith('/response/')) return this.handleResponseUrl(req, res, url, raw);
    if (!url.pathname.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: 'not_found' });

    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    let params: Record<string, unknown>;
    try {
      params = { ...decodeForm(url.searchParams), ...parseSlackBody(raw, req.headers['content-type']) };
    } catch {
      return this.answer(res, { method, params: {}, token: undefined }, { ok: false, error: 'invalid_json' });
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    const token = bearer ?? (typeof params.token === 'string' && params.token !== '' ? params.token : undefined);
    delete params.token;
    const call = { method, params, token };
    const held = this.holds.get(method) ?? this.holds.get('*');
    if (held) {
      this.heldCalls.push({ method, params });
      await held;
    }

    if (this.down) {
      this.record(call, 'down');
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Service Unavailable');
      return;
    }
    const limit = this.takeRateLimit(method);
    if (limit !== undefined) {
      this.record(call, 'rate_limited');
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit) });
    }
    if (token === undefined) return this.answer(res, call, { ok: false, error: 'not_authed' });
    const injected = this.failures.get(method)?.shift();
    if (injected !== undefined) return this.answer(res, call, { ok: false, error: injected });
    const needed = scopeNeeded(method, params);
    if (needed !== undefined && this.revoked.has(needed)) return this.answer(res, call, { ok: false, error: 'missing_scope', needed, provided: BOT_SCOPES.filter((s) => !this.revoked.has(s)).join(',') });
    const answer = (method === 'views.publish' ? this.publishHome(params) : undefined) ?? (method === 'users.lookupByEmail' ? this.lookupByEmail(params) : undefined) ?? this.files.answer(method, params) ?? this.workspace.answer(method, params, token) ?? { ok: false, error: 'unknown_method' };
    return this.answer(res, call, answer);
  }

  /** The upload URL handed out by files.getUploadURLExternal: no token needed, as with Slack's pre-signed URLs. */
  private async handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, bytes: Buffer): Promise<void> {
    const id = decodeURIComponent(url.pathname.slice('/upload/v1/'.length));
    const { status, body } = await this.files.receive(id, bytes, req.headers['content-type']);
    this.record({ method: 'upload', params: { file_id: id, bytes: bytes.length }, token: undefined }, status === 200 ? 'ok' : 'error');
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  }

  private handleResponseUrl(req: IncomingMessage, res: ServerResponse, url: URL, raw: string): void {
    const id = decodeURIComponent(url.pathname.slice('/response/'.length));
    let body: Record<string, unknown>;
    try {
      body = parseSlackBody(raw, req.headers['content-type']);
    } catch {
      return sendJson(res, 400, { ok: false, error: 'invalid_json' });
    }
    const post = { id, body, at: Date.now() };
    this.responses.push(post);
    settle(this.responseWaiters, post);
    sendJson(res, 200, { ok: true });
  }

  private takeRateLimit(method: string): number | undefined {
    for (const key of [method, '*']) {
      const rule = this.rateLimits.get(key);
      if (rule && rule.times > 0) {
        rule.times -= 1;
        return rule.retryAfterSeconds;
      }
    }
    return undefined;
  }

  private answer(res: ServerResponse, call: Omit<SlackCall, 'at' | 'outcome'>, answer: SlackAnswer): void {
    this.record(call, answer.ok ? 'ok' : 'error');
    sendJson(res, 200, answer);
  }

  private record(call: Omit<SlackCall, 'at' | 'outcome'>, outcome: SlackCall['outcome']): void {
    const full: SlackCall = { ...call, at: Date.now(), outcome };
    this.calls.push(full);
    settle(this.callWaiters, full);
  }
}
