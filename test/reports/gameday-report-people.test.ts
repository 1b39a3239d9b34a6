import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { buildGameDayReportView, loadGameDayReportInput, renderGameDayReport } from '../../src/reports/gameday/gameday-report.js';
import { openStore, type Store } from '../../src/store/index.js';
import { alice, bob, carol, MIN, T0 } from '../core/fixtures.js';
import { dave, DRAFTED_AT, gameDayRecord, GD_ID, seedStore } from '../engine/gameday-report-fixture.js';

/*
 * What the people wrote from the thread lands in the report under the step it belongs to: notes and
 * conclusions with who and when, action items in one table with owner and due date, and who was
 * commander when. The journal entries have their own timeline lines.
 */

const TEMPLATE = fileURLToPath(new URL('../../templates/gameday-report.md.hbs', import.meta.url));

let dir: string;
let store: Store | undefined;
afterEach(async () => {
  store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

const people: Partial<GameDayRecord> = {
  notes: [
    { kind: 'note', by: dave, at: T0 + 4 * MIN, step: null, scribe: true, text: 'baseline p99 180 ms' },
    { kind: 'note', by: bob, at: T0 + 6 * MIN, step: 0, scribe: false, text: 'cache hit ratio dipped\nthen recovered' },
    { kind: 'conclusion', by: carol, at: T0 + 8 * MIN, step: 0, scribe: false, text: 'one replica lost is absorbed by the retry budget' },
    { kind: 'conclusion', by: alice, at: T0 + 14 * MIN, step: 1, scribe: false, text: 'half the pods is too many: error rate breached' },
  ],
  actions: [
    { number: 1, owner: bob.id, text: 'alert on cache hit ratio | p99', due: '2025-02-01', by: dave, at: T0 + 7 * MIN, step: 0 },
    { number: 2, owner: 'U_ERIN', text: 'raise the retry budget', due: null, by: alice, at: T0 + 15 * MIN, step: 1 },
  ],
  roleHistory: [{ role: 'commander', from: carol.id, to: alice.id, by: carol, at: T0 + 9 * MIN, authority: 'commander', step: 0 }],
  roles: { commander: alice.id, scribe: dave.id, observers: [] },
};

async function view() {
  dir = await mkdtemp(join(tmpdir(), 'faultline-gdpeople-'));
  store = openStore({ path: join(dir, 'faultline.db') });
  const record = gameDayRecord(dir, people);
  seedStore(store, dir, record);
  const at = (m: number) => T0 + m * MIN;
  store.append({ at: at(6), actor: bob.id, kind: 'gameday-note', experimentId: GD_ID, data: { kind: 'note', step: 0, scribe: false, text: 'cache hit ratio dipped' } });
  store.append({ at: at(8), actor: carol.id, kind: 'gameday-conclusion', experimentId: GD_ID, data: { kind: 'conclusion', step: 0, scribe: false, text: 'absorbed' } });
  store.append({ at: at(7), actor: dave.id, kind: 'gameday-action', experimentId: GD_ID, data: { number: 1, owner: bob.id, text: 'alert on cache hit ratio', due: '2025-02-01', step: 0 } });
  store.append({ at: at(9), actor: carol.id, kind: 'gameday-handover', experimentId: GD_ID, data: { role: 'commander', from: carol.id, to: alice.id, authority: 'commander', step: 0 } });
  return buildGameDayReportView(loadGameDayReportInput(store, record, { postmortemDir: dir, draftedAt: DRAFTED_AT }));
}

describe('the game-day report with notes, conclusions, action items and hand-overs', () => {
  it('puts each under its step, the action items in a table with owner and due date, and the role history', async () => {
    const v = await view();
    const md = renderGameDayReport(v, await readFile(TEMPLATE, 'utf8'));
    expect(md).not.toMatch(/undefined|\[object Object\]|NaN|\{\{/);

    const step = (n: number) => md.slice(md.indexOf(`### Step ${n}:`), md.indexOf(n === 3 ? '## Checkpoint decisions' : `### Step ${n + 1}:`));
    expect(md).toContain('Observations before step 1:\n- Note by dave (U_DAVE) (scribe) at 2025-01-15T10:04:00Z `T-01:00`: baseline p99 180 ms');
    expect(step(1)).toContain("The team's conclusion:\n- Conclusion by carol (U_CAROL) at 2025-01-15T10:08:00Z `T+03:00`: one replica lost is absorbed by the retry budget");
    expect(step(1)).toContain('Observations:\n- Note by bob (U_BOB) at 2025-01-15T10:06:00Z `T+01:00`: cache hit ratio dipped then recovered');
    expect(step(1)).toContain('Action items from this step: #1 alert on cache hit ratio \\| p99 (bob (U_BOB)).');
    expect(step(2)).toContain('Conclusion by alice (U_ALICE) at 2025-01-15T10:14:00Z `T+09:00`: half the pods is too many: error rate breached');
    expect(step(2)).toContain('#2 raise the retry budget (U_ERIN)');
    expect(step(2)).not.toContain('one replica lost');
    expect(step(3)).not.toMatch(/Conclusion|Observations|Action items from/);

    expect(md).toContain(
      [
        '| # | Action | Owner | Due | From | Added by |',
        '|---|---|---|---|---|---|',
        '| 1 | alert on cache hit ratio \\| p99 | bob (U_BOB) | 2025-02-01 | step 1 (One replica) | dave (U_DAVE) at 2025-01-15T10:07:00Z |',
        '| 2 | raise the retry budget | U_ERIN | — | step 2 (Half of checkout) | alice (U_ALICE) at 2025-01-15T10:15:00Z |',
      ].join('\n'),
    );
    expect(md).not.toContain('_Action_ — owner: _team_');

    expect(md).toContain(
      [
        '| Role | Who | From (UTC) | Until (UTC) | How |',
        '|---|---|---|---|---|',
        '| commander | carol (U_CAROL) | 2025-01-15T10:00:00Z | 2025-01-15T10:09:00Z | named in the file |',
        '| commander | alice (U_ALICE) | 2025-01-15T10:09:00Z | 2025-01-15T10:13:30Z | handed over by carol (U_CAROL) |',
      ].join('\n'),
    );

    const texts = v.timeline.map((t) => t.text);
    expect(texts).toContain('Note by bob (U_BOB) on step 1 (One replica): cache hit ratio dipped');
    expect(texts).toContain('Conclusion by carol (U_CAROL) on step 1 (One replica): absorbed');
    expect(texts).toContain('Action item #1 for bob (U_BOB) (due 2025-02-01), added by dave (U_DAVE) on step 1 (One replica): alert on cache hit ratio');
    expect(texts).toContain('Commander handed over from carol (U_CAROL) to alice (U_ALICE)');
  });

  it('a take-over after the timeout says so; a day without action items keeps the prompts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'faultline-gdpeople-'));
    store = openStore({ path: join(dir, 'faultline.db') });
    const record = gameDayRecord(dir, { roleHistory: [{ role: 'commander', from: carol.id, to: bob.id, by: bob, at: T0 + 9 * MIN, authority: 'timeout', step: 0 }] });
    seedStore(store, dir, record);
    const v = buildGameDayReportView(loadGameDayReportInput(store, record, { postmortemDir: dir, draftedAt: DRAFTED_AT }));
    expect(v.roleHistory.filter((r) => r.role === 'commander').at(-1)).toEqual({ role: 'commander', who: 'bob (U_BOB)', from: '2025-01-15T10:09:00Z', until: '2025-01-15T10:13:30Z', how: 'taken over by bob (U_BOB), the commander silent past the timeout' });
    const md = renderGameDayReport(v, await readFile(TEMPLATE, 'utf8'));
    expect(md).toContain('- [ ] _Action_ — owner: _team_ — due: _date_');
    expect(md).not.toContain("The team's conclusion");
  });
});
