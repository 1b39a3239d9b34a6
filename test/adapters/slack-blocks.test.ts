import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { baseActionId, messageToBlocks, SLACK_LIMITS } from '../../src/adapters/chat/slack/blocks.js';
import { escapeMrkdwn, fitMrkdwn, splitMrkdwn } from '../../src/adapters/chat/slack/mrkdwn.js';
import { experimentCard } from '../../src/core/experiment-card.js';
import { errorMessage, message } from '../../src/core/message.js';
import { makePlan, makeRecord, target, T0, MIN } from '../core/fixtures.js';

type Rendered = { text: string; blocks: types.KnownBlock[] };

/** Every limit in SLACK_LIMITS, checked over the whole output, so a new limit cannot go untested. */
function limitViolations(out: Rendered): string[] {
  const bad: string[] = [];
  const check = (what: string, n: number, max: number) => {
    if (n > max) bad.push(`${what}: ${n} > ${max}`);
  };
  check('blocks', out.blocks.length, SLACK_LIMITS.blocks);
  check('fallbackText', out.text.length, SLACK_LIMITS.fallbackText);
  if (out.text.length === 0) bad.push('fallbackText empty');
  out.blocks.forEach((b, i) => {
    if (b.type === 'header') check(`header ${i}`, b.text.text.length, SLACK_LIMITS.headerText);
    if (b.type === 'section') {
      if (!b.text && !b.fields?.length) bad.push(`section ${i} empty`);
      if (b.text) check(`section ${i} text`, b.text.text.length, SLACK_LIMITS.sectionText);
      check(`section ${i} fields`, b.fields?.length ?? 0, SLACK_LIMITS.fieldsPerSection);
      for (const f of b.fields ?? []) check(`section ${i} field`, f.text.length, SLACK_LIMITS.fieldText);
    }
    if (b.type === 'context') {
      check(`context ${i} elements`, b.elements.length, SLACK_LIMITS.contextElements);
      for (const e of b.elements) if ('text' in e && typeof e.text === 'string') check(`context ${i} text`, e.text.length, SLACK_LIMITS.sectionText);
    }
    if (b.type === 'actions') {
      check(`actions ${i} elements`, b.elements.length, SLACK_LIMITS.actionsElements);
      const ids = b.elements.map((e) => ('action_id' in e ? e.action_id : undefined));
      if (new Set(ids).size !== ids.length) bad.push(`actions ${i} duplicate action ids`);
      for (const e of b.elements) {
        if (e.type !== 'button') continue;
        check(`button text`, e.text.text.length, SLACK_LIMITS.buttonText);
        check(`button value`, e.value?.length ?? 0, SLACK_LIMITS.buttonValue);
        check(`button action_id`, e.action_id?.length ?? 0, SLACK_LIMITS.actionId);
        if (e.confirm) {
          check('confirm title', e.confirm.title?.text.length ?? 0, SLACK_LIMITS.confirmTitle);
          check('confirm text', e.confirm.text.text.length, SLACK_LIMITS.confirmText);
        }
      }
    }
  });
  return bad;
}

function allText(out: Rendered): string {
  return JSON.stringify(out.blocks);
}

function sections(out: Rendered): types.SectionBlock[] {
  return out.blocks.filter((b): b is types.SectionBlock => b.type === 'section');
}

function actions(out: Rendered): types.Button[] {
  return out.blocks.flatMap((b) => (b.type === 'actions' ? b.elements.filter((e): e is types.Button => e.type === 'button') : []));
}

const targets = Array.from({ length: 150 }, (_, i) => target(`checkout-${i + 1}`, { namespace: 'shop' }, i === 0 ? 'checkout-1 <primary> & co' : `checkout-${i + 1}`));
const plan = makePlan({
  candidates: 200,
  blastRadius: 'count:150',
  targets,
  guardrails: Array.from({ length: 8 }, (_, i) => ({ name: `error-rate-${i}`, signal: 'prometheus', comparison: '>', threshold: 0.05, forMs: 30_000, maxUnknown: 3 })),
});

describe('messageToBlocks: the experiment card', () => {
  const hypothesis = 'If 150 checkout replicas die, then p99 < 300ms & errors stay low <script>alert(1)</script>';
  const proposed = experimentCard(makeRecord('proposed', null, { plan }), { hypothesis, approvers: ['U_BOB', 'U_CAROL'], now: T0 });
  const out = messageToBlocks(proposed);

  it('stays within every Block Kit limit', () => {
    expect(limitViolations(out)).toEqual([]);
  });

  it('has the title as header, the fields as section fields, the target list shortened', () => {
    expect(out.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'exp-1 · checkout-latency' } });
    const fields = sections(out).flatMap((s) => s.fields ?? []).map((f) => f.text);
    expect(fields.find((f) => f.startsWith('*Will hit*\n'))).toMatch(/^\*Will hit\*\n150 of 200: .*… and 140 more$/);
    expect(fields).toContain('*Proposed by*\nalice (U_ALICE)');
  });

  it('escapes what people and playbooks wrote', () => {
    const text = allText(out);
    expect(text).not.toContain('<script>');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('p99 &lt; 300ms &amp; errors');
    expect(text).toContain('checkout-1 &lt;primary&gt; &amp; co');
    expect(out.text).toContain('&lt;script&gt;');
    expect(out.text).not.toContain('<script>');
    // The bullet the card uses for guardrails survives; the comparison is said in words, not as `>`.
    expect(sections(out).some((s) => s.text?.text.includes('\n• error-rate-0: aborts if above 0.05 for 30 s'))).toBe(true);
  });

  it('buttons carry action ids, values and a confirm dialog when asked', () => {
    const [approve, reject] = actions(out);
    expect(approve).toMatchObject({ type: 'button', action_id: 'approve', value: 'exp-1', style: 'primary', text: { text: 'Approve' } });
    expect(approve?.confirm).toBeUndefined();
    expect(reject).toMatchObject({
      action_id: 'reject',
      value: 'exp-1',
      style: 'danger',
      confirm: { title: { text: 'Reject' }, text: { text: 'Reject exp-1?' }, confirm: { text: 'Yes' }, deny: { text: 'Cancel' }, style: 'danger' },
    });
  });

  it('shows the tone: an aborted experiment gets the siren, a running one a warning, info nothing', () => {
    const aborted = experimentCard(makeRecord('aborted', null, { plan, abort: { by: { id: 'U_BOB' }, at: T0 + 5 * MIN, reason: 'p99 too high', code: 'manual' } }), {
      hypothesis,
      approvers: [],
      now: T0 + 6 * MIN,
    });
    expect(messageToBlocks(aborted).blocks[0]).toMatchObject({ type: 'header', text: { text: ':rotating_light: exp-1 · checkout-latency' } });
    const running = experimentCard(makeRecord('running', 'observing', { plan }), { hypothesis, approvers: [], now: T0 + 4 * MIN });
    const r = messageToBlocks(running);
    expect(r.blocks[0]).toMatchObject({ text: { text: ':warning: exp-1 · checkout-latency' } });
    expect(actions(r).map((b) => b.action_id)).toEqual(['abort']);
    expect(limitViolations(r)).toEqual([]);
  });
});

describe('messageToBlocks: errors, overflow, long lines, duplicate ids', () => {
  it('an error shows its code in a context line and in the fallback text', () => {
    const out = messageToBlocks(errorMessage('approval_self', 'You proposed exp-1, so someone else approves it'));
    expect(out.blocks[0]).toMatchObject({ type: 'header', text: { text: ':x: You proposed exp-1, so someone else approves it' } });
    expect(out.blocks[1]).toMatchObject({ type: 'context', elements: [{ type: 'mrkdwn', text: 'code: `approval_self`' }] });
    expect(out.text).toBe('You proposed exp-1, so someone else approves it (approval_self)');
    expect(limitViolations(out)).toEqual([]);
  });

  it('200 long sections stay within 50 blocks, keep header, fields and buttons, and say what is missing', () => {
    const msg = message({
      title: 'exp-9 · game day',
      fields: Array.from({ length: 12 }, (_, i) => ({ label: `F${i}`, value: `v${i}` })),
      sections: Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(2500)}`),
      buttons: [{ label: 'Abort', actionId: 'abort', value: 'exp-9', style: 'danger' }],
    });
    const out = messageToBlocks(msg);
    expect(out.blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect(limitViolations(out)).toEqual([]);
    expect(out.blocks[0]?.type).toBe('header');
    expect(sections(out).filter((s) => s.fields).flatMap((s) => s.fields ?? [])).toHaveLength(12);
    expect(out.blocks.at(-2)?.type).toBe('actions');
    // header + 2 field sections + actions + note leave 45 of the 200 sections.
    expect(sections(out).filter((s) => s.text)).toHaveLength(45);
    expect(out.blocks.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: '… 155 more lines not shown; `/chaos status exp-9` has the rest' }],
    });
  });

  it('longer text is split at line boundaries; a 10 000-character line is cut under 3000 and says by how much', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `• step ${i}: ${'y'.repeat(60)}`);
    const split = messageToBlocks(message({ sections: [lines.join('\n')] }));
    expect(sections(split).length).toBeGreaterThan(1);
    expect(sections(split).map((s) => s.text?.text).join('\n')).toBe(lines.join('\n'));

    const long = messageToBlocks(message({ sections: ['z'.repeat(10_000)] }));
    expect(limitViolations(long)).toEqual([]);
    const [only] = sections(long);
    expect(only?.text?.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    const shown = only?.text?.text.match(/^z+/)?.[0].length ?? 0;
    expect(only?.text?.text).toBe(`${'z'.repeat(shown)}… (${10_000 - shown} more characters)`);
  });

  it('escaping counts toward the limit and never splits an entity', () => {
    const fitted = fitMrkdwn('&'.repeat(1000), 3000);
    expect(fitted.length).toBeLessThanOrEqual(3000);
    expect(fitted).toMatch(/^(&amp;)+… \(\d+ more characters\)$/);
    expect(escapeMrkdwn('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    expect(splitMrkdwn('\n\n', 3000)).toEqual([]);
  });

  it('duplicate action ids get :2, :3 and baseActionId reverses them', () => {
    const out = messageToBlocks(
      message({
        buttons: [
          { label: 'Abort A', actionId: 'abort', value: 'exp-1' },
          { label: 'Abort B', actionId: 'abort', value: 'exp-2' },
          { label: 'Start', actionId: 'start', value: 'exp-3' },
          { label: 'Abort C', actionId: 'abort', value: 'exp-4' },
        ],
      }),
    );
    const ids = actions(out).map((b) => b.action_id ?? '');
    expect(ids).toEqual(['abort', 'abort:2', 'start', 'abort:3']);
    expect(ids.map(baseActionId)).toEqual(['abort', 'abort', 'start', 'abort']);
    expect(actions(out).map((b) => b.value)).toEqual(['exp-1', 'exp-2', 'exp-3', 'exp-4']);
  });

  it('cuts labels, not values: an overlong value leaves its button out with a note', () => {
    const out = messageToBlocks(
      message({
        title: 't'.repeat(400),
        fields: [{ label: 'Huge', value: 'v'.repeat(5000) }],
        buttons: [
          { label: 'L'.repeat(200), actionId: 'start', value: 'exp-1', confirm: 'Q'.repeat(1000) },
          { label: 'Broken', actionId: 'abort', value: 'x'.repeat(3000) },
        ],
      }),
    );
    expect(limitViolations(out)).toEqual([]);
    expect(actions(out).map((b) => b.action_id)).toEqual(['start']);
    expect(out.blocks.at(-1)).toMatchObject({ type: 'context', elements: [{ text: expect.stringMatching(/^1 button left out/) }] });
  });
});
