import type { SlackApiStandIn } from '../fakes/slack-api.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { interactionForm, postSigned, slashCommandForm } from '../fakes/slack-signing.js';

export const SECRET = 'test-signing-secret-0123456789abcdef';
export const CHANNEL = 'C0CHAOS';
export const TEAM = 'T0001';

let seq = 0;
export const unique = (): string => `${Date.now()}.${String(++seq).padStart(6, '0')}`;

const userOf = (user: string, team = TEAM) => ({ id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: team });

/** Types `/chaos <text>` as a user into the bot at `events`, signed as Slack signs; the answer goes to the stand-in's response_url. */
export async function slashTo(
  events: string,
  api: SlackApiStandIn,
  text: string,
  user: string,
  opts: { responseId?: string; team?: string; channel?: string } = {},
): Promise<{ status: number; body: string; ms: number; responseId: string }> {
  const responseId = opts.responseId ?? `cmd-${unique()}`;
  const team = opts.team ?? TEAM;
  const form = { ...slashCommandFixture('slash-command.propose'), text, user_id: user, user_name: user.toLowerCase(), channel_id: opts.channel ?? CHANNEL, team_id: team, response_url: api.responseUrl(responseId), trigger_id: `trig.${unique()}` };
  const res = await postSigned(events, slashCommandForm(form), { secret: SECRET });
  return { ...res, responseId };
}

/** Clicks a card button as a user, into the bot at `events`. */
export async function clickTo(
  events: string,
  api: SlackApiStandIn,
  actionId: string,
  value: string,
  user: string,
  opts: { retryNum?: number; payload?: Record<string, unknown>; team?: string; channel?: string } = {},
): Promise<{ status: number; body: string; ms: number; responseId: string; payload: Record<string, unknown> }> {
  const responseId = `act-${unique()}`;
  const base = interactionFixture('block-actions.approve');
  const action = { ...(base.actions as Array<Record<string, unknown>>)[0], action_id: actionId, value, action_ts: unique() };
  const where = opts.channel ? { channel: { id: opts.channel, name: opts.channel.startsWith('D') ? 'directmessage' : opts.channel }, container: { ...(base.container as object), channel_id: opts.channel } } : {};
  const payload = opts.payload ?? { ...base, ...where, user: userOf(user, opts.team), actions: [action], response_url: api.responseUrl(responseId), trigger_id: `trig.${unique()}` };
  const res = await postSigned(events, interactionForm(payload), { secret: SECRET, ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum, retryReason: 'http_timeout' } : {}) });
  return { ...res, responseId, payload };
}

/**
 * Uses the "Add to game day" message shortcut as a user on a message in `channel` (default CHANNEL):
 * Slack's `message_action` payload, signed, with the message as Slack sends it (`thread_ts` on a reply).
 */
export async function shortcutTo(
  events: string,
  api: SlackApiStandIn,
  user: string,
  message: { ts: string; thread_ts?: string; text?: string; user?: string; files?: unknown[] },
  opts: { channel?: string; team?: string; /** Another response_url (one that fails, say). */ responseUrl?: string } = {},
): Promise<{ status: number; body: string; ms: number; responseId: string; payload: Record<string, unknown> }> {
  const responseId = `sc-${unique()}`;
  const base = interactionFixture('message-action.add-to-gameday');
  const { thread_ts: _thread, text: _text, user: _author, ...rest } = base.message as Record<string, unknown>;
  const payload = {
    ...base,
    user: userOf(user, opts.team),
    channel: { id: opts.channel ?? CHANNEL, name: 'chaos' },
    message_ts: message.ts,
    message: { ...rest, blocks: [], ...message },
    action_ts: unique(),
    trigger_id: `trig.${unique()}`,
    response_url: opts.responseUrl ?? api.responseUrl(responseId),
  };
  const res = await postSigned(events, interactionForm(payload), { secret: SECRET });
  return { ...res, responseId, payload };
}
