/**
 * People and user groups inside a Message's text. The core does not know which chat renders it, so
 * a person is written as a token that carries both the id and a readable label: Slack renders it
 * as a mention (`<@U…>`, `<!subteam^S…>`), which notifies and shows the current display name; the
 * console, files and logs render the label. The delimiters are private-use characters that no
 * keyboard types; a token is only ever made a mention when its id has the shape of a Slack id, so
 * text from a playbook can never produce `<!channel>` or a link.
 */
const OPEN = '\u{E000}';
const CLOSE = '\u{E001}';
const SEP = '\u{E002}';
const TOKEN = /\u{E000}([ugcl])\u{E002}([^\u{E000}-\u{E002}]*)\u{E002}([^\u{E000}-\u{E002}]*)\u{E001}/gu;
const DELIMITERS = /[\u{E000}-\u{E002}]/gu;

export interface Mention {
  kind: 'user' | 'group' | 'channel' | 'link';
  id: string;
  /** What to show where the chat has no mentions, e.g. "bob (UBOB)". */
  label: string;
}

const clean = (s: string) => s.replace(DELIMITERS, '');

/** A person in text: rendered `<@id>` in Slack, `label` elsewhere. */
export function mentionUser(id: string, label: string = id): string {
  return `${OPEN}u${SEP}${clean(id)}${SEP}${clean(label)}${CLOSE}`;
}

/** A user group in text: rendered `<!subteam^id>` in Slack, `label` elsewhere. */
export function mentionGroup(id: string, label: string): string {
  return `${OPEN}g${SEP}${clean(id)}${SEP}${clean(label)}${CLOSE}`;
}

/** A channel in text: `<#C…>` in Slack (a link that shows its name), the id or name elsewhere. */
export function mentionChannel(id: string): string {
  return `${OPEN}c${SEP}${clean(id)}${SEP}${clean(id)}${CLOSE}`;
}

/** A link in text (`id` is the URL): `<url|label>` in Slack, `label: url` elsewhere. */
export function linkTo(url: string, label: string): string {
  return `${OPEN}l${SEP}${clean(url)}${SEP}${clean(label)}${CLOSE}`;
}

/** Every token replaced by what `render` makes of it; text without tokens comes back unchanged. */
export function renderMentions(text: string, render: (m: Mention) => string): string {
  if (!text.includes(OPEN)) return text;
  const kinds: Record<string, Mention['kind']> = { u: 'user', g: 'group', c: 'channel', l: 'link' };
  return text.replace(TOKEN, (_all, kind: string, id: string, label: string) => render({ kind: kinds[kind] ?? 'user', id, label })).replace(DELIMITERS, '');
}

/** Tokens as their labels: for the console, files, logs and anything that is not a chat. */
export function plainMentions(text: string): string {
  return renderMentions(text, (m) => (m.kind === 'link' ? `${m.label}: ${m.id}` : m.label));
}

/** The ids of the people and groups `text` mentions, in order, once each. */
export function mentionsIn(text: string): Mention[] {
  const seen = new Map<string, Mention>();
  renderMentions(text, (m) => {
    seen.set(`${m.kind}:${m.id}`, m);
    return '';
  });
  return [...seen.values()];
}

/** A Slack user id (U…, W… on Enterprise Grid): the only ids Slack turns into a user mention. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** A Slack conversation id: a channel (C…), a private one (G…), a DM (D…). */
export const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
/** A Slack user-group id (S…). */
export const SLACK_GROUP_ID = /^S[A-Z0-9]{2,}$/;

/**
 * An approver as the config names it: `UBOB`, or `T0BB/UBOB` pinned to a workspace. The person is
 * the user id; the pin stays in the label so the console still shows it.
 */
export function approverMention(entry: string): string {
  return entry.includes(OPEN) ? entry : mentionUser(approverUserId(entry), entry);
}

/** The user id of an approver entry (`T0BB/UBOB` → `UBOB`). */
export function approverUserId(entry: string): string {
  return entry.includes('/') ? entry.slice(entry.lastIndexOf('/') + 1) : entry;
}

/**
 * Who a card asks to approve: every approver but the proposer, as mentions. Entries that are already
 * tokens (the approver group) pass as they are.
 */
export function approverMentions(entries: readonly string[], proposerId: string): string[] {
  return entries.filter((e) => e.includes(OPEN) || approverUserId(e) !== proposerId).map(approverMention);
}
