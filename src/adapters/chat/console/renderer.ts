import { buttonCommand } from '../../../core/button-commands.js';
import { withSubject, type Message } from '../../../core/message.js';
import { plainMentions } from '../../../core/mention.js';

const TONE_MARK: Record<Message['tone'], string> = { info: '·', success: '✓', warning: '!', danger: '✗' };

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** The whole message as readable text; buttons appear as the command that presses them. */
export function renderMessage(msg: Message): string {
  // No threads here: a reply says which experiment it is about.
  return plainMentions(messageText(withSubject(msg)));
}

function messageText(msg: Message): string {
  const out: string[] = [];
  if (msg.title) out.push(`${TONE_MARK[msg.tone]} ${msg.title}${msg.errorCode ? ` [${msg.errorCode}]` : ''}`);
  const width = Math.max(0, ...msg.fields.map((f) => f.label.length));
  for (const f of msg.fields) out.push(`  ${(f.label + ':').padEnd(width + 1)} ${f.value}`);
  for (const s of msg.sections) out.push(indent(s, '  '));
  if (msg.buttons.length > 0) {
    out.push(`  ${msg.buttons.map((b) => `[${b.label}] ${buttonCommand(b.actionId, b.value) ?? `/chaos ${b.actionId} ${b.value}`}`).join('   ')}`);
  }
  return out.join('\n');
}

/** One line for a card update: title, state, time left and each guardrail's latest verdict. */
export function renderStatusLine(msg: Message): string {
  const field = (label: string) => msg.fields.find((f) => f.label === label)?.value;
  const guardrails = msg.sections
    .find((s) => s.startsWith('Guardrails:'))
    ?.split('\n')
    .slice(1)
    .filter((l) => l.includes('→'))
    .map((l) => l.replace(/^• /, '').replace(/: aborts if .*→ /, ': '));
  const parts = [msg.title, field('State'), field('Time'), ...(guardrails ?? [])].filter(Boolean);
  return plainMentions(`  ⟳ ${parts.join(' | ')}`);
}

export function renderReply(msg: Message): string {
  const lines = renderMessage(msg).replace(/^· /, '').replace(/^ {2}/, '').split('\n');
  return [`  ↳ ${lines[0] ?? ''}`, ...lines.slice(1).map((l) => `    ${l}`)].join('\n');
}
