import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../fixtures/slack/', import.meta.url));

export type SlashCommandFixture = 'slash-command.propose' | 'slash-command.propose-empty';
export type InteractionFixture = 'block-actions.approve' | 'block-actions.abort' | 'view-submission.propose' | 'message-action.add-to-gameday';

function load(name: string): unknown {
  return JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8'));
}

/** The form fields of a slash command (all strings, as Slack posts them); a fresh copy on every call. */
export function slashCommandFixture(name: SlashCommandFixture): Record<string, string> {
  return load(name) as Record<string, string>;
}

/** An interaction payload (block_actions, view_submission, message_action); a fresh copy on every call, safe to patch. */
export function interactionFixture(name: InteractionFixture): Record<string, unknown> {
  return load(name) as Record<string, unknown>;
}
