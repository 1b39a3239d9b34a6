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

export class SlackWorkspace {
  private readonly messages = new Map<string, Map<string, StoredMessage>>();
  private readonly views = new Map<string, StoredView>();
  private readonly usergroups = new Map<string, string[] | { error: string }>();
  private readonly users = new Map<string, SlackUser>();
  /** Channels the bot is not a member of: posting there answers `not_in_channel`, as Slack does. */
  private readonly outside = new Set<string>();
  private socketUrl: string | undefined;
  private tsSeq = 0;
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
      case 'apps.connections.open':
        if (!token.startsWith('xapp-')) return fail('not_allowed_token_type');
        if (this.socketUrl === undefined) return fail('socket_url_not_configured_in_stand_in');
        return { ok: true, url: this.socketUrl };
      default:
        return undefined;
    }
  }

  private nextTs(): string {
    const micros = ++this.tsSeq * 100;
    return `${1_700_000_000 + Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
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
    let inChannel = this.messages.get(channel);
    if (!inChannel) this.messages.set(channel, (inChannel = new Map()));
    inChannel.set(m.ts, m);
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
