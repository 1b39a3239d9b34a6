import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Actor } from '../../../core/actor.js';
import { errorMessage, type Message } from '../../../core/message.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { messageToBlocks } from './blocks.js';

/** The message shortcut's callback id, as in deploy/slack-app-manifest.yaml. */
export const ADD_TO_GAMEDAY_CALLBACK_ID = 'add_to_gameday';

/** How much of a message goes into the note: the record quotes it, it does not archive the channel. */
export const QUOTE_MAX_CHARS = 500;

const Ts = z.string().regex(/^\d+\.\d+$/, 'a Slack message ts');

/** The parts of Slack's `message_action` payload the shortcut reads (the rest passes unread). */
export const MessageShortcutPayload = z.object({
  callback_id: z.literal(ADD_TO_GAMEDAY_CALLBACK_ID),
  user: z.object({ id: z.string().min(1), team_id: z.string().optional(), username: z.string().optional(), name: z.string().optional() }),
  team: z.object({ id: z.string() }).nullish(),
  channel: z.object({ id: z.string().min(1) }),
  message: z.object({
    ts: Ts,
    thread_ts: Ts.optional(),
    text: z.string().optional(),
    /** Absent on a bot's message, which has `bot_id` (and often `username`) instead. */
    user: z.string().optional(),
    username: z.string().optional(),
    bot_id: z.string().optional(),
  }),
});
export type MessageShortcutPayload = z.infer<typeof MessageShortcutPayload>;

/** Slack escapes these three in a message's text; the note keeps the text as people read it. */
const SLACK_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&' };

/**
 * The message text as one quotable line: Slack's entities decoded, every run of white space (newlines
 * too) one space, ASCII quotes made typographic (the command line would read `"…"` and `'…'` as its
 * own quoting and drop them), cut at `QUOTE_MAX_CHARS` code points with "…".
 */
export function quotableText(text: string): string {
  const plain = text
    .replace(/&(lt|gt|amp);/g, (e) => SLACK_ENTITIES[e] ?? e)
    .replace(/"/g, '”')
    .replace(/'/g, '’')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(plain);
  return chars.length <= QUOTE_MAX_CHARS ? plain : `${chars.slice(0, QUOTE_MAX_CHARS - 1).join('').trimEnd()}…`;
}

/**
 * The command a shortcut on `message` runs: a note on the game day of the message's thread (a reply's
 * `thread_ts`, or the message's own ts when it starts the thread, e.g. the card), quoting the message
 * and naming its author. Undefined for a message without text (a file only): there is nothing to quote.
 */
export function shortcutNoteLine(message: MessageShortcutPayload['message']): string | undefined {
  const quote = quotableText(message.text ?? '');
  if (quote === '') return undefined;
  const author = message.user ? `<@${message.user}>` : (message.username ?? message.bot_id ?? 'a bot');
  return `/chaos gameday note thread:${message.thread_ts ?? message.ts} “${quote}” (message by ${author})`;
}

export interface MessageShortcutDeps {
  /** The handlers' run: the actor's name looked up, the command run here or on the leader. */
  run: (line: string, actor: Actor, channel: string) => Promise<Message>;
  /** Work after the ack (the handlers' queue): a note is never urgent. */
  later: (work: () => Promise<void>) => void;
  log: AdapterLogger;
}

/**
 * "Add to game day" in a message's menu: the message becomes a note on the game day whose thread it is
 * in. It goes through the same command line as typing `/chaos gameday note thread:<ts> …`, so roles and
 * refusals are the command's. Only the person who clicked hears the answer, success or refusal.
 */
export function registerMessageShortcut(app: App, deps: MessageShortcutDeps): void {
  const { log } = deps;
  app.shortcut({ callback_id: ADD_TO_GAMEDAY_CALLBACK_ID, type: 'message_action' }, async ({ shortcut, ack, respond, client }) => {
    await ack();
    const parsed = MessageShortcutPayload.safeParse(shortcut);
    if (!parsed.success) {
      log.warn({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'message shortcut payload not understood');
      return;
    }
    const p = parsed.data;
    const actor: Actor = { id: p.user.id, team: p.user.team_id ?? p.team?.id ?? undefined, name: p.user.username ?? p.user.name };
    const channel = p.channel.id;
    const answer = async (reply: Message) => {
      const { text, blocks } = messageToBlocks(reply);
      // response_url needs no channel membership; chat.postEphemeral is the way when it has expired.
      await respond({ response_type: 'ephemeral', replace_original: false, text, blocks }).catch(async (err: unknown) => {
        log.warn({ user: actor.id, err }, 'shortcut answer by response_url failed; posting it ephemerally');
        await client.chat.postEphemeral({ channel, user: actor.id, text, blocks });
      });
    };
    const line = shortcutNoteLine(p.message);
    deps.later(async () => {
      if (!line) {
        await answer(errorMessage('command_usage', 'That message has no text to add', ['Only a message with text becomes a note; for a file, type /chaos gameday note <gd-id> <what it shows>.']));
        return;
      }
      await answer(await deps.run(line, actor, channel));
    });
  });
}
