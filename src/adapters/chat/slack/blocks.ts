import type { types } from '@slack/bolt';
import type { Button as MessageButton, Message } from '../../../core/message.js';
import { escapeMrkdwn, fitMrkdwn, slackMentions, splitMrkdwn, truncatePlain } from './mrkdwn.js';
import { plainMentions } from '../../../core/mention.js';

type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;
type ContextBlock = types.ContextBlock;
type ActionsBlock = types.ActionsBlock;
type SlackButton = types.Button;
type MrkdwnElement = types.MrkdwnElement;

/**
 * Block Kit's documented limits (docs.slack.dev/reference/block-kit). Slack refuses the whole
 * message when one is exceeded, so a card that grows (150 targets, a long hypothesis) must be
 * shortened here rather than fail to post while an experiment is running.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  buttonText: 75,
  buttonValue: 2000,
  actionsElements: 25,
  contextElements: 10,
  fallbackText: 3000,
  actionId: 255,
  confirmTitle: 100,
  confirmText: 300,
} as const;

/**
 * A refusal (it has an error code) gets a plain cross; an aborted or failed experiment gets the
 * siren, because that one means something in production went wrong. Info stays unmarked so routine
 * cards do not shout.
 */
function toneEmoji(msg: Message): string | undefined {
  if (msg.tone === 'danger') return msg.errorCode ? ':x:' : ':rotating_light:';
  if (msg.tone === 'warning') return ':warning:';
  if (msg.tone === 'success') return ':white_check_mark:';
  return undefined;
}

/** verbatim: playbook text that says "@channel" or "#prod" must not notify or link anyone. */
function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text: slackMentions(text), verbatim: true };
}

/** `approve:2` → `approve`. Interaction handlers route on the base id; the suffix only keeps ids unique. */
export function baseActionId(actionId: string): string {
  return actionId.replace(/:\d+$/, '');
}

/** Slack wants action ids unique within a block; a card may carry two buttons with the same verb. */
function uniqueActionIds(buttons: readonly MessageButton[]): string[] {
  const used = new Set<string>();
  return buttons.map((b) => {
    let id = b.actionId;
    for (let n = 2; used.has(id); n += 1) id = `${b.actionId}:${n}`;
    used.add(id);
    return id;
  });
}

function button(b: MessageButton, actionId: string): SlackButton {
  const el: SlackButton = {
    type: 'button',
    text: { type: 'plain_text', text: truncatePlain(plainMentions(b.label), SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value: b.value,
  };
  if (b.style) el.style = b.style;
  if (b.confirm) {
    el.confirm = {
      title: { type: 'plain_text', text: truncatePlain(b.label, SLACK_LIMITS.confirmTitle) },
      text: { type: 'plain_text', text: truncatePlain(plainMentions(b.confirm), SLACK_LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: 'Yes' },
      deny: { type: 'plain_text', text: 'Cancel' },
    };
    if (b.style === 'danger') el.confirm.style = 'danger';
  }
  return el;
}

function actionsBlocks(buttons: readonly MessageButton[]): { blocks: ActionsBlock[]; dropped: number } {
  const ids = uniqueActionIds(buttons);
  const elements: SlackButton[] = [];
  let dropped = 0;
  buttons.forEach((b, i) => {
    const id = ids[i] ?? b.actionId;
    // A cut value would press the button on the wrong thing (a truncated experiment id); leave it out.
    if (b.value.length > SLACK_LIMITS.buttonValue || id.length > SLACK_LIMITS.actionId) dropped += 1;
    else elements.push(button(b, id));
  });
  const blocks: ActionsBlock[] = [];
  for (let i = 0; i < elements.length; i += SLACK_LIMITS.actionsElements) {
    blocks.push({ type: 'actions', elements: elements.slice(i, i + SLACK_LIMITS.actionsElements) });
  }
  return { blocks, dropped };
}

function fieldBlocks(fields: Message['fields']): SectionBlock[] {
  const texts = fields.map((f) => {
    const label = `*${fitMrkdwn(f.label, 200)}*\n`;
    return label + fitMrkdwn(f.value, SLACK_LIMITS.fieldText - label.length);
  });
  const blocks: SectionBlock[] = [];
  for (let i = 0; i < texts.length; i += SLACK_LIMITS.fieldsPerSection) {
    blocks.push({ type: 'section', fields: texts.slice(i, i + SLACK_LIMITS.fieldsPerSection).map(mrkdwn) });
  }
  return blocks;
}

function lineCount(block: SectionBlock): number {
  if (block.fields) return block.fields.reduce((n, f) => n + f.text.split('\n').length - 1, 0);
  return block.text?.text.split('\n').length ?? 0;
}

function fallbackText(msg: Message): string {
  const first = msg.sections.find((s) => s.trim() !== '') ?? msg.fields.map((f) => `${f.label}: ${f.value}`).join('\n');
  const title = msg.title ? `${msg.title}${msg.errorCode ? ` (${msg.errorCode})` : ''}` : '';
  const text = [title, first].filter((t) => t.trim() !== '').join('\n');
  // Notifications and screen readers show only this; an empty string would make Slack warn.
  return slackMentions(fitMrkdwn(text || 'Faultline', SLACK_LIMITS.fallbackText));
}

/**
 * The neutral Message as Block Kit: header, an error-code line, fields, sections, buttons. Always
 * within SLACK_LIMITS: when the message would need more than 50 blocks, sections are dropped from
 * the end (header, fields and buttons stay) and a last line says how much is missing and where to
 * read it. `ephemeral` is the sender's concern, not the layout's.
 */
export function messageToBlocks(msg: Message, opts: { experimentId?: string } = {}): { text: string; blocks: KnownBlock[] } {
  const head: KnownBlock[] = [];
  const emoji = toneEmoji(msg);
  const title = msg.title ? plainMentions(msg.title).trim() : undefined;
  if (title) {
    const text = emoji ? `${emoji} ${title}` : title;
    head.push({ type: 'header', text: { type: 'plain_text', text: truncatePlain(text, SLACK_LIMITS.headerText), emoji: true } });
  }
  const contextLine = [!title && emoji ? emoji : '', msg.errorCode ? `code: \`${escapeMrkdwn(msg.errorCode)}\`` : ''].filter(Boolean).join(' ');
  if (contextLine) head.push({ type: 'context', elements: [mrkdwn(fitMrkdwn(contextLine, SLACK_LIMITS.sectionText))] });

  const fields = fieldBlocks(msg.fields);
  const sections: SectionBlock[] = msg.sections.flatMap((s) =>
    splitMrkdwn(s, SLACK_LIMITS.sectionText).map((chunk): SectionBlock => ({ type: 'section', text: mrkdwn(chunk.text) })),
  );
  const actions = actionsBlocks(msg.buttons);

  // Fields before sections: State, Target and Time are what a person in an incident looks for first.
  const body = [...fields, ...sections];
  const fixed = head.length + actions.blocks.length + (actions.dropped > 0 ? 1 : 0);
  const overflow = fixed + body.length > SLACK_LIMITS.blocks;
  // The "not shown" note shares the closing context block with the dropped-buttons note, if any.
  const room = overflow ? Math.max(0, SLACK_LIMITS.blocks - head.length - actions.blocks.length - 1) : body.length;
  const kept = body.slice(0, room);
  const hiddenLines = body.slice(room).reduce((n, b) => n + lineCount(b), 0);

  const notes: MrkdwnElement[] = [];
  if (overflow) {
    const id = opts.experimentId ?? msg.buttons[0]?.value;
    const where = id ? `\`/chaos status ${escapeMrkdwn(id)}\`` : '`/chaos status`';
    notes.push(mrkdwn(`… ${hiddenLines} more line${hiddenLines === 1 ? '' : 's'} not shown; ${where} has the rest`));
  }
  if (actions.dropped > 0) {
    notes.push(mrkdwn(`${actions.dropped} button${actions.dropped === 1 ? '' : 's'} left out: too long for Slack; use the /chaos command instead`));
  }
  const tail: KnownBlock[] = notes.length > 0 ? [{ type: 'context', elements: notes } satisfies ContextBlock] : [];
  // Only hundreds of buttons could still pass 50 here; the cut keeps Slack from refusing the message.
  const blocks = [...head, ...kept, ...actions.blocks, ...tail].slice(0, SLACK_LIMITS.blocks);
  return { text: fallbackText(msg), blocks };
}
