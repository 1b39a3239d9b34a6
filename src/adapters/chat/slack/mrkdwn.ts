/**
 * Text helpers for Slack. Everything in a `Message` is plain text that came from people, playbooks
 * or target names, so it is escaped before it goes into a mrkdwn object: an unescaped `<` would let
 * a hypothesis write `<!channel>` or a fake link. Length limits are measured on the escaped text,
 * because that is what Slack counts, and cuts are made on the plain text so an entity such as
 * `&amp;` is never split in half.
 */

import { renderMentions, SLACK_CHANNEL_ID, SLACK_GROUP_ID, SLACK_USER_ID } from '../../../core/mention.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes the three characters Slack reserves in mrkdwn (and in a message's fallback text). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/[&<>]/g, (ch) => ENTITIES[ch] ?? ch);
}

function omitted(n: number): string {
  return `… (${n} more character${n === 1 ? '' : 's'})`;
}

/**
 * Escapes `plain` and, when the result is longer than `max`, keeps as much as fits followed by
 * "… (N more characters)", N counted in the plain text a reader would have seen.
 */
export function fitMrkdwn(plain: string, max: number): string {
  const full = escapeMrkdwn(plain);
  if (full.length <= max) return full;
  // Iterate by code point so an emoji's surrogate pair is never cut in two.
  const chars = Array.from(plain);
  const note = omitted(chars.length);
  // Limits this small never occur for mrkdwn in Block Kit; a bare "…" still keeps the promise.
  const suffix = note.length < max ? note : '…';
  const [kept, count] = takeEscaped(chars, max - suffix.length);
  return kept + (suffix === '…' ? suffix : omitted(chars.length - count));
}

function takeEscaped(chars: readonly string[], room: number): [string, number] {
  let out = '';
  let count = 0;
  for (const ch of chars) {
    const escaped = ENTITIES[ch] ?? ch;
    if (out.length + escaped.length > room) break;
    out += escaped;
    count += 1;
  }
  return [out, count];
}

/** For plain_text objects (header, button, option): no escaping, cut with "…" when too long. */
export function truncatePlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * Splits plain text into escaped chunks of at most `max` characters, breaking only between lines.
 * A single line that alone is too long is cut by `fitMrkdwn`. Each chunk keeps the number of lines
 * it carries, so a caller that has to drop chunks can say how many lines went unseen.
 */
export function splitMrkdwn(plain: string, max: number): Array<{ text: string; lines: number }> {
  const chunks: Array<{ text: string; lines: number }> = [];
  let current: string[] = [];
  let length = 0;
  const flush = () => {
    const text = current.join('\n');
    // Slack rejects a text object that is empty; a run of blank lines carries nothing anyway.
    if (text.trim() !== '') chunks.push({ text, lines: current.length });
    current = [];
    length = 0;
  };
  for (const line of plain.split('\n')) {
    const escaped = fitMrkdwn(line, max);
    const added = current.length === 0 ? escaped.length : escaped.length + 1;
    if (current.length > 0 && length + added > max) flush();
    length += current.length === 0 ? escaped.length : escaped.length + 1;
    current.push(escaped);
  }
  flush();
  return chunks;
}

/**
 * Mention tokens (core/mention.ts) in escaped mrkdwn as Slack mentions: `<@U…>` and
 * `<!subteam^S…>`, which notify the person and show their current display name. A token whose id
 * is not shaped like a Slack id (the console's `alice`) stays its escaped label.
 */
export function slackMentions(escaped: string): string {
  return renderMentions(escaped, (m) => {
    if (m.kind === 'user' && SLACK_USER_ID.test(m.id)) return `<@${m.id}>`;
    if (m.kind === 'group' && SLACK_GROUP_ID.test(m.id)) return `<!subteam^${m.id}>`;
    if (m.kind === 'channel' && SLACK_CHANNEL_ID.test(m.id)) return `<#${m.id}>`;
    // The URL was escaped with the text; `|` and `>` would end the link early, so such a URL stays text.
    if (m.kind === 'link') return /^https?:\/\/[^\s|>]+$/.test(m.id) ? `<${m.id}|${m.label}>` : `${m.label}: ${m.id}`;
    return m.label; // already escaped with the text around it
  });
}
