import { readFileSync } from 'node:fs';
import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROPOSE_CALLBACK_ID, proposeModal, readProposeSubmission } from '../../src/adapters/chat/slack/propose-modal.js';

const HOUR = 3_600_000;
const playbooks = [
  { name: 'checkout-latency', title: 'Checkout survives a slow replica', duration: '5m', blastRadius: 'one' },
  { name: 'db-failover', duration: '10m', blastRadius: 'count:2' },
];
const opts = { knownPlaybooks: playbooks.map((p) => p.name), maxDurationMs: HOUR };

type Values = Record<string, Record<string, { type: string; value?: string | null; selected_option?: { value: string } | null }>>;

/** The `view` of a real view_submission payload, trimmed to what the reader looks at; null metadata leaves it out. */
function submitted(input: { playbook?: string | null; blastRadius?: string | null; duration?: string | null }, metadata: string | null = JSON.stringify({ channel: 'C123' })) {
  const values: Values = {
    playbook: { value: { type: 'static_select', selected_option: input.playbook ? { value: input.playbook } : null } },
    blast_radius: { value: { type: 'plain_text_input', value: input.blastRadius ?? null } },
    duration: { value: { type: 'plain_text_input', value: input.duration ?? null } },
  };
  return metadata === null ? { state: { values } } : { private_metadata: metadata, state: { values } };
}

function inputs(view: types.ModalView): types.InputBlock[] {
  return view.blocks.filter((b): b is types.InputBlock => b.type === 'input');
}

describe('proposeModal', () => {
  const view = proposeModal({ playbooks, channelId: 'C123', maxDurationMs: HOUR });

  it('is a modal with the callback id, the channel in private_metadata, Propose and Cancel', () => {
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: PROPOSE_CALLBACK_ID,
      title: { type: 'plain_text', text: 'Propose an experiment' },
      submit: { text: 'Propose' },
      close: { text: 'Cancel' },
    });
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ channel: 'C123' });
  });

  it('asks for playbook (required), blast radius and duration (optional) under fixed block ids', () => {
    const blocks = inputs(view);
    expect(blocks.map((b) => [b.block_id, b.element.type, 'action_id' in b.element ? b.element.action_id : undefined, b.optional ?? false])).toEqual([
      ['playbook', 'static_select', 'value', false],
      ['blast_radius', 'plain_text_input', 'value', true],
      ['duration', 'plain_text_input', 'value', true],
    ]);
    const select = blocks[0]?.element as types.StaticSelect;
    expect(select.options?.map((o) => [o.value, o.text.text, o.description?.text])).toEqual([
      ['checkout-latency', 'checkout-latency — Checkout survives a slow replica', '5m · radius one'],
      ['db-failover', 'db-failover', '10m · radius count:2'],
    ]);
    expect((blocks[1]?.element as types.PlainTextInput).placeholder?.text).toBe('one | all | count:N | percent:P');
    expect(blocks[1]?.hint?.text).toContain('checkout-latency one, db-failover count:2');
    expect((blocks[2]?.element as types.PlainTextInput).placeholder?.text).toBe('30s');
    expect(blocks[2]?.hint?.text).toMatch(/^At most 1h\./);
  });

  it('keeps the select within 100 options of at most 75 characters and says what it left out', () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ name: `pb-${i}`, title: 'T'.repeat(100), duration: '1m', blastRadius: 'one' }));
    const big = proposeModal({ playbooks: many, channelId: 'C1', maxDurationMs: HOUR });
    const select = inputs(big)[0]?.element as types.StaticSelect;
    expect(select.options).toHaveLength(100);
    for (const o of select.options ?? []) expect(o.text.text.length).toBeLessThanOrEqual(75);
    for (const b of inputs(big)) expect(b.hint?.text.length ?? 0).toBeLessThanOrEqual(2000);
    expect(JSON.stringify(big.blocks.at(-1))).toContain('30 playbooks are not in this list');
  });

  it('with no playbooks it explains instead of offering an empty select', () => {
    const empty = proposeModal({ playbooks: [], channelId: 'C1', maxDurationMs: HOUR });
    expect(inputs(empty)).toEqual([]);
    expect(empty.submit).toBeUndefined();
    expect(JSON.stringify(empty.blocks)).toContain('No playbooks are loaded');
  });
});

describe('readProposeSubmission', () => {
  it('accepts a playbook alone', () => {
    expect(readProposeSubmission(submitted({ playbook: 'db-failover' }), opts)).toEqual({ ok: true, channel: 'C123', playbook: 'db-failover', overrides: {} });
  });

  it('accepts and normalises overrides', () => {
    expect(readProposeSubmission(submitted({ playbook: 'checkout-latency', blastRadius: ' count:3 ', duration: '1m30s' }), opts)).toEqual({
      ok: true,
      channel: 'C123',
      playbook: 'checkout-latency',
      overrides: { blastRadius: 'count:3', duration: 90_000 },
    });
    expect(readProposeSubmission(submitted({ playbook: 'checkout-latency', duration: '1h' }), opts)).toMatchObject({ ok: true, overrides: { duration: HOUR } });
  });

  it('blank optional fields count as not given', () => {
    expect(readProposeSubmission(submitted({ playbook: 'db-failover', blastRadius: '   ', duration: '' }), opts)).toMatchObject({ ok: true, overrides: {} });
  });

  it.each([
    ['no playbook chosen', submitted({}), { playbook: 'Choose a playbook.' }],
    ['unknown playbook', submitted({ playbook: 'gone' }), { playbook: expect.stringContaining('There is no playbook "gone"') }],
    ['bad blast radius', submitted({ playbook: 'db-failover', blastRadius: 'half' }), { blast_radius: expect.stringContaining('"half" is not a blast radius') }],
    ['percent over 100', submitted({ playbook: 'db-failover', blastRadius: 'percent:150' }), { blast_radius: expect.stringContaining('P from 1 to 100') }],
    ['count zero', submitted({ playbook: 'db-failover', blastRadius: 'count:0' }), { blast_radius: expect.stringContaining('N at least 1') }],
    ['bad duration', submitted({ playbook: 'db-failover', duration: 'soon' }), { duration: expect.stringContaining('"soon" is not a duration') }],
    ['zero duration', submitted({ playbook: 'db-failover', duration: '0s' }), { duration: expect.stringContaining('longer than zero') }],
    ['duration over the cap', submitted({ playbook: 'db-failover', duration: '90m' }), { duration: '1h30m is longer than the limit of 1h. Choose 1h or less.' }],
    ['no private_metadata', submitted({ playbook: 'db-failover' }, null), { playbook: expect.stringContaining('lost track of its channel') }],
    ['private_metadata not JSON', submitted({ playbook: 'db-failover' }, '{channel'), { playbook: expect.stringContaining('lost track of its channel') }],
    ['private_metadata without a channel', submitted({ playbook: 'db-failover' }, JSON.stringify({ channel: '' })), { playbook: expect.stringContaining('lost track') }],
  ])('%s → an error on its block', (_name, view, errors) => {
    const result = readProposeSubmission(view, opts);
    expect(result).toEqual({ ok: false, errors });
  });

  it('reports every bad field at once, so the person fixes them in one go', () => {
    const result = readProposeSubmission(submitted({ playbook: 'gone', blastRadius: 'most', duration: '2d' }), opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['blast_radius', 'duration', 'playbook']);
  });

  it('quotes long input briefly in the error', () => {
    const result = readProposeSubmission(submitted({ playbook: 'db-failover', duration: 'x'.repeat(3000) }), opts);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.duration?.length).toBeLessThan(120);
  });
});

describe('deploy/slack-app-manifest.yaml', () => {
  const manifest = parse(readFileSync(new URL('../../deploy/slack-app-manifest.yaml', import.meta.url), 'utf8'));

  it('is a v1 manifest within the schema lengths', () => {
    expect(manifest._metadata.major_version).toBe(1);
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
    expect(manifest.display_information.description.length).toBeLessThanOrEqual(140);
    expect(manifest.display_information.background_color).toMatch(/^#[0-9a-fA-F]{6}$/);
    expect(manifest.features.bot_user).toEqual({ display_name: 'faultline', always_online: true });
  });

  it('declares /chaos, interactivity and exactly the ten bot scopes', () => {
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({
        command: '/chaos',
        usage_hint: 'propose <playbook> | approve <id> | start <id> | abort <id> | status | list | halt | resume | help',
        url: 'https://faultline.example.com/slack/events',
        should_escape: false,
      }),
    ]);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: 'https://faultline.example.com/slack/events' });
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['channels:history', 'chat:write', 'chat:write.public', 'commands', 'files:write', 'groups:history', 'im:write', 'usergroups:read', 'users:read', 'users:read.email']);
    expect(manifest.settings).toMatchObject({ socket_mode_enabled: true, org_deploy_enabled: false, token_rotation_enabled: false });
  });
});
