import { describe, expect, it } from 'vitest';
import { tokenize } from '../../commands/index.js';
import { MessageShortcutPayload, QUOTE_MAX_CHARS, quotableText, shortcutNoteLine } from '../../src/adapters/chat/slack/message-shortcut.js';
import { interactionFixture } from '../fakes/slack-fixtures.js';

describe('"Add to game day": the note line built from the message', () => {
  const payload = () => MessageShortcutPayload.parse(interactionFixture('message-action.add-to-gameday'));

  it('reads the fixture (Slack\'s message_action shape) and quotes the reply under its thread, naming the author', () => {
    const p = payload();
    expect(p.user).toMatchObject({ id: 'U0CAROL', team_id: 'T0001' });
    expect(p.channel.id).toBe('C0CHAOS');
    expect(shortcutNoteLine(p.message)).toBe('/chaos gameday note thread:1700000000.000100 “p99 went from 180ms to 640ms & the cache hit ratio dipped to 60 %” (message by <@U0DAVE>)');
  });

  it('a message that starts its thread (no thread_ts) is its own thread', () => {
    expect(shortcutNoteLine({ ts: '1700000000.000100', text: 'the card', user: 'UBOT' })).toBe('/chaos gameday note thread:1700000000.000100 “the card” (message by <@UBOT>)');
  });

  it('a bot\'s message is named by its username or bot id', () => {
    expect(shortcutNoteLine({ ts: '1.2', text: 'deploy finished', username: 'deploybot', bot_id: 'B0DEPLOY' })).toMatch(/\(message by deploybot\)$/);
    expect(shortcutNoteLine({ ts: '1.2', text: 'deploy finished', bot_id: 'B0DEPLOY' })).toMatch(/\(message by B0DEPLOY\)$/);
  });

  it('a message without text (a file only, or blank) builds no line', () => {
    expect(shortcutNoteLine({ ts: '1.2', user: 'U0DAVE' })).toBeUndefined();
    expect(shortcutNoteLine({ ts: '1.2', user: 'U0DAVE', text: ' \n\t ' })).toBeUndefined();
  });

  it('newlines become spaces, Slack\'s entities are decoded, and the text survives the command line\'s own quoting', () => {
    const line = shortcutNoteLine({ ts: '1.2', thread_ts: '1.1', user: 'U0DAVE', text: 'he said "roll back"\n\nand it\'s \'done\' &lt;3 &amp; &gt;' })!;
    expect(quotableText('he said "roll back"\n\nand it\'s \'done\' &lt;3 &amp; &gt;')).toBe('he said ”roll back” and it’s ’done’ <3 & >');
    // What the gameday command gets after `note thread:1.1`: the words joined back, nothing dropped.
    expect(tokenize(line).slice(4).join(' ')).toBe('“he said ”roll back” and it’s ’done’ <3 & >” (message by <@U0DAVE>)');
  });

  it(`cuts the quote at ${QUOTE_MAX_CHARS} characters (code points, an emoji never split) with "…"`, () => {
    const long = '🔥'.repeat(QUOTE_MAX_CHARS + 20);
    const quote = quotableText(long);
    expect(Array.from(quote)).toHaveLength(QUOTE_MAX_CHARS);
    expect(quote.endsWith('🔥…')).toBe(true);
    expect(quotableText('x'.repeat(QUOTE_MAX_CHARS))).toHaveLength(QUOTE_MAX_CHARS);
  });

  it('refuses a payload of another shortcut or without the message\'s ts', () => {
    const other = { ...interactionFixture('message-action.add-to-gameday'), callback_id: 'something_else' };
    expect(MessageShortcutPayload.safeParse(other).success).toBe(false);
    const base = interactionFixture('message-action.add-to-gameday');
    const noTs = { ...base, message: { ...(base.message as object), ts: undefined } };
    expect(MessageShortcutPayload.safeParse(noTs).success).toBe(false);
  });
});
