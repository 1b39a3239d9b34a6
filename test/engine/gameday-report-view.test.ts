import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/core/actor.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { buildGameDayReportView, loadGameDayReportInput, renderGameDayReport, type GameDayReportInput } from '../../src/reports/gameday/gameday-report.js';
import { openStore, type Store } from '../../src/store/index.js';
import { bob, carol, MIN, T0 } from '../core/fixtures.js';
import { DRAFTED_AT, gameDayRecord, seedStore, stepSpec } from './gameday-report-fixture.js';

const TEMPLATE_PATH = fileURLToPath(new URL('../../templates/gameday-report.md.hbs', import.meta.url));

let dir: string;
let store: Store;
let template: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faultline-gdview-'));
  store = openStore({ path: join(dir, 'faultline.db') });
  seedStore(store, dir);
  template = await readFile(TEMPLATE_PATH, 'utf8');
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const input = (over: Partial<GameDayRecord> = {}): GameDayReportInput => loadGameDayReportInput(store, gameDayRecord(dir, over), { postmortemDir: dir, draftedAt: DRAFTED_AT });
const render = (i: GameDayReportInput) => renderGameDayReport(buildGameDayReportView(i), template);

describe('game-day report view', () => {
  it('a completed game day says so and lists every step that ran', () => {
    const view = buildGameDayReportView(input({ state: 'completed', closedBy: null }));
    expect(view.outcome).toBe('Completed: 2 of 3 steps ran.');
  });

  it('an interrupted game day says the bot stopped, and who closed it when known', () => {
    expect(buildGameDayReportView(input({ state: 'interrupted', closedBy: null })).outcome).toBe(
      'Interrupted: the bot stopped while the game day was in progress; start-up reconcile reverted what was injected. 2 of 3 steps ran.',
    );
    const closed = buildGameDayReportView(input({ state: 'interrupted', closedBy: { by: SYSTEM, at: T0 + 14 * MIN, reason: 'restart during step 2' } }));
    expect(closed.outcome).toBe('Interrupted by faultline (bot) at 2025-01-15T10:14:00Z: restart during step 2. 2 of 3 steps ran.');
    expect(closed.steps[2]!.notRunReason).toBe('**Not run:** the game day was interrupted before this step.');
  });

  it('a cancelled game day names who cancelled it and why', () => {
    const view = buildGameDayReportView(input({ state: 'cancelled', closedBy: { by: bob, at: T0 + 9 * MIN, reason: 'payments incident' } }));
    expect(view.outcome).toBe('Cancelled by bob (U_BOB) at 2025-01-15T10:09:00Z: payments incident. 2 of 3 steps ran.');
  });

  it('an aborted game day with no closing note takes the abort from the step', () => {
    const view = buildGameDayReportView(input({ closedBy: null }));
    expect(view.outcome).toBe('Aborted at step 2 (Half of checkout) by faultline (bot): guardrail breached: error-rate (0.12 > 0.05 for 30s of 30s). 2 of 3 steps ran.');
  });

  it('a game day still on hold is provisional and shows the hold reason', () => {
    const view = buildGameDayReportView(input({ state: 'held', closedBy: null, endedAt: null, holdReason: 'commander away' }));
    expect(view.outcome).toBe('Held: commander away; this report is provisional. 2 of 3 steps ran so far.');
    expect(view.duration).toBeNull();
    expect(view.steps[2]!.notRunReason).toBe('**Not run:** next, waiting for the checkpoint.');
  });

  it('an automatic checkpoint names the bot', () => {
    const view = buildGameDayReportView(input({ decisions: [{ beforeStep: 1, choice: 'auto', by: SYSTEM, at: T0 + 8 * MIN, reason: 'step 1 held' }] }));
    expect(view.decisions).toEqual([{ beforeStep: '2 — Half of checkout', choice: 'auto', during: null, who: 'faultline (bot, autoContinue)', time: '2025-01-15T10:08:00Z', rel: 'T+03:00', reason: 'step 1 held' }]);
  });

  it('without PagerDuty on any step the detection section is left out', () => {
    const i = input();
    const withoutPd = { ...i, experiments: i.experiments.map((e) => ({ ...e, spec: stepSpec() })) };
    const md = render(withoutPd);
    expect(md).not.toContain('## Detection record');
    expect(render(i)).toContain('## Detection record');
  });

  it('user text cannot break a table: pipes are escaped and line breaks folded', () => {
    const md = render(input({ decisions: [{ beforeStep: 1, choice: 'hold', by: carol, at: T0 + 8 * MIN, reason: 'a | b\nc' }] }));
    expect(md).toContain('| 2 — Half of checkout | **hold** | carol (U_CAROL) | 2025-01-15T10:08:00Z | T+03:00 | a \\| b c |');
  });

  it('a step whose post-mortem is not journaled yet points at where the runner will write it', () => {
    const i = input();
    const events = i.experiments[1]!.events.filter((e) => e.kind !== 'postmortem');
    const view = buildGameDayReportView({ ...i, experiments: [i.experiments[0]!, { ...i.experiments[1]!, events }] });
    expect(view.steps[1]!.postmortem).toEqual({ path: 'exp-gd2.md', link: 'exp-gd2.md', written: false });
    expect(renderGameDayReport(view, template)).toContain('Post-mortem of this step: [exp-gd2.md](exp-gd2.md) (not written yet)');
  });

  it('a step experiment missing from the store is listed from its approved plan and what the game day recorded', () => {
    const i = input();
    const view = buildGameDayReportView({ ...i, experiments: [i.experiments[0]!] });
    expect(view.steps[1]).toMatchObject({ ran: false, status: 'refuted (details missing)', experimentId: 'exp-gd2', blastRadius: 'percent:50', targets: 'checkout-2, checkout-3' });
    expect(renderGameDayReport(view, template)).toContain('**Details missing:** experiment `exp-gd2` (aborted, refuted) is not in the store.');
  });
});
