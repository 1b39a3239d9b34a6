import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { buildGameDayReportView, gameDayReportPath, loadGameDayReportInput, renderGameDayReport, writeGameDayReport } from '../../src/reports/gameday/gameday-report.js';
import { openStore, type Store } from '../../src/store/index.js';
import { DRAFTED_AT, gameDayRecord, GD_ID, seedStore } from './gameday-report-fixture.js';

const TEMPLATE_PATH = fileURLToPath(new URL('../../templates/gameday-report.md.hbs', import.meta.url));
const GOLDEN = fileURLToPath(new URL('../fixtures/gameday/report.golden.md', import.meta.url));

let dir: string;
let store: Store | undefined;
afterEach(async () => {
  store?.close();
  store = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function seeded(): Promise<{ store: Store; dir: string }> {
  dir = await mkdtemp(join(tmpdir(), 'faultline-gdreport-'));
  store = openStore({ path: join(dir, 'faultline.db') });
  seedStore(store, join(dir, 'postmortems'));
  return { store, dir };
}

describe('game-day report', () => {
  it('renders the three-step game day exactly as the golden file', async () => {
    const { store, dir } = await seeded();
    const pmDir = join(dir, 'postmortems');
    const record = gameDayRecord(pmDir);
    const path = await writeGameDayReport({ store, clock: { now: () => DRAFTED_AT }, templatePath: TEMPLATE_PATH, postmortemDir: pmDir }, record);
    expect(path).toBe(gameDayReportPath(pmDir, GD_ID));
    const md = await readFile(path, 'utf8');
    if (process.env.UPDATE_GOLDEN === '1') await writeFile(GOLDEN, md, 'utf8');
    expect(md).toBe(await readFile(GOLDEN, 'utf8'));
    expect(md).not.toMatch(/undefined|\[object Object\]|NaN|\{\{/);
  });

  it('reads the steps and both journals from the store', async () => {
    const { store, dir } = await seeded();
    const input = loadGameDayReportInput(store, gameDayRecord(dir), { postmortemDir: dir, draftedAt: DRAFTED_AT });
    expect(input.experiments.map((e) => e.record.id)).toEqual(['exp-gd1', 'exp-gd2']);
    expect(input.experiments[1]!.events.some((e) => e.kind === 'breach')).toBe(true);
    expect(input.events.filter((e) => e.kind === 'gameday-transition').map((e) => e.data.event)).toEqual([
      'approve', 'continue', 'step-started', 'step-ended', 'hold', 'commander-seen', 'continue', 'step-started', 'step-ended',
    ]);
    const view = buildGameDayReportView(input);
    expect(view.steps.map((s) => s.status)).toEqual(['held', 'aborted (refuted)', 'not run']);
    expect(view.steps[1]!.guardrails[0]).toMatchObject({ name: 'error-rate', samples: 4, last: '0.12', worst: '0.12', status: 'breach' });
    expect(view.steps[1]!.guardrails[1]).toMatchObject({ name: 'p99-latency', last: '760', worst: '910' });
    expect(view.decisions.map((d) => d.choice)).toEqual(['continue', 'hold', 'continue']);
    // Transitions that change nothing, and the report's own entry, stay out of the timeline.
    expect(view.timeline.map((t) => t.text).join('\n')).not.toMatch(/commander-seen|Report|step-started/);
    expect(view.detection.map((d) => d.number)).toEqual([2]);
  });

  it('writes into a folder that does not exist yet', async () => {
    const { store, dir } = await seeded();
    const deep = join(dir, 'a', 'b', 'reports');
    const record = gameDayRecord(deep);
    const path = await writeGameDayReport({ store, clock: { now: () => DRAFTED_AT }, templatePath: TEMPLATE_PATH, postmortemDir: deep }, record);
    expect(path).toBe(join(deep, `${GD_ID}-gameday-report.md`));
    expect(await readFile(path, 'utf8')).toContain('# Game-day report: Checkout survives losing replicas — gd-1a2b3c');
  });

  it('a missing template is a template_error naming it', async () => {
    const { store, dir } = await seeded();
    const err = await writeGameDayReport({ store, clock: { now: () => DRAFTED_AT }, templatePath: join(dir, 'nope.md.hbs'), postmortemDir: dir }, gameDayRecord(dir)).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'template_error')).toBe(true);
    expect((err as Error).message).toContain('game-day report template nope.md.hbs cannot be read');
  });

  it('a template naming a field the view lacks is a template_error', async () => {
    const { store, dir } = await seeded();
    const view = buildGameDayReportView(loadGameDayReportInput(store, gameDayRecord(dir), { postmortemDir: dir, draftedAt: DRAFTED_AT }));
    let caught: unknown;
    try {
      renderGameDayReport(view, '{{titel}}', 'broken.md.hbs');
    } catch (err) {
      caught = err;
    }
    expect(isFaultlineError(caught, 'template_error')).toBe(true);
    expect((caught as Error).message).toContain('broken.md.hbs');
  });
});
