import { CHAT_REFUSALS } from './ports.js';
import { mentionChannel } from './mention.js';

/**
 * What to tell the proposer when their card could not be posted, in the second person, with what to
 * do. `refused` is the chat's reason (`not_in_channel`) or an error's text.
 */
export function cardNotPostedText(id: string, channel: string, refused: string): string {
  const where = mentionChannel(channel);
  const retry = `then \`/chaos status ${id}\` posts the card there. The experiment exists; nothing else is lost.`;
  if (refused === CHAT_REFUSALS.notInChannel) return `I could not post the card in ${where}: I am not a member of it. Invite me with \`/invite @Faultline\` in that channel, ${retry}`;
  if (refused === CHAT_REFUSALS.channelNotFound) return `I could not post the card: I cannot see ${where} (a private channel needs an invite too). Invite me with \`/invite @Faultline\`, ${retry}`;
  if (refused === CHAT_REFUSALS.archived) return `I could not post the card: ${where} is archived. Propose it again in a channel that is open.`;
  return `I could not post the card in ${where} (${refused}); \`/chaos status ${id}\` tries again.`;
}
