/**
 * The state behind the Slack Web API stand-in (messages, modals, user groups) and the answers of the
 * methods it knows, shaped as in Slack's method reference (docs.slack.dev/reference/methods).
 * The HTTP layer (auth, fault injection, recording) lives in `slack-api.ts`.
 */

export const TEAM_ID = 'T0001';
export const APP_ID = 'A0001';
export const BOT_USER_ID = 'UBOT';
export const BOT_ID = 'BBOT';

export type SlackAnswer = { ok: true; [key: string]: unknown } | { ok: false; error: string; [key: string]: unknown };

export interface StoredMessage {
  ts: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  updates: number;
  /** The person who wrote it (`say`); absent on the bot's own messages. */
  user?: string;
  /** `thread_broadcast` for a reply also sent to the channel. */
  subtype?: string;
}

interface SlackUser {
  id: string;
  name: string;
  displayName?: string;
  realName?: string;
}

interface StoredView {
  id: string;
  view: Record<string, unknown>;
  hash: string;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function arr(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

const fail = (error: string): SlackAnswer => ({ ok: false, error });

/** A Slack `ts` ("1700000000.000100") in microseconds. */
function tsMicros(ts: string): number {
  const [sec = '0', frac = ''] = ts.split('.');
  return Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0').slice(0, 6));
}

/** `oldest` (default 0) and `latest` (default now), each excluded unless `inclusive`; `invalid_ts_*` when not a timestamp. */
function timeWindow(p: Record<string, unknown>): { within: (ts: string) => boolean } | SlackAnswer {
  const stamp = /^\d+(\.\d+)?$/;
  const oldest = str(p.oldest);
  const latest = str(p.latest);
  if (oldest !== undefined && !stamp.test(oldest)) return fail('invalid_ts_oldest');
  if (latest !== undefined && !stamp.test(latest)) return fail('invalid_ts_latest');
  const inclusive = p.inclusive === true || p.inclusive === 'true' || p.inclusive === '1' || p.inclusive === 1;
  const from = oldest === undefined ? 0 : tsMicros(oldest);
  const to = latest === undefined ? Infinity : tsMicros(latest);
  return { within: (ts) => {
    const at = tsMicros(ts);
    return inclusive ? at >= from && at <= to : at > from && at < to;
  } };
}

export class SlackWorkspace {
  private readonly messages = new Map<string, Map<string, StoredMessage>>();
  private readonly views = new Map<string, StoredView>();
  private readonly usergroups = new Map<string, string[] | { error: string }>();
  private readonly users = new Map<string, SlackUser>();
  /** Channels the bot is not a member of: posting there answers `not_in_channel`, as Slack does. */
  private readonly outside = new Set<string>();
  private socketUrl: string | undefined;
  /** The last `ts` handed out, in microseconds: each new one is the clock's, or one more when the clock has not moved. */
  private lastTsMicros = 0;
  /** The most messages one page of conversations.history / conversations.replies holds, whatever `limit` asks. */
  private pageCap = Infinity;
  private viewSeq = 0;

  setUsergroup(groupId: string, users: string[] | { error: string }): void {
    this.usergroups.set(groupId, Array.isArray(users) ? [...users] : { ...users });
  }

  /** A person `users.info` knows; everyone else is `user_not_found`. */
  setUser(id: string, user: { name: string; displayName?: string; realName?: string }): void {
    this.users.set(id, { id, ...user });
  }

  /** The bot leaves (or was never invited to) `channel`. */
  setNotInChannel(channel: string, outside = true): void {
    if (outside) this.outside.add(channel);
    else this.outside.delete(channel);
  }

  /** The id of the direct-message channel between the bot and `user` (what conversations.open answers). */
  imChannelOf(user: string): string {
    return `D${user}`;
  }

  setSocketUrl(url: string): void {
    this.socketUrl = url;
  }

  /**
   * A person writes in `channel` (as given to chat.postMessage: a name such as `#oncall` or an id),
   * in a thread with `threadTs`, also sent to the channel with `broadcast`. Returns the message's ts.
   * What conversations.history and conversations.replies read back, beside the bot's own messages.
   */
  say(channel: string, user: string, text: string, opts: { threadTs?: string; broadcast?: boolean } = {}): string {
    const m: StoredMessage = { ts: this.nextTs(), text, user, updates: 0 };
    if (opts.threadTs !== undefined) m.thread_ts = opts.threadTs;
    if (opts.threadTs !== undefined && opts.broadcast) m.subtype = 'thread_broadcast';
    this.store(channel, m);
    return m.ts;
  }

  /** Slack may answer fewer messages than `limit` asks for: at most `n` a page from now on. */
  setPageCap(n: number): void {
    this.pageCap = Math.max(1, n);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    const m = this.messages.get(channel)?.get(ts);
    return m ? { ...m } : undefined;
  }

  messagesIn(channel: string): StoredMessage[] {
    return [...(this.messages.get(channel)?.values() ?? [])].map((m) => ({ ...m }));
  }

  /** Answers one Web API method; `undefined` means Slack does not know the method. */
  answer(method: string, p: Record<string, unknown>, token: string): SlackAnswer | undefined {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://faultline-test.slack.com/',
          team: 'Faultline Test',
          user: 'faultline',
          team_id: TEAM_ID,
          user_id: BOT_USER_ID,
          bot_id: BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage':
        return this.postMessage(p);
      case 'chat.update':
        return this.update(p);
      case 'chat.postEphemeral':
        return this.postEphemeral(p);
      case 'chat.getPermalink': {
        // As Slack answers: the workspace URL, /archives/<channel>/p<ts without the dot>.
        const channel = String(p.channel ?? '');
        const ts = String(p.message_ts ?? '');
        if (!channel) return fail('channel_not_found');
        if (!this.messages.get(channel)?.has(ts)) return fail('message_not_found');
        return { ok: true, channel, permalink: `https://faultline-test.slack.com/archives/${channel}/p${ts.replace('.', '')}` };
      }
      case 'views.open':
        return this.openView(p);
      case 'views.update':
        return this.updateView(p);
      case 'usergroups.users.list':
        return this.usergroupUsers(p);
      case 'conversations.open':
        return this.openConversation(p);
      case 'users.info':
        return this.userInfo(p);
      case 'conversations.history':
        return this.history(p);
      case 'conversations.replies':
        return this.replies(p);
      case 'apps.connections.open':
        if (!token.startsWith('xapp-')) return fail('not_allowed_token_type');
        if (this.socketUrl === undefined) return fail('socket_url_not_configured_in_stand_in');
        return { ok: true, url: this.socketUrl };
      default:
        return undefined;
    }
  }

  /** As Slack's: the time of the message (seconds.microseconds), unique in the workspace. */
  private nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  private store(channel: string, m: StoredMessage): void {
    let inChannel = this.messages.get(channel);
    if (!inChannel) this.messages.set(channel, (inChannel = new Map()));
    inChannel.set(m.ts, m);
  }

  private botMessage(m: StoredMessage): Record<string, unknown> {
    return {
      type: 'message',
      user: BOT_USER_ID,
      bot_id: BOT_ID,
      app_id: APP_ID,
      team: TEAM_ID,
      text: m.text ?? '',
      ...(m.blocks ? { blocks: m.blocks } : {}),
      ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ts: m.ts,
    };
  }

  private postMessage(p: Record<string, unknown>): SlackAnswer {
    const channel = str(p.channel);
    if (!channel) return fail('channel_not_found');
    if (this.outside.has(channel)) return fail('not_in_channel');
    const text = str(p.text);
    const blocks = arr(p.blocks);
    if (text === undefined && !blocks?.length && !arr(p.attachments)?.length) return fail('no_text');
    const threadTs = str(p.thread_ts);
    const m: StoredMessage = { ts: this.nextTs(), updates: 0 };
    if (text !== undefined) m.text = text;
    if (blocks) m.blocks = blocks;
    if (threadTs !== undefined) m.thread_ts = threadTs;
    this.store(channel, m);
    return { ok: true, channel, ts: m.ts, message: this.botMessage(m) };
  }

  private update(p: Record<string, unknown>): SlackAnswer {
    const channel = str(p.channel);
    const ts = str(p.ts);
    if (!channel) return fail('channel_not_found');
    const m = ts === undefined ? undefined : this.messages.get(channel)?.get(ts);
    if (!m) return fail('message_not_found');
    const text = str(p.text);
    const blocks = arr(p.blocks);
    if (text === undefined && blocks === undefined && arr(p.attachments) === undefined) return fail('no_text');
    if (text !== undefined) m.text = text;
    // Slack keeps the previous blocks when `blocks` is omitted; an empty array removes them.
    if (blocks !== undefined) {
      if (blocks.length) m.blocks = blocks;
      else delete m.blocks;
    }
    m.updates += 1;
    return { ok: true, channel, ts: m.ts, text: m.text ?? '', message: this.botMessage(m) };
  }

  private postEphemeral(p: Record<string, unknown>): SlackAnswer {
    if (!str(p.channel)) return fail('channel_not_found');
    if (!str(p.user)) return fail('user_not_in_channel');
    if (str(p.text) === undefined && !arr(p.blocks)?.length && !arr(p.attachments)?.length) return fail('no_text');
    return { ok: true, message_ts: this.nextTs() };
  }

  private viewAnswer(stored: StoredView): SlackAnswer {
    const v = stored.view;
    return {
      ok: true,
      view: {
        id: stored.id,
        team_id: TEAM_ID,
        type: v.type ?? 'modal',
        title: v.title,
        blocks: v.blocks ?? [],
        close: v.close ?? null,
        submit: v.submit ?? null,
        private_metadata: v.private_metadata ?? '',
        callback_id: v.callback_id ?? '',
        external_id: v.external_id ?? '',
        state: { values: {} },
        hash: stored.hash,
        clear_on_close: v.clear_on_close ?? false,
        notify_on_close: v.notify_on_close ?? false,
        root_view_id: stored.id,
        previous_view_id: null,
        app_id: APP_ID,
        app_installed_team_id: TEAM_ID,
        bot_id: BOT_ID,
      },
    };
  }

  private openView(p: Record<string, unknown>): SlackAnswer {
    if (!str(p.trigger_id)) return fail('invalid_arguments');
    const view = p.view;
    if (typeof view !== 'object' || view === null || Array.isArray(view)) return fail('invalid_arguments');
    const id = `V${String(++this.viewSeq).padStart(8, '0')}`;
    const stored: StoredView = { id, view: view as Record<string, unknown>, hash: `${this.nextTs()}.${id}` };
    this.views.set(id, stored);
    return this.viewAnswer(stored);
  }

  private updateView(p: Record<string, unknown>): SlackAnswer {
    const view = p.view;
    if (typeof view !== 'object' || view === null || Array.isArray(view)) return fail('invalid_arguments');
    const viewId = str(p.view_id);
    const externalId = str(p.external_id);
    const stored =
      viewId !== undefined
        ? this.views.get(viewId)
        : [...this.views.values()].find((s) => externalId !== undefined && s.view.external_id === externalId);
    if (!stored) return fail('not_found');
    const hash = str(p.hash);
    if (hash !== undefined && hash !== stored.hash) return fail('hash_conflict');
    stored.view = view as Record<string, unknown>;
    stored.hash = `${this.nextTs()}.${stored.id}`;
    return this.viewAnswer(stored);
  }

  /** A message as conversations.history / .replies list it: a person's with `user`, the bot's with `bot_id`; a parent with its thread's counts. */
  private listed(channel: string, m: StoredMessage): Record<string, unknown> {
    const base = m.user !== undefined ? { type: 'message', user: m.user, team: TEAM_ID, text: m.text ?? '', ...(m.subtype ? { subtype: m.subtype } : {}), ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}), ts: m.ts } : this.botMessage(m);
    if (m.thread_ts !== undefined && m.thread_ts !== m.ts) {
      const parent = this.messages.get(channel)?.get(m.thread_ts);
      return { ...base, parent_user_id: parent?.user ?? BOT_USER_ID };
    }
    const replies = this.repliesTo(channel, m.ts);
    if (replies.length === 0) return base;
    const users = [...new Set(replies.map((r) => r.user ?? BOT_USER_ID))];
    return { ...base, thread_ts: m.ts, reply_count: replies.length, reply_users_count: users.length, reply_users: users.slice(0, 5), latest_reply: replies.at(-1)!.ts, is_locked: false, subscribed: false };
  }

  /** Replies in the thread of `ts`, oldest first. */
  private repliesTo(channel: string, ts: string): StoredMessage[] {
    return [...(this.messages.get(channel)?.values() ?? [])].filter((m) => m.thread_ts === ts && m.ts !== ts).sort((a, b) => tsMicros(a.ts) - tsMicros(b.ts));
  }

  /** A channel's messages the bot may read: `not_in_channel` when it is outside, as Slack answers. */
  private readable(p: Record<string, unknown>): { channel: string } | SlackAnswer {
    const channel = str(p.channel);
    if (!channel) return fail('channel_not_found');
    if (this.outside.has(channel)) return fail('not_in_channel');
    return { channel };
  }

  /**
   * conversations.history as Slack answers it (docs.slack.dev/reference/methods/conversations.history):
   * the channel's messages newest first, thread replies left out (but for those also sent to the channel),
   * within `oldest`..`latest` (exclusive unless `inclusive`), `limit` a page (default 100, at most 999)
   * and `cursor` for the next one.
   */
  private history(p: Record<string, unknown>): SlackAnswer {
    const where = this.readable(p);
    if ('ok' in where) return where;
    const window = timeWindow(p);
    if ('ok' in window) return window;
    const all = [...(this.messages.get(where.channel)?.values() ?? [])]
      .filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts || m.subtype === 'thread_broadcast')
      .filter((m) => window.within(m.ts))
      .sort((a, b) => tsMicros(b.ts) - tsMicros(a.ts));
    return this.page(all, p, 100, 999, (m) => this.listed(where.channel, m));
  }

  /**
   * conversations.replies as Slack answers it (docs.slack.dev/reference/methods/conversations.replies):
   * the thread's parent first (on the first page, whatever the window), then its replies oldest first
   * within `oldest`..`latest`; `ts` may name the parent or any reply. A message without replies is a thread of one.
   */
  private replies(p: Record<string, unknown>): SlackAnswer {
    const where = this.readable(p);
    if ('ok' in where) return where;
    const ts = str(p.ts);
    if (!ts) return fail('invalid_arguments');
    const inChannel = this.messages.get(where.channel);
    const named = inChannel?.get(ts);
    if (!named) return fail('thread_not_found');
    const parentTs = named.thread_ts ?? named.ts;
    const parent = inChannel?.get(parentTs);
    if (!parent) return fail('thread_not_found');
    const window = timeWindow(p);
    if ('ok' in window) return window;
    const all = [parent, ...this.repliesTo(where.channel, parentTs).filter((m) => window.within(m.ts))];
    return this.page(all, p, 1000, 1000, (m) => this.listed(where.channel, m));
  }

  /** One page of `all` from `cursor` (Slack's opaque `next_ts:<ts>`, base64), `limit` long. */
  private page(all: StoredMessage[], p: Record<string, unknown>, fallback: number, max: number, show: (m: StoredMessage) => Record<string, unknown>): SlackAnswer {
    const asked = Number(str(p.limit) ?? fallback);
    const limit = Math.min(Number.isFinite(asked) && asked > 0 ? Math.floor(asked) : fallback, max, this.pageCap);
    let start = 0;
    const cursor = str(p.cursor);
    if (cursor !== undefined) {
      const next = /^next_ts:(\d+\.\d{6})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'))?.[1];
      start = next === undefined ? -1 : all.findIndex((m) => m.ts === next);
      if (start < 0) return fail('invalid_cursor');
    }
    const shown = all.slice(start, start + limit);
    const following = all[start + limit];
    return {
      ok: true,
      messages: shown.map(show),
      has_more: following !== undefined,
      pin_count: 0,
      response_metadata: { next_cursor: following ? Buffer.from(`next_ts:${following.ts}`).toString('base64') : '' },
    };
  }

  /** One user (`users`), as a bot token may: the DM channel's id, the same every time. */
  private openConversation(p: Record<string, unknown>): SlackAnswer {
    const users = str(p.users);
    if (!users) return fail('users_list_not_supplied');
    if (users.includes(',')) return fail('not_enough_users'); // a group DM needs more than the stand-in knows
    if (!this.users.has(users)) return fail('user_not_found');
    return { ok: true, channel: { id: this.imChannelOf(users) } };
  }

  private userInfo(p: Record<string, unknown>): SlackAnswer {
    const id = str(p.user);
    if (!id) return fail('user_not_found');
    const u = this.users.get(id);
    if (!u) return fail('user_not_found');
    const real = u.realName ?? u.name;
    return {
      ok: true,
      user: { id: u.id, team_id: TEAM_ID, name: u.name, real_name: real, deleted: false, is_bot: false, profile: { display_name: u.displayName ?? '', real_name: real } },
    };
  }

  private usergroupUsers(p: Record<string, unknown>): SlackAnswer {
    const group = str(p.usergroup);
    if (!group) return fail('invalid_arguments');
    const users = this.usergroups.get(group);
    if (!users) return fail('no_such_subteam');
    if (!Array.isArray(users)) return fail(users.error);
    return { ok: true, users: [...users] };
  }
}
