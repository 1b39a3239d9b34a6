import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interactionFixture } from '../fakes/slack-fixtures.js';
import { interactionForm, postSigned, slashCommandForm } from '../fakes/slack-signing.js';
import { slashCommandFixture } from '../fakes/slack-fixtures.js';
import { statsRequests, waitUntil } from './harness.js';
import { CHANNEL, SECRET, startSlackHarness, type SlackHarness } from './slack-harness.js';

describe('Slack over HTTP: forged requests, the modal, the approver group', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness({ approvers: ['U0BOB'], slack: { approverGroup: 'S0SRE', retries: 2 } });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 20);
  });
  afterAll(async () => h?.close());

  const audited = () => h.bot.app.store.events().length;
  const form = () => slashCommandForm({ ...slashCommandFixture('slash-command.propose'), text: 'halt forged', channel_id: CHANNEL, response_url: h.api.responseUrl('forged') });

  it('refuses forged, missing and stale signatures with 401 and changes nothing', async () => {
    const before = audited();
    const forged = await postSigned(h.events, form(), { secret: 'not-the-secret' });
    const missing = await postSigned(h.events, form(), { secret: SECRET, signature: null });
    const stale = await postSigned(h.events, form(), { secret: SECRET, timestampSec: Math.floor(Date.now() / 1000) - 6 * 60 });
    const tampered = await postSigned(h.events, form(), { secret: SECRET, signature: 'v0=' + '0'.repeat(64) });
    expect([forged.status, missing.status, stale.status, tampered.status]).toEqual([401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 200));
    expect(audited()).toBe(before);
    expect(h.bot.app.engine.killSwitch.state()).toBeNull();
    expect(h.api.responses.filter((r) => r.id === 'forged')).toEqual([]);
  });

  it('/chaos propose with no arguments opens the modal; bad input comes back inline; good input proposes', async () => {
    const opened = await h.slash('propose', 'U0ALICE');
    expect(opened.status).toBe(200);
    const call = await h.api.waitFor((c) => c.method === 'views.open', 5000);
    const view = call.params.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('propose_modal');
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: CHANNEL });
    expect(call.params.trigger_id).toMatch(/^trig\./);

    const base = interactionFixture('view-submission.propose') as { view: Record<string, unknown> } & Record<string, unknown>;
    const submit = (values: Record<string, unknown>, viewId: string) =>
      postSigned(
        h.events,
        interactionForm({ ...base, user: { id: 'U0ALICE', username: 'alice', name: 'alice', team_id: 'T0001' }, view: { ...base.view, id: viewId, private_metadata: JSON.stringify({ channel: CHANNEL }), state: { values } } }),
        { secret: SECRET },
      );
    const bad = await submit(
      {
        playbook: { value: { type: 'static_select', selected_option: { value: 'checkout-errors', text: { type: 'plain_text', text: 'checkout-errors' } } } },
        blast_radius: { value: { type: 'plain_text_input', value: 'percent:500' } },
        duration: { value: { type: 'plain_text_input', value: '10 parsecs' } },
      },
      'V0BAD',
    );
    expect(bad.status).toBe(200);
    const answer = JSON.parse(bad.body) as { response_action: string; errors: Record<string, string> };
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors).sort()).toEqual(['blast_radius', 'duration']);

    const before = h.bot.app.engine.experiments.list(100).length;
    const good = await submit(
      {
        playbook: { value: { type: 'static_select', selected_option: { value: 'checkout-errors', text: { type: 'plain_text', text: 'checkout-errors' } } } },
        blast_radius: { value: { type: 'plain_text_input', value: 'count:1' } },
        duration: { value: { type: 'plain_text_input', value: '20s' } },
      },
      'V0GOOD',
    );
    expect(good.status).toBe(200);
    await waitUntil('the modal proposal', () => h.bot.app.engine.experiments.list(100).length === before + 1);
    const r = h.bot.app.engine.experiments.list(1)[0]!.record;
    expect(r.proposedBy).toMatchObject({ id: 'U0ALICE', team: 'T0001' });
    expect(r.plan.durationMs).toBe(20_000);
    expect(r.plan.targets).toHaveLength(1);
    expect(r.channel).toBe(CHANNEL);
  });

  it('members of the approver group may approve; others may not', async () => {
    h.api.setUsergroup('S0SRE', ['U0GROUPIE']);
    await h.slash('propose checkout-latency', 'U0ALICE');
    await waitUntil('proposal', () => h.bot.app.engine.experiments.list(1)[0]?.record.name === 'checkout-latency' && h.bot.app.engine.experiments.list(1)[0]?.record.state === 'proposed');
    const id = h.bot.app.engine.experiments.list(1)[0]!.record.id;
    const outsider = await h.click('approve', id, 'U0OUTSIDER');
    expect(JSON.stringify((await h.api.waitForResponse((r) => r.id === outsider.responseId, 5000)).body)).toContain('approval_not_approver');
    await h.click('approve', id, 'U0GROUPIE');
    await waitUntil('approved by a group member', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    expect(h.api.callsTo('usergroups.users.list').length).toBeGreaterThanOrEqual(1);
  });
});

describe('Slack: a workspace that refuses user groups', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness({ approvers: ['U0BOB'], slack: { approverGroup: 'S0SRE', retries: 0 } });
    h.api.setUsergroup('S0SRE', { error: 'paid_teams_only' });
  });
  afterAll(async () => h?.close());

  it('falls back to the configured approvers, says so once, and asks no more', async () => {
    for (let i = 0; i < 2; i++) {
      await h.slash('propose checkout-latency', 'U0ALICE');
      await waitUntil('proposal', () => h.bot.app.engine.experiments.byState(['proposed']).length === i + 1);
    }
    const [a, b] = h.bot.app.engine.experiments.byState(['proposed']);
    await h.click('approve', a!.record.id, 'U0BOB');
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(a!.record.id).record.state === 'approved');
    await h.click('approve', b!.record.id, 'U0BOB');
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(b!.record.id).record.state === 'approved');
    expect(h.api.callsTo('usergroups.users.list')).toHaveLength(1);
  });
});
