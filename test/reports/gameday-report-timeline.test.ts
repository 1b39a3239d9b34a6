import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGameDayReportView, loadGameDayReportInput, renderGameDayReport } from '../../src/reports/gameday/gameday-report.js';
import { refusalSummary } from '../../src/reports/gameday/gameday-report-timeline.js';
import { openStore, type Store } from '../../src/store/index.js';
import { alice, carol, MIN, T0 } from '../core/fixtures.js';
import { DRAFTED_AT, gameDayRecord, GD_ID, seedStore } from '../engine/gameday-report-fixture.js';

/*
 * The journal can hold more than the engine writes today (another part adds notes, hand-overs,
 * holds typed during a step) and, after a bug or a hand edit, entries whose data is malformed: the
 * report words every one of them as a sentence or leaves it out, and never dumps its data.
 */

const TEMPLATE = fileURLToPath(new URL('../../templates/gameday-report.md.hbs', import.meta.url));
const S = 1000;

let dir: string;
let store: Store | undefined;
afterEach(async () => {
  store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function seeded(): Promise<Store> {
  dir = await mkdtemp(join(tmpdir(), 'faultline-gdtimeline-'));
  store = openStore({ path: join(dir, 'faultline.db') });
  seedStore(store, dir);
  return store;
}

const add = (s: Store, at: number, actor: string, kind: string, experimentId: string, data: Record<string, unknown>) => void s.append({ at, actor, kind, experimentId, data });

describe('game-day report timeline', () => {
  it('kinds it does not know read as sentences, refusals become one summary line, malformed step entries stay out', async () => {
    const s = await seeded();
    add(s, T0 + 3 * MIN, alice.id, 'refused', GD_ID, { text: `/chaos gameday approve ${GD_ID}`, command: 'gameday', channel: '#chaos', code: 'approval_self', message: 'you proposed it' });
    add(s, T0 + 4 * MIN, 'U_DAVE', 'refused', GD_ID, { text: `/chaos gameday continue ${GD_ID}`, command: 'gameday', channel: '#chaos', code: 'gameday_role', message: 'only the commander' });
    add(s, T0 + 12 * MIN + 30 * S, 'U_ERIN', 'refused', 'exp-gd2', { command: 'approve', channel: '#chaos', code: 'approval_self', message: 'nope' });
    add(s, T0 + 6 * MIN, 'U_DAVE', 'gameday-note', GD_ID, { step: 0, text: 'checkout p99 rose before the fault went in', scribe: true });
    add(s, T0 + 9 * MIN, carol.id, 'gameday-handover', GD_ID, { from: carol.id, to: alice.id });
    add(s, T0 + 9 * MIN + S, carol.id, 'gameday-transition', GD_ID, { event: 'handover', from: 'held', to: 'held', next: 1 });
    add(s, T0 + 12 * MIN + 40 * S, 'faultline', 'breach', 'exp-gd2', { detail: 'no guardrail named' });

    const view = buildGameDayReportView(loadGameDayReportInput(s, gameDayRecord(dir), { postmortemDir: dir, draftedAt: DRAFTED_AT }));
    const texts = view.timeline.map((t) => t.text);
    for (const text of texts) expect(text).not.toMatch(/[{}[\]]|"\w+"\s*:/);
    // Notes and hand-overs have their own sentences; a transition kind not known by name is still one.
    expect(texts).toContain('Note by U_DAVE (scribe) on step 1 (One replica): checkout p99 rose before the fault went in');
    expect(texts).toContain('Commander handed over from carol (U_CAROL) to alice (U_ALICE)');
    expect(texts).toContain('Handover by carol (U_CAROL)');
    expect(texts.filter((t) => t.startsWith('Handover by'))).toHaveLength(1);
    expect(texts.join('\n')).not.toMatch(/refused|no guardrail named/i);
    expect(view.refusals).toBe('3 commands were refused: 2 × approval_self by alice (U_ALICE), U_ERIN; 1 × gameday_role by U_DAVE.');

    const md = renderGameDayReport(view, await readFile(TEMPLATE, 'utf8'));
    expect(md).toContain('- `2025-01-15T10:13:30Z` `T+08:30` — Step ended; the game day goes running → aborted\n\n3 commands were refused:');
  });

  it('no refusal, no summary line', async () => {
    const s = await seeded();
    const view = buildGameDayReportView(loadGameDayReportInput(s, gameDayRecord(dir), { postmortemDir: dir, draftedAt: DRAFTED_AT }));
    expect(view.refusals).toBeNull();
    expect(renderGameDayReport(view, await readFile(TEMPLATE, 'utf8'))).not.toContain('refused');
    expect(refusalSummary([{ seq: 1, at: T0, actor: 'U_DAVE', kind: 'refused', experimentId: GD_ID, data: { code: 'gameday_role' } }], (id) => id)).toBe('1 command was refused: 1 × gameday_role by U_DAVE.');
  });

  it('decisions are rendered as the record has them; one typed while a step ran says so', async () => {
    const s = await seeded();
    const record = gameDayRecord(dir, {
      decisions: [
        { beforeStep: 0, choice: 'continue', by: carol, at: T0 + 5 * MIN, reason: null },
        { beforeStep: 1, choice: 'hold', by: carol, at: T0 + 6 * MIN, reason: 'typed while step 1 ran' },
        { beforeStep: 1, choice: 'continue', by: carol, at: T0 + 11 * MIN + 50 * S, reason: null },
        { beforeStep: 2, choice: 'abort', by: alice, at: T0 + 12 * MIN + 30 * S, reason: 'pulled mid-step' },
      ],
    });
    const view = buildGameDayReportView(loadGameDayReportInput(s, record, { postmortemDir: dir, draftedAt: DRAFTED_AT }));
    expect(view.decisions.map((d) => [d.choice, d.during])).toEqual([
      ['continue', null],
      ['hold', 'typed during step 1'],
      ['continue', null],
      ['abort', 'typed during step 2'],
    ]);
    const md = renderGameDayReport(view, await readFile(TEMPLATE, 'utf8'));
    expect(md).toContain('| 2 — Half of checkout | **hold** (typed during step 1) | carol (U_CAROL) | 2025-01-15T10:06:00Z | T+01:00 | typed while step 1 ran |');
    expect(md).toContain('| 3 — Every replica \\| whole service | **abort** (typed during step 2) | alice (U_ALICE) |');
  });
});
