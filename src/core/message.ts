import { z } from 'zod';

/**
 * The neutral chat message. Commands return it; the console renders it as text and Slack as
 * Block Kit, so no command knows which chat it is talking to.
 */
export const Button = z.object({
  label: z.string(),
  actionId: z.string().describe('what pressing it does, e.g. approve'),
  value: z.string().describe('the argument it presses with, e.g. the experiment id'),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: z.string().optional().describe('a question to confirm before the press counts'),
});
export type Button = z.infer<typeof Button>;

export const Field = z.object({ label: z.string(), value: z.string() });
export type Field = z.infer<typeof Field>;

export const Message = z.object({
  title: z.string().optional(),
  tone: z.enum(['info', 'success', 'warning', 'danger']).default('info'),
  fields: z.array(Field).default([]),
  sections: z.array(z.string()).default([]),
  buttons: z.array(Button).default([]),
  /** Only the person who typed the command sees it (refusals, errors, help). */
  ephemeral: z.boolean().default(false),
  /**
   * A button's answer that is not a refusal but that the person who pressed it must still hear,
   * because the card shows no change (a start that waits for the on-call).
   */
  toClicker: z.boolean().optional(),
  /** Stable code when the message reports a refusal or error. */
  errorCode: z.string().optional(),
  /**
   * The experiment or game day a thread reply is about. Inside its thread that goes without saying;
   * a chat without threads (the console) or a reply that lands in the channel shows it first.
   */
  subject: z.string().optional(),
});
export type Message = z.infer<typeof Message>;
export type MessageInput = z.input<typeof Message>;

export function message(input: MessageInput): Message {
  return Message.parse(input);
}

export function errorMessage(code: string, text: string, sections: string[] = []): Message {
  return message({ title: text, tone: 'danger', errorCode: code, sections, ephemeral: true });
}

/** The message with its subject written in front of its first section (for chats and places without threads). */
export function withSubject(msg: Message): Message {
  if (!msg.subject) return msg;
  const [first, ...rest] = msg.sections;
  const sections = first === undefined ? [msg.subject] : [`${msg.subject}: ${first}`, ...rest];
  const { subject: _subject, ...others } = msg;
  return { ...others, sections };
}
