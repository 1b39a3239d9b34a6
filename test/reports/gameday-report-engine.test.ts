import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { createHttpSource, HttpSignalConfig, httpSignalSchema } from '../../src/adapters/signals/http/index.js';
import type { Actor } from '../../src/core/actor.js';
import type { TargetDriver } from '../../src/core/ports.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { GameDaySpec } from '../../src/core/gameday.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { Experiment } from '../../src/core/playbook.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import type { LoadedGameDay, LoadedPlaybook } from '../../src/playbooks/load-playbooks.js';
import { buildGameDayReportView, loadGameDayReportInput, renderGameDayReport } from '../../src/reports/gameday/gameday-report.js';
import { openStore, type Store } from '../../src/store/index.js';
import { alice, baseSettings, bob, CANDIDATES, carol, waitFor } from '../engine/engine-harness.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';

/*
 * Game days run through the real engine, with guardrails read by the real http signal source from a
 * local stats endpoint (as the sandbox's `p99Ms` and `errorRate`), then the report as written.
 */

const TEMPLATE = fileURLToPath(new URL('../../templates/gameday-report.md.hbs', import.meta.url));
const dave: Actor = { id: 'dave', team: 'T1', name: 'Dave' };

const stats = { p99Ms: 240, errorRate: 0.012 };
let server: Server;
let statsUrl: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(stats));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  statsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const playbookYaml = () => `
kind: Experiment
name: web-latency
hypothesis: If some web replicas slow down, p99 stays under 800 ms and errors under 5 %
owner: team-web
channel: '#chaos'
target: { adapter: memory, selector: { service: web }, blastRadius: 'percent:50' }
fault: { type: latency, parameters: { ms: 250 }, duration: 400ms }
guardrails:
  - { name: p99 latency, signal: { source: http, url: '${statsUrl}', path: p99Ms }, comparison: '>', threshold: 800 }
  - { name: error rate, signal: { source: http, url: '${statsUrl}', path: errorRate }, comparison: '>', threshold: 0.05 }
`;

const gameDayYaml = (durations: string[]) => `
kind: GameDay
name: web-gameday
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol, scribe: dave, observers: [erin] }
steps:
${durations.map((d, i) => `  - { playbook: web-latency, blastRadius: '${['one', 'count:2', 'percent:100'][i]}', duration: ${d} }`).join('\n')}
`;

interface Bot {
  dir: string;
  store: Store;
  engine: Engine;
  target: MemoryTarget;
}

interface BotOptions {
  /** A store (and target) left by an earlier bot: this one is its restart. */
  reuse?: { dir: string; target: MemoryTarget };
  /** How this bot reaches the target (default: directly); a severed link is a dead process. */
  driver?: TargetDriver;
}

/** The engine as the bot builds it, on a store in `dir` (a second one on the same dir is a restart). */
function startBot(durations: string[], opts: BotOptions = {}): Bot {
  const { reuse } = opts;
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'faultline-gdreport-'));
  const store = openStore({ path: join(dir, 'faultline.db') });
  const target = reuse?.target ?? new MemoryTarget(CANDIDATES);
  const raw = parseYaml(playbookYaml()) as Record<string, unknown>;
  const playbook = Experiment.parse(raw);
  playbook.target = target.schemas.target.parse(raw.target) as Experiment['target'];
  playbook.fault = target.schemas.fault.parse(raw.fault) as Experiment['fault'];
  for (const g of playbook.guardrails) g.signal = httpSignalSchema.parse(g.signal);
  const playbooks = new Map<string, LoadedPlaybook>([[playbook.name, { file: 'web-latency.yaml', playbook }]]);
  const gameday: LoadedGameDay = { file: 'web-gameday.yaml', gameday: GameDaySpec.parse(parseYaml(gameDayYaml(durations))), inline: durations.map(() => null) };
  const log = new RecordingLog();
  const clock = { now: () => Date.now() };
  const engine = createEngine({
    store,
    targets: new Map([[target.kind, opts.driver ?? target]]),
    signals: new Map([['http', createHttpSource(HttpSignalConfig.parse({}), { log, now: clock.now })]]),
    chat: new RecordingChat(),
    clock,
    log,
    playbooks: () => playbooks,
    gamedays: () => new Map([[gameday.gameday.name, gameday]]),
    // Real HTTP on a loaded machine: a signal gets more time than the fakes' 100 ms, or a busy run reads as blind.
    settings: { ...baseSettings(dir), signalTimeoutMs: 2000, guardrailIntervalMs: 50, gameDayReportTemplate: TEMPLATE },
    random: seededRandom(42),
    schedules: ScheduleSettings.parse({}),
  });
  return { dir, store, engine, target };
}

const bots: Bot[] = [];
afterEach(async () => {
  // The newest first: a restarted bot shares its dir with the one before it.
  for (const b of bots.splice(0).reverse()) {
    await b.engine.runner.settle();
    await b.engine.gamedays.settle();
    b.engine.runner.faults.stop();
    b.store.close();
    if (existsSync(b.dir)) rmSync(b.dir, { recursive: true, force: true });
  }
});
function bot(durations: string[], opts: BotOptions = {}): Bot {
  const b = startBot(durations, opts);
  bots.push(b);
  return b;
}

const chaos = (b: Bot, line: string, actor: Actor) => dispatch(line, { actor, channel: '#gameday', engine: b.engine.facade, log: new RecordingLog() }, commandRegistry());
const gd = (b: Bot, id: string): GameDayRecord => b.engine.gamedays.get(id).record;
const waitGd = (b: Bot, id: string, ok: (r: GameDayRecord) => boolean, what: string) => waitFor(`${id} ${what}`, () => ok(gd(b, id)), 10_000);
const phaseOf = (b: Bot, id: string) => b.engine.experiments.get(id).record.phase;
const readingsOf = (b: Bot, id: string) => b.store.journal(id).filter((e) => e.kind === 'reading').length;

/** The report as the engine wrote it, once the game day has settled. */
async function writtenReport(b: Bot, id: string): Promise<string> {
  await b.engine.runner.settle();
  await b.engine.gamedays.settle();
  const path = gd(b, id).reportPath;
  await waitFor('the report file', () => existsSync(path));
  return readFileSync(path, 'utf8');
}

/** The lines of one `## ` section of the report. */
function section(md: string, title: string): string[] {
  const from = md.indexOf(`## ${title}\n`);
  expect(from).toBeGreaterThanOrEqual(0);
  const rest = md.slice(from + title.length + 4);
  const end = rest.search(/^## /m);
  return (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l.trim() !== '');
}

describe('the game-day report of a day run through the engine', () => {
  it('refusals are one summary line, the timeline reads as sentences, the person who aborted a step is credited, readings carry units', async () => {
    const b = bot(['300ms', '20s', '300ms']);
    const { record } = await b.engine.gamedays.propose({ name: 'web-gameday', actor: alice });
    const id = record.id;
    // The refusals a facilitated day collects: the proposer approving herself (twice), the scribe continuing.
    expect((await chaos(b, `/chaos gameday approve ${id}`, alice)).errorCode).toBe('approval_self');
    expect((await chaos(b, `/chaos gameday approve ${id}`, alice)).errorCode).toBe('approval_self');
    expect((await chaos(b, `/chaos gameday approve ${id}`, bob)).errorCode).toBeUndefined();
    expect((await chaos(b, `/chaos gameday continue ${id}`, dave)).errorCode).toBe('gameday_role');
    await chaos(b, `/chaos gameday continue ${id}`, carol);
    await waitGd(b, id, (r) => r.state !== 'running', 'to finish step 1');
    expect(gd(b, id).state).toBe('checkpoint');
    await chaos(b, `/chaos gameday hold ${id} waiting for the dashboards`, carol);
    await chaos(b, `/chaos gameday continue ${id}`, carol);
    await waitGd(b, id, (r) => r.steps[1]!.experimentId !== null, 'to start step 2');
    const step2 = gd(b, id).steps[1]!.experimentId!;
    await waitFor('step 2 watched', () => phaseOf(b, step2) === 'observing' && readingsOf(b, step2) >= 2, 10_000);
    // bob aborts the step's experiment, not the day: the bot then closes the day.
    expect((await chaos(b, `/chaos abort ${step2} p99 looks wrong`, bob)).errorCode).toBeUndefined();
    await waitGd(b, id, (r) => r.state === 'aborted', 'to stop');
    expect(gd(b, id).closedBy?.by.id).toBe('faultline');

    const md = await writtenReport(b, id);
    const timeline = section(md, 'Timeline');
    const entries = timeline.filter((l) => l.startsWith('- `'));
    expect(entries.length).toBeGreaterThan(8);
    for (const line of entries) {
      expect(line).not.toMatch(/[{}[\]]|"\w+"\s*:/);
      expect(line).not.toMatch(/refused/i);
    }
    expect(timeline).toContain('3 commands were refused: 2 × approval_self by Alice (alice); 1 × gameday_role by dave.');

    expect(md).toMatch(/\*\*Outcome:\*\* Aborted at step 2 \(web-latency \(count:2\)\) by Bob \(bob\) at \S+Z: p99 looks wrong\. 2 of 3 steps ran\./);
    expect(md).toContain('by Bob (bob) — `manual`: p99 looks wrong');

    const rows = md.split('\n').filter((l) => l.startsWith('| p99 latency |') || l.startsWith('| error rate |'));
    expect(rows).toHaveLength(4); // two guardrails, two steps that ran
    expect(rows.filter((l) => l.startsWith('| p99 latency |')).every((l) => /^\| p99 latency \| > 800 ms \| \d+ \| 0 \| 240 ms \| 240 ms \| ok \|$/.test(l))).toBe(true);
    expect(rows.filter((l) => l.startsWith('| error rate |')).every((l) => /^\| error rate \| > 5% \| \d+ \| 0 \| 1\.2% \| 1\.2% \| ok \|$/.test(l))).toBe(true);

    const decisions = section(md, 'Checkpoint decisions').filter((l) => l.startsWith('| ') && !l.startsWith('| Before'));
    expect(decisions.map((l) => l.split(' | ')[1])).toEqual(['**continue**', '**hold**', '**continue**']);
  }, 30_000);

  it('an interrupted day says how long the fault was in with nobody watching, from the last reading to the recovery\'s revert', async () => {
    const target = new MemoryTarget(CANDIDATES);
    const link = target.link();
    const first = bot(['30s', '300ms', '300ms'], { driver: link });
    const { record } = await first.engine.gamedays.propose({ name: 'web-gameday', actor: alice });
    const id = record.id;
    await first.engine.gamedays.approve(id, bob);
    await chaos(first, `/chaos gameday continue ${id}`, carol);
    await waitGd(first, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    const step1 = gd(first, id).steps[0]!.experimentId!;
    await waitFor('step 1 watched', () => phaseOf(first, step1) === 'observing' && readingsOf(first, step1) >= 3, 10_000);
    // The process dies: nothing it sends reaches the target, nothing is journaled; the fault stays in.
    link.sever();
    first.store.close();
    await new Promise((r) => setTimeout(r, 1200));
    expect(target.faultsOf(step1)).toHaveLength(1);

    const again = bot(['30s', '300ms', '300ms'], { reuse: { dir: first.dir, target } });
    expect(again.engine.gamedays.interruptRunning((n) => `the bot restarted during step ${n}`)).toEqual([id]);
    await again.engine.reconcile('startup');
    const md = await writtenReport(again, id);
    expect(again.target.faults.size).toBe(0);

    // What the journal says: the last reading before the recovery's abort, the revert after it.
    const journal = again.store.journal(step1);
    const stop = journal.findIndex((e) => e.kind === 'abort' && e.data.code === 'recovered');
    const lastReading = journal.slice(0, stop).filter((e) => e.kind === 'reading').at(-1)!;
    const revert = journal.slice(stop).find((e) => e.kind === 'reverted')!;
    const unwatchedMs = revert.at - lastReading.at;
    expect(unwatchedMs).toBeGreaterThanOrEqual(1200);
    const seconds = `${Math.round(unwatchedMs / 1000)}s`;

    expect(md).toMatch(new RegExp(`\\*\\*Outcome:\\*\\* Interrupted by faultline \\(bot\\) at \\S+: the bot restarted during step 1\\. 1 of 3 steps ran\\. Step 1's fault was in for ${seconds} with nobody watching\\.`));
    const iso = (at: number) => new Date(at).toISOString().replace(/\.000Z$/, 'Z');
    expect(md).toContain(`**Unwatched:** the fault was in for ${seconds} with nobody watching, from the last guardrail reading at ${iso(lastReading.at)}`);
    expect(md).toContain(`to the revert by the recovery at ${iso(revert.at)}`);
    for (const line of section(md, 'Timeline').filter((l) => l.startsWith('- `'))) expect(line).not.toMatch(/[{}[\]]|"\w+"\s*:/);

    // The same from the store, as a view: the step knows it, the other steps do not.
    const view = buildGameDayReportView(loadGameDayReportInput(again.store, gd(again, id), { postmortemDir: join(again.dir, 'postmortems'), draftedAt: Date.now() }));
    expect(view.steps.map((s) => s.unwatched?.duration ?? null)).toEqual([seconds, null, null]);
    expect(renderGameDayReport(view, readFileSync(TEMPLATE, 'utf8'))).toContain('**Unwatched:**');
  }, 30_000);
});
