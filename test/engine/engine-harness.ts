import { afterEach } from 'vitest';
import type { EngineDeps } from '../../src/engine/engine-deps.js';
import type { TargetDriver } from '../../src/core/ports.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Actor } from '../../src/core/actor.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import type { Clock } from '../../src/core/clock.js';
import type { ExperimentState } from '../../src/core/experiment.js';
import { Experiment } from '../../src/core/playbook.js';
import type { EngineSettings } from '../../src/engine/engine-deps.js';
import type { ExperimentService } from '../../src/engine/experiments/experiment-service.js';
import { createEngine, type Engine as BuiltEngine } from '../../src/engine/index.js';
import type { ScheduleSettings as ScheduleSettingsType } from '../../src/core/schedule.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import type { ReconcileReport } from '../../src/engine/experiments/reconcile.js';
import type { LoadedGameDay, LoadedPlaybook } from '../../src/playbooks/load-playbooks.js';
import { GameDaySpec, isInlineStep } from '../../src/core/gameday.js';
import { openStore, type Store, type StoredEvent } from '../../src/store/index.js';
import { MemoryTarget, memoryTarget } from '../fakes/memory-target.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { ScriptedSignal } from '../fakes/scripted-signal.js';

export const TEMPLATE = fileURLToPath(new URL('../../templates/postmortem.md.hbs', import.meta.url));

export const alice: Actor = { id: 'alice', team: 'T1', name: 'Alice' };
export const bob: Actor = { id: 'bob', team: 'T1', name: 'Bob' };
export const carol: Actor = { id: 'carol', team: 'T1', name: 'Carol' };
export const mallory: Actor = { id: 'mallory', team: 'T1', name: 'bob' };

/** web-1..4, db-1..2, cache-1: a selector picks by `service`. */
export const CANDIDATES = [
  memoryTarget('web-1', { service: 'web', namespace: 'shop' }),
  memoryTarget('web-2', { service: 'web', namespace: 'shop' }),
  memoryTarget('web-3', { service: 'web', namespace: 'shop' }),
  memoryTarget('web-4', { service: 'web', namespace: 'shop' }),
  memoryTarget('db-1', { service: 'db', namespace: 'data' }),
  memoryTarget('db-2', { service: 'db', namespace: 'data' }),
  memoryTarget('cache-1', { service: 'cache', namespace: 'data' }),
];

/** Signals every playbook below reads: `success` (steady state, ok when >= 0.99) and `errors` (guardrail, breaks when > 0.05). */
export const HEALTHY = { success: 1, errors: 0 };

export interface PlaybookOptions {
  name?: string;
  service?: string;
  blastRadius?: string;
  duration?: string;
  fault?: 'latency' | 'kill';
  for?: string;
  maxUnknown?: number;
}

/** A playbook as YAML text, the way people write them. */
export function playbookYaml(o: PlaybookOptions = {}): string {
  return `
kind: Experiment
name: ${o.name ?? 'web-latency'}
hypothesis: If some ${o.service ?? 'web'} replicas slow down, the error rate stays under 5 %
owner: team-${o.service ?? 'web'}
channel: '#chaos'
target:
  adapter: memory
  selector: { service: ${o.service ?? 'web'} }
  blastRadius: ${o.blastRadius ?? 'percent:50'}
fault:
  type: ${o.fault ?? 'latency'}
  parameters: { ms: 250 }
  duration: ${o.duration ?? '400ms'}
steadyState:
  - name: success rate
    signal: { source: scripted, key: success }
    comparison: '>='
    threshold: 0.99
guardrails:
  - name: error rate
    signal: { source: scripted, key: errors }
    comparison: '>'
    threshold: 0.05
${o.for ? `    for: ${o.for}\n` : ''}maxUnknown: ${o.maxUnknown ?? 3}
`;
}

/** Parses with the core `Experiment` schema, then the fake target's and the signal's own schemas. */
export function parsePlaybook(source: string | Record<string, unknown>, target: MemoryTarget, signal: ScriptedSignal): Experiment {
  const raw = (typeof source === 'string' ? parseYaml(source) : source) as Record<string, unknown>;
  const playbook = Experiment.parse(raw);
  playbook.target = target.schemas.target.parse(raw.target) as Experiment['target'];
  playbook.fault = target.schemas.fault.parse(raw.fault) as Experiment['fault'];
  for (const item of [...playbook.steadyState, ...playbook.guardrails]) item.signal = signal.schema.parse(item.signal);
  return playbook;
}

/** A game day from YAML, inline steps parsed like `parsePlaybook` (kind and name filled in as the loader does). */
export function parseGameDay(text: string, target: MemoryTarget, signal: ScriptedSignal): LoadedGameDay {
  const gameday = GameDaySpec.parse(parseYaml(text));
  const inline = gameday.steps.map((step, i) =>
    isInlineStep(step) ? parsePlaybook({ kind: 'Experiment', name: `${gameday.name}-step-${i + 1}`, channel: gameday.channel, ...step.experiment }, target, signal) : null,
  );
  return { file: `${gameday.name}.yaml`, gameday, inline };
}

export interface EngineOptions {
  /** Reuse a store file (a "restart"); default: a fresh one in a fresh temp dir. */
  dir?: string;
  target?: MemoryTarget;
  /** How this engine reaches the target (default: the target itself); `target.link()` can be severed like a dead process. */
  driver?: TargetDriver;
  signal?: ScriptedSignal;
  chat?: RecordingChat;
  clock?: Clock;
  settings?: Partial<EngineSettings>;
  playbooks?: PlaybookOptions[];
  incidents?: EngineDeps['incidents'];
  /** Who is on call (the on-call handshake asks them). */
  onCalls?: EngineDeps['onCalls'];
  metrics?: EngineDeps['metrics'];
  /** `kind: GameDay` documents as YAML text; inline steps are checked like playbooks. */
  gamedays?: string[];
  /** Approvers beyond the configured list (an approver group). */
  extraApprovers?: EngineDeps['extraApprovers'];
  /** The schedules' settings (default: the config's defaults). */
  scheduleSettings?: ScheduleSettingsType;
}

export interface Engine {
  dir: string;
  dbPath: string;
  store: Store;
  /** The engine as createEngine built it: its parts and the facade commands see. */
  engine: BuiltEngine;
  /** The experiments API (`engine.experiments`). */
  service: ExperimentService;
  target: MemoryTarget;
  signal: ScriptedSignal;
  chat: RecordingChat;
  log: RecordingLog;
  clock: Clock;
  settings: EngineSettings;
  playbooks: Map<string, LoadedPlaybook>;
  gamedays: Map<string, LoadedGameDay>;
  /** propose (alice) + approve (bob) + start (alice); returns the id. */
  launch(playbook?: string): Promise<string>;
  proposeApproved(playbook?: string): Promise<string>;
  reconcile(mode?: 'startup' | 'running'): Promise<ReconcileReport>;
  journal(id: string): StoredEvent[];
  kinds(id: string): string[];
  waitForPhase(id: string, phase: string, timeoutMs?: number): Promise<void>;
  waitForState(id: string, state: ExperimentState, timeoutMs?: number): Promise<void>;
  /** Waits for every run to finish, then closes the store (the temp dir stays for `cleanup`). */
  close(): Promise<void>;
  cleanup(): void;
}

export function baseSettings(dir: string): EngineSettings {
  return {
    approval: { approvers: ['alice', 'bob', 'carol'], ttlMs: 60_000 },
    proposalTtlMs: 3_600_000,
    protection: { namespaces: ['kube-system'], labels: ['faultline.dev/protected=true'], names: [] },
    caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 3, maxDurationMs: 60_000 },
    guardrailIntervalMs: 20,
    signalTimeoutMs: 100,
    statusIntervalMs: 30,
    postcheckTimeoutMs: 150,
    targetTimeoutMs: 1000,
    postmortemTemplate: TEMPLATE,
    postmortemDir: join(dir, 'postmortems'),
  };
}

export async function waitFor(what: string, probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 3));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A real SQLite store in a temp dir, the real ExperimentService, and the fakes of our own ports. */
export function makeEngine(opts: EngineOptions = {}): Engine {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'faultline-engine-'));
  const dbPath = join(dir, 'faultline.db');
  const store = openStore({ path: dbPath });
  const target = opts.target ?? new MemoryTarget(CANDIDATES);
  const signal = opts.signal ?? new ScriptedSignal(HEALTHY);
  const chat = opts.chat ?? new RecordingChat();
  const log = new RecordingLog();
  const clock: Clock = opts.clock ?? { now: () => Date.now() };
  const settings = { ...baseSettings(dir), ...opts.settings };
  const playbooks = new Map<string, LoadedPlaybook>();
  for (const p of opts.playbooks ?? [{}]) {
    const playbook = parsePlaybook(playbookYaml(p), target, signal);
    playbooks.set(playbook.name, { file: `${playbook.name}.yaml`, playbook });
  }
  const gamedays = new Map<string, LoadedGameDay>();
  for (const text of opts.gamedays ?? []) {
    const loaded = parseGameDay(text, target, signal);
    gamedays.set(loaded.gameday.name, loaded);
  }
  const built = createEngine({
    store,
    targets: new Map([[target.kind, opts.driver ?? target]]),
    signals: new Map([[signal.kind, signal]]),
    chat,
    clock,
    log,
    playbooks: () => playbooks,
    gamedays: () => gamedays,
    settings,
    random: seededRandom(42),
    ...(opts.incidents ? { incidents: opts.incidents } : {}),
    ...(opts.onCalls ? { onCalls: opts.onCalls } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.extraApprovers ? { extraApprovers: opts.extraApprovers } : {}),
    schedules: opts.scheduleSettings ?? ScheduleSettings.parse({}),
  });
  const service = built.experiments;
  const state = (id: string) => service.get(id).record;
  const engine: Engine = {
    dir,
    dbPath,
    store,
    engine: built,
    service,
    target,
    signal,
    chat,
    log,
    clock,
    settings,
    playbooks,
    gamedays,
    async proposeApproved(playbook = 'web-latency') {
      const { record } = await service.propose({ playbook, actor: alice });
      await service.approve(record.id, bob);
      return record.id;
    },
    async launch(playbook = 'web-latency') {
      const id = await engine.proposeApproved(playbook);
      await service.start(id, alice);
      return id;
    },
    reconcile: (mode) => built.reconcile(mode),
    journal: (id) => store.journal(id),
    kinds: (id) => store.journal(id).map((e) => e.kind),
    waitForPhase: (id, phase, timeoutMs) => waitFor(`${id} to reach phase ${phase}`, () => state(id).phase === phase, timeoutMs),
    waitForState: (id, s, timeoutMs) => waitFor(`${id} to reach state ${s}`, () => state(id).state === s, timeoutMs),
    async close() {
      await built.runner.settle();
      built.runner.faults.stop();
      built.onCalls.stop();
      await built.gamedays.settle();
      store.close();
    },
    cleanup() {
      store.close();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
  return engine;
}

/** Awaits `p` and returns the coded error it was refused with (fails the test if it resolved). */
export async function refusal(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? 'uncoded', message: e.message };
  }
  throw new Error('expected a refusal, but the call succeeded');
}

/**
 * `makeEngine` for one test file: every engine made through it is settled and cleaned up after each
 * test. `defaults` are merged under each call's options (settings merged field by field).
 */
export function engineFactory(defaults: EngineOptions = {}): (o?: EngineOptions) => Engine {
  const made: Engine[] = [];
  afterEach(async () => {
    for (const e of made.splice(0)) {
      await e.engine.runner.settle();
      await e.engine.gamedays.settle();
      e.engine.runner.faults.stop();
      e.cleanup();
    }
  });
  return (o = {}) => {
    const e = makeEngine({ ...defaults, ...o, settings: { ...defaults.settings, ...o.settings } });
    made.push(e);
    return e;
  };
}
