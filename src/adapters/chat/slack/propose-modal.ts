import type { types } from '@slack/bolt';
import { z } from 'zod';
import { formatBlastRadius, parseBlastRadius } from '../../../core/blast-radius-spec.js';
import { formatDuration, parseDuration } from '../../../core/duration.js';
import { truncatePlain } from './mrkdwn.js';

type ModalView = types.ModalView;
type KnownBlock = types.KnownBlock;
type PlainTextOption = types.PlainTextOption;

/** The view_submission handler matches on this. */
export const PROPOSE_CALLBACK_ID = 'propose_modal';

/** Block ids double as the keys of `response_action: 'errors'`, so they are part of the contract. */
export const PROPOSE_BLOCKS = { playbook: 'playbook', blastRadius: 'blast_radius', duration: 'duration' } as const;
const ACTION_ID = 'value';

// docs.slack.dev: a static_select holds at most 100 options; option text and value at most 75
// characters (the value limit is 150 on the reference page, 75 in @slack/types: take the smaller).
const MAX_OPTIONS = 100;
const OPTION_TEXT = 75;
const OPTION_VALUE = 75;
const HINT_TEXT = 2000;

export type ProposePlaybook = { name: string; title?: string; duration: string; blastRadius: string };

function plain(text: string) {
  return { type: 'plain_text' as const, text, emoji: true };
}

function option(p: ProposePlaybook): PlainTextOption {
  return {
    text: plain(truncatePlain(p.title ? `${p.name} — ${p.title}` : p.name, OPTION_TEXT)),
    value: p.name,
    // The defaults in the menu itself, so nobody types an override just to see what they would get.
    description: plain(truncatePlain(`${p.duration} · radius ${p.blastRadius}`, OPTION_TEXT)),
  };
}

function defaultsHint(lead: string, playbooks: readonly ProposePlaybook[], pick: (p: ProposePlaybook) => string): string {
  const defaults = playbooks.map((p) => `${p.name} ${pick(p)}`).join(', ');
  return truncatePlain(defaults ? `${lead} Defaults: ${defaults}.` : lead, HINT_TEXT);
}

/**
 * The form `/chaos propose` opens when typed without arguments. It only collects the same three
 * things the typed command takes; the proposal itself, with its preview of targets, is posted to
 * the channel after submission, and a second person still has to approve it.
 */
export function proposeModal(opts: { playbooks: ReadonlyArray<ProposePlaybook>; channelId: string; maxDurationMs: number }): ModalView {
  const base = {
    type: 'modal' as const,
    callback_id: PROPOSE_CALLBACK_ID,
    // The channel is where the card will be posted; a modal has no channel of its own.
    private_metadata: JSON.stringify({ channel: opts.channelId }),
    title: plain('Propose an experiment'),
    close: plain('Cancel'),
  };
  if (opts.playbooks.length === 0) {
    // A select with no options is invalid Block Kit; say why instead of failing to open.
    const empty: KnownBlock = { type: 'section', text: plain('No playbooks are loaded, so there is nothing to propose. Add one under playbooks/ and reload.') };
    return { ...base, blocks: [empty] };
  }

  const selectable = opts.playbooks.filter((p) => p.name.length <= OPTION_VALUE);
  const shown = selectable.slice(0, MAX_OPTIONS);
  const blocks: KnownBlock[] = [
    {
      type: 'input',
      block_id: PROPOSE_BLOCKS.playbook,
      label: plain('Playbook'),
      element: { type: 'static_select', action_id: ACTION_ID, placeholder: plain('Choose a playbook'), options: shown.map(option) },
    },
    {
      type: 'input',
      block_id: PROPOSE_BLOCKS.blastRadius,
      optional: true,
      label: plain('Blast radius'),
      element: { type: 'plain_text_input', action_id: ACTION_ID, placeholder: plain('one | all | count:N | percent:P') },
      hint: plain(defaultsHint("Leave blank for the playbook's own.", opts.playbooks, (p) => p.blastRadius)),
    },
    {
      type: 'input',
      block_id: PROPOSE_BLOCKS.duration,
      optional: true,
      label: plain('Duration'),
      element: { type: 'plain_text_input', action_id: ACTION_ID, placeholder: plain('30s') },
      hint: plain(defaultsHint(`At most ${formatDuration(opts.maxDurationMs)}. Leave blank for the playbook's own.`, opts.playbooks, (p) => p.duration)),
    },
  ];
  const missing = opts.playbooks.length - shown.length;
  if (missing > 0) {
    blocks.push({
      type: 'context',
      elements: [plain(`${missing} playbook${missing === 1 ? ' is' : 's are'} not in this list; type /chaos propose <playbook> for ${missing === 1 ? 'it' : 'them'}.`)],
    });
  }
  return { ...base, submit: plain('Propose'), blocks };
}

export type ProposeSubmission =
  | { ok: true; channel: string; playbook: string; overrides: { duration?: number; blastRadius?: string } }
  | { ok: false; errors: Record<string, string> };

const Metadata = z.object({ channel: z.string().min(1) });

const InputState = z.object({
  type: z.string(),
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string() }).nullish(),
});
const ViewState = z.object({
  private_metadata: z.string().optional(),
  state: z.object({ values: z.record(z.string(), z.record(z.string(), z.unknown())) }),
});

function channelOf(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const parsed = Metadata.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data.channel : undefined;
  } catch {
    return undefined;
  }
}

/** What the person typed, short enough that the error under the field stays readable. */
function quoted(text: string): string {
  return `"${truncatePlain(text, 40)}"`;
}

/** The trimmed value of one input, whatever element holds it; blank counts as not given. */
function inputValue(values: Record<string, Record<string, unknown>>, blockId: string): string | undefined {
  const parsed = InputState.safeParse(values[blockId]?.[ACTION_ID]);
  if (!parsed.success) return undefined;
  const raw = parsed.data.selected_option?.value ?? parsed.data.value ?? '';
  return raw.trim() === '' ? undefined : raw.trim();
}

/**
 * Reads and checks a submitted propose form. Errors are keyed by block id with a sentence a person
 * can act on, ready for `ack({ response_action: 'errors', errors })`, so the form stays open with
 * what they typed. Policy (caps, protected targets, approvers) is not checked here: the service
 * does that on the resulting proposal, the same as for the typed command.
 */
export function readProposeSubmission(
  view: { private_metadata?: string; state: { values: Record<string, Record<string, { type: string; value?: string | null; selected_option?: { value: string } | null }>> } },
  opts: { knownPlaybooks: readonly string[]; maxDurationMs: number },
): ProposeSubmission {
  const errors: Record<string, string> = {};
  const parsedView = ViewState.safeParse(view);
  const values = parsedView.success ? parsedView.data.state.values : {};
  const channel = channelOf(parsedView.success ? parsedView.data.private_metadata : undefined);

  const playbook = inputValue(values, PROPOSE_BLOCKS.playbook);
  if (!channel) errors[PROPOSE_BLOCKS.playbook] = 'This form lost track of its channel. Close it and run /chaos propose again.';
  else if (!playbook) errors[PROPOSE_BLOCKS.playbook] = 'Choose a playbook.';
  else if (!opts.knownPlaybooks.includes(playbook)) {
    errors[PROPOSE_BLOCKS.playbook] = `There is no playbook ${quoted(playbook)} any more. Close this form and run /chaos propose again for the current list.`;
  }

  const overrides: { duration?: number; blastRadius?: string } = {};
  const radiusText = inputValue(values, PROPOSE_BLOCKS.blastRadius);
  if (radiusText !== undefined) {
    const radius = parseBlastRadius(radiusText);
    if (radius) overrides.blastRadius = formatBlastRadius(radius);
    else errors[PROPOSE_BLOCKS.blastRadius] = `${quoted(radiusText)} is not a blast radius. Write one, all, count:N (N at least 1) or percent:P (P from 1 to 100).`;
  }

  const durationText = inputValue(values, PROPOSE_BLOCKS.duration);
  if (durationText !== undefined) {
    const ms = parseDuration(durationText);
    const cap = formatDuration(opts.maxDurationMs);
    if (ms === undefined) errors[PROPOSE_BLOCKS.duration] = `${quoted(durationText)} is not a duration. Write it like 30s, 5m or 1m30s.`;
    else if (ms <= 0) errors[PROPOSE_BLOCKS.duration] = 'The duration has to be longer than zero: every fault must run for some time and then be reverted.';
    else if (ms > opts.maxDurationMs) errors[PROPOSE_BLOCKS.duration] = `${formatDuration(ms)} is longer than the limit of ${cap}. Choose ${cap} or less.`;
    else overrides.duration = ms;
  }

  if (Object.keys(errors).length > 0 || !channel || !playbook) return { ok: false, errors };
  return { ok: true, channel, playbook, overrides };
}
