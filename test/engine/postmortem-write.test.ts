import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { Experiment } from '../../src/core/playbook.js';
import { gameDayReportPath } from '../../src/reports/gameday/gameday-report-path.js';
import { buildPostmortemView, postmortemPath, renderPostmortem, writePostmortem, type PostmortemInput } from '../../src/reports/postmortem/postmortem.js';
import { makeRecord, T0 } from '../core/fixtures.js';

const TEMPLATE_PATH = fileURLToPath(new URL('../../templates/postmortem.md.hbs', import.meta.url));

const spec = Experiment.parse({
  kind: 'Experiment',
  name: 'checkout-latency',
  hypothesis: 'If one checkout replica dies, p99 stays under 300ms',
  owner: 'team-checkout',
  target: { adapter: 'process' },
  fault: { type: 'kill', duration: '5m' },
  guardrails: [{ name: 'error-rate', signal: { source: 'http' }, comparison: '>', threshold: 0.05 }],
});

const input = (id = 'exp-42'): PostmortemInput => ({
  record: makeRecord('completed', null, { id }),
  spec,
  events: [{ seq: 1, at: T0, actor: 'U_ALICE', kind: 'injected', experimentId: id, data: { handleId: 'fh-1' } }],
  draftedAt: T0,
});
const render = async (i: PostmortemInput) => renderPostmortem(await readFile(TEMPLATE_PATH, 'utf8'), buildPostmortemView(i), 'postmortem.md.hbs');

describe('template errors and writing', () => {
  const view = () => buildPostmortemView(input());

  it.each([
    ['an unclosed block', '{{#if summary}}oops'],
    ['an unknown field', '{{summry}}'],
    ['an unknown helper', '{{shout summary}}'],
  ])('%s → template_error naming the template', (_what, source) => {
    let caught: unknown;
    try {
      renderPostmortem(source, view(), 'broken.md.hbs');
    } catch (err) {
      caught = err;
    }
    expect(isFaultlineError(caught, 'template_error')).toBe(true);
    expect((caught as Error).message).toContain('broken.md.hbs');
  });

  it('does not escape Markdown or HTML-looking text', () => {
    expect(renderPostmortem('{{hypothesis}}', { ...view(), hypothesis: 'p99 < 300ms & "ok"' }, 't')).toBe('p99 < 300ms & "ok"');
  });

  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('writePostmortem writes <outDir>/<id>.md, creating the folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-pm-'));
    dirs.push(dir);
    const outDir = join(dir, 'data', 'postmortems');
    const i = input();
    const path = await writePostmortem({ templatePath: TEMPLATE_PATH, outDir, ...i });
    expect(path).toBe(join(outDir, 'exp-42.md'));
    expect(await readFile(path, 'utf8')).toBe(await render(i));
    // a second draft overwrites the first
    expect(await writePostmortem({ templatePath: TEMPLATE_PATH, outDir, ...i })).toBe(path);
  });

  it('writePostmortem with a missing template → template_error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-pm-'));
    dirs.push(dir);
    await expect(writePostmortem({ templatePath: join(dir, 'nope.hbs'), outDir: dir, ...input() })).rejects.toMatchObject({ code: 'template_error' });
  });
});

describe('file names', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('a record id cannot escape the output folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-pm-'));
    dirs.push(dir);
    const path = await writePostmortem({ templatePath: TEMPLATE_PATH, outDir: dir, ...input('../../etc/evil') });
    expect(dirname(path)).toBe(dir);
    expect(basename(path)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*\.md$/);
  });
});

describe('post-mortem of a game-day step', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const outDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'faultline-gdpm-'));
    dirs.push(dir);
    return join(dir, 'postmortems');
  };

  it('names the step and the game-day report path, linked by file name', async () => {
    const dir = await outDir();
    const record = makeRecord('completed', null, { id: 'exp-7', gameDay: { id: 'gd-1a2b3c', step: 1 } });
    const path = await writePostmortem({ templatePath: TEMPLATE_PATH, outDir: dir, record, spec, events: [], draftedAt: T0 });
    expect(path).toBe(postmortemPath(dir, 'exp-7'));
    const md = await readFile(path, 'utf8');
    const report = gameDayReportPath(dir, 'gd-1a2b3c');
    expect(report).toBe(join(dir, 'gd-1a2b3c-gameday-report.md'));
    expect(md).toContain(`Step 2 of game day \`gd-1a2b3c\` — report: [${report}](gd-1a2b3c-gameday-report.md)`);
    // The line sits under the header, before the summary.
    expect(md.indexOf('Step 2 of game day')).toBeLessThan(md.indexOf('## Summary'));
  });

  it('an ordinary experiment has no game-day line', async () => {
    const dir = await outDir();
    const record = makeRecord('completed', null, { id: 'exp-8' });
    const md = await readFile(await writePostmortem({ templatePath: TEMPLATE_PATH, outDir: dir, record, spec, events: [], draftedAt: T0 }), 'utf8');
    expect(md).not.toMatch(/game day|gameday-report/i);
    expect(buildPostmortemView({ record, spec, events: [], draftedAt: T0 }).gameDay).toBeNull();
  });

  it('without a report folder the view still names the report by file name', () => {
    const record = makeRecord('aborted', null, { id: 'exp-9', gameDay: { id: 'gd-x', step: 0 } });
    expect(buildPostmortemView({ record, spec, events: [], draftedAt: T0 }).gameDay).toEqual({
      id: 'gd-x',
      step: 1,
      report: 'gd-x-gameday-report.md',
      link: 'gd-x-gameday-report.md',
    });
  });

  it('the report path keeps a hostile id inside the folder', () => {
    expect(gameDayReportPath('/data/pm', '../../etc/passwd')).toBe('/data/pm/__.._etc_passwd-gameday-report.md');
  });
});
