import { describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/adapters/chat/console/renderer.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import type { PastRun } from '../../src/core/ladder.js';
import { codeTable, experimentListMessage, gameDayListMessage, historyMessage } from '../../src/core/list-cards.js';
import { statusMessage } from '../../src/core/status-card.js';
import { makeRecord, MIN, T0 } from './fixtures.js';

/** The rows between the fences of the one code block in `section`. */
function tableRows(section: string): string[] {
  const m = /```\n([\s\S]*?)\n```/.exec(section);
  expect(m, section).not.toBeNull();
  return m![1]!.split('\n');
}

/** Where each column starts in a row, found by the header's words. */
const columnStarts = (header: string, words: readonly string[]) => words.map((w) => header.indexOf(w));

describe('tables Slack can align: code blocks or lines, no padding outside code', () => {
  it('codeTable pads each column to its widest cell and fences the block', () => {
    expect(codeTable([['a', 'long value', 'x'], ['bbbb', 'v', 'y']], ['ID', 'VALUE', 'Z'])).toBe(['```', 'ID    VALUE       Z', 'a     long value  x', 'bbbb  v           y', '```'].join('\n'));
  });

  it('/chaos list: the experiments in one aligned code block, the playbooks as a line', () => {
    const recent = [
      { ...makeRecord('running', 'observing'), id: 'exp-a1b2c3', name: 'checkout-latency' },
      { ...makeRecord('completed'), id: 'exp-0f0f0f', name: 'a-much-longer-playbook-name-than-24' },
    ];
    const msg = experimentListMessage(recent, ['checkout-latency', 'checkout-errors']);
    const rows = tableRows(msg.sections[0]!);
    const starts = columnStarts(rows[0]!, ['ID', 'PLAYBOOK', 'STATE', 'VERDICT']);
    expect(rows.slice(1).map((r) => starts.map((s) => r.slice(s).split(/\s{2,}/)[0]))).toEqual([
      ['exp-a1b2c3', 'checkout-latency', 'running/observing', ''],
      ['exp-0f0f0f', 'a-much-longer-playbook-name-than-24', 'completed', 'held'],
    ]);
    expect(msg.sections[1]).toBe('Playbooks: checkout-latency, checkout-errors');
    expect(experimentListMessage([], []).sections).toEqual(['None yet.', 'Playbooks: (none loaded)']);
    expect(msg.ephemeral).toBe(true);
  });

  it('/chaos gameday list: the game days in one aligned code block', () => {
    const gd = (id: string, name: string, state: GameDayRecord['state'], next: number) => ({ id, name, state, next, steps: [{}, {}, {}] }) as unknown as GameDayRecord;
    const msg = gameDayListMessage([gd('gd-1a2b', 'checkout-latency-gameday', 'checkpoint', 1), gd('gd-3c4d', 'short', 'completed', 3)], ['checkout-latency-gameday']);
    const rows = tableRows(msg.sections[0]!);
    const starts = columnStarts(rows[0]!, ['ID', 'GAME DAY', 'STATE', 'STEP']);
    expect(rows.slice(1).map((r) => starts.map((s) => r.slice(s).split(/\s{2,}/)[0]))).toEqual([
      ['gd-1a2b', 'checkout-latency-gameday', 'checkpoint', '2/3'],
      ['gd-3c4d', 'short', 'completed', '3/3'],
    ]);
    expect(msg.sections[1]).toBe('Game days you can start: checkout-latency-gameday');
  });

  it('/chaos history: per scope a heading line, then its runs in a code block', () => {
    const run = (id: string, targets: number, verdict: PastRun['verdict'], endedAt: number): PastRun => ({ id, scope: 'process:service=checkout', faultType: 'latency', blastRadius: targets === 1 ? 'one' : `count:${targets}`, targets, candidates: 3, verdict, state: 'completed', endedAt });
    const msg = historyMessage([run('exp-000001', 1, 'held', T0), run('exp-000002', 2, 'refuted', T0 + MIN)], undefined, T0 + 10 * MIN);
    const [section] = msg.sections;
    expect(section!.split('\n')[0]).toBe('process:service=checkout: largest radius that held: one (1 of 3, exp-000001)');
    const rows = tableRows(section!);
    expect(rows[0]).toMatch(/^RUN\s+ENDED\s+FAULT\s+RADIUS \(HIT\)\s+RESULT$/);
    const starts = columnStarts(rows[0]!, ['RUN', 'ENDED', 'FAULT', 'RADIUS', 'RESULT']);
    expect(rows.slice(1).map((r) => starts.map((s) => r.slice(s).split(/\s{2,}/)[0]))).toEqual([
      ['exp-000002', '9m ago', 'latency', 'count:2 (2/3)', 'completed · refuted'],
      ['exp-000001', '10m ago', 'latency', 'one (1/3)', 'completed · held'],
    ]);
  });

  it('/chaos status: one line per experiment or game day, the id in inline code, no padded columns', () => {
    const gd = { id: 'gd-9e9e', name: 'checkout-latency-gameday', state: 'running', next: 1, steps: [{}, {}, {}] } as unknown as GameDayRecord;
    const msg = statusMessage({ halt: null, experiments: [makeRecord('running', 'observing'), makeRecord('proposed')], gameDays: [gd], limit: 1 });
    expect(msg.sections[0]!.split('\n')).toEqual([
      '• `exp-1` checkout-latency · running / observing',
      '… and more; /chaos list shows the recent ones',
      '• `gd-9e9e` game day checkout-latency-gameday · running, step 2 of 3',
    ]);
    expect(msg.title).toBe('Chaos is enabled');
  });

  it('reads in the console too: the fences on their own lines, the columns still aligned', () => {
    const text = renderMessage(experimentListMessage([{ ...makeRecord('proposed'), id: 'exp-a1b2c3' }], ['checkout-latency']));
    expect(text.split('\n')).toEqual(['· Experiments', '  ```', '  ID          PLAYBOOK          STATE     VERDICT', '  exp-a1b2c3  checkout-latency  proposed', '  ```', '  Playbooks: checkout-latency']);
  });
});
