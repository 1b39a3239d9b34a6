import { randomBytes } from 'node:crypto';
import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { FaultlineError } from '../../core/errors.js';
import type { Experiment } from '../../core/playbook.js';
import { candidatesOf, Schedule, specHash as specHashOf, type Candidate, type ScheduleSettings, type ScheduleTarget, type SelectorOverride } from '../../core/schedule.js';
import { checkCron } from '../../core/schedule-slots.js';
import { grantStanding } from '../../core/schedule-standing.js';
import type { ScheduleRun, Store } from '../../store/index.js';
import type { Journal } from '../journal.js';
import type { ScheduledExperiments, ScheduledGameDays } from './schedule-ports.js';

export interface ScheduleBookDeps {
  experiments: Pick<ScheduledExperiments, 'playbookNames' | 'playbookSpec'>;
  journal: Journal;
  /** The configured approvers: a standing approval is granted by one of them. */
  approvers: readonly string[];
  store: Store;
  clock: Clock;
  settings: ScheduleSettings;
  gameDays?: ScheduledGameDays;
  /** Random source for ids and rotation seeds; tests may pass a fixed one. */
  random?: () => number;
}

export interface AddSchedule {
  names: string[];
  cron: string;
  timeZone?: string;
  rotate?: Schedule['rotate'];
  selectors?: SelectorOverride[];
  catchUp?: boolean;
  channel: string;
}

/** More candidates than this is a typo, not a rotation. */
const MAX_CANDIDATES = 50;

/**
 * The schedules in SQLite: add, pause, resume, remove, standing approvals. SQLite is the only
 * source of truth (the runner reads it every tick); every change is journaled with its actor.
 */
export class ScheduleBook {
  private readonly random: () => number;

  constructor(private readonly deps: ScheduleBookDeps) {
    this.random = deps.random ?? Math.random;
  }

  get settings(): ScheduleSettings {
    return this.deps.settings;
  }

  now(): number {
    return this.deps.clock.now();
  }

  get gameDays(): ScheduledGameDays | undefined {
    return this.deps.gameDays;
  }

  add(input: AddSchedule, actor: Actor): Schedule {
    const targets = input.names.map((n) => this.resolveName(n));
    const seen = new Set<string>();
    for (const t of targets) {
      if (seen.has(t.name)) throw new FaultlineError('schedule_invalid', `names: "${t.name}" is listed twice`, { field: 'names' });
      seen.add(t.name);
    }
    const selectors = input.selectors ?? [];
    const gameDay = targets.find((t) => t.kind === 'gameday');
    if (gameDay && selectors.length > 0) {
      throw new FaultlineError('schedule_invalid', `--target: selector overrides apply to playbooks only; game day ${gameDay.name} has its own steps`, { field: 'target' });
    }
    const timeZone = input.timeZone ?? 'UTC';
    checkCron(input.cron, timeZone);
    const now = this.deps.clock.now();
    const schedule = Schedule.parse({
      id: this.newId(),
      targets,
      selectors,
      cron: input.cron.trim().split(/\s+/).join(' '),
      timeZone,
      rotate: input.rotate ?? 'random',
      catchUp: input.catchUp ?? false,
      channel: input.channel,
      seed: Math.floor(this.random() * 2 ** 31),
      createdBy: actor,
      createdAt: now,
      state: 'active',
      activeSince: now,
      updatedAt: now,
      turn: 0,
      standing: null,
    } satisfies Schedule);
    const count = candidatesOf(schedule).length;
    if (count > MAX_CANDIDATES) throw new FaultlineError('schedule_invalid', `names × --target: ${count} candidates; at most ${MAX_CANDIDATES}`, { field: 'target' });
    for (const c of candidatesOf(schedule)) if (c.kind === 'playbook') this.candidateSpec(c); // playbook_not_found now, not at 3 am
    this.deps.store.transaction(() => {
      this.save(schedule);
      this.deps.journal.record('schedule-added', null, actor, { schedule });
    });
    return schedule;
  }

  private resolveName(name: string): ScheduleTarget {
    if (this.deps.experiments.playbookNames().includes(name)) return { kind: 'playbook', name };
    const gd = this.deps.gameDays;
    if (gd?.has(name)) return { kind: 'gameday', name };
    const known = this.deps.experiments.playbookNames().join(', ') || '(none loaded)';
    const why = gd ? `no playbook or game day named "${name}"` : `no playbook named "${name}" (game days cannot be scheduled: this bot has no game days wired)`;
    throw new FaultlineError('playbook_not_found', `${why}; playbooks: ${known}`, { name, field: 'names' });
  }

  private newId(): string {
    for (;;) {
      const id = `sch-${randomBytes(3).toString('hex')}`;
      if (!this.deps.store.schedules.get(id)) return id;
    }
  }

  private save(s: Schedule): void {
    this.deps.store.schedules.save({ id: s.id, name: s.targets.map((t) => t.name).join(','), state: s.state, updatedAt: s.updatedAt, data: s });
  }

  find(id: string): Schedule | undefined {
    const row = this.deps.store.schedules.get(id);
    return row ? Schedule.parse(row.data) : undefined;
  }

  get(id: string): Schedule {
    const s = this.find(id);
    if (!s) throw new FaultlineError('schedule_not_found', `no schedule ${id}; /chaos schedule list shows them`, { scheduleId: id });
    return s;
  }

  /** Newest change first; removed ones only when asked. */
  list(opts: { removed?: boolean } = {}): Schedule[] {
    const states = opts.removed ? ['active', 'paused', 'removed'] : ['active', 'paused'];
    return this.deps.store.schedules.list({ states }).map((r) => Schedule.parse(r.data));
  }

  /** The active schedules; a row that no longer parses is reported to `onInvalid` and left out, never blocking the rest. */
  active(onInvalid: (id: string, problem: string) => void = () => {}): Schedule[] {
    const out: Schedule[] = [];
    for (const row of this.deps.store.schedules.list({ states: ['active'] })) {
      const parsed = Schedule.safeParse(row.data);
      if (parsed.success) out.push(parsed.data);
      else onInvalid(row.id, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    }
    return out;
  }

  pause(id: string, actor: Actor): Schedule {
    return this.change(id, actor, 'schedule-paused', (s) => {
      if (s.state !== 'active') throw notIn(s, 'active', 'pause');
      return { ...s, state: 'paused' };
    });
  }

  /** Slots that passed while paused are neither fired nor called missed. */
  resume(id: string, actor: Actor): Schedule {
    return this.change(id, actor, 'schedule-resumed', (s, now) => {
      if (s.state !== 'paused') throw notIn(s, 'paused', 'resume');
      return { ...s, state: 'active', activeSince: now };
    });
  }

  /** Keeps the schedule and its runs on record; it never fires again. */
  remove(id: string, actor: Actor): Schedule {
    return this.change(id, actor, 'schedule-removed', (s) => {
      if (s.state === 'removed') throw notIn(s, 'active or paused', 'remove');
      return { ...s, state: 'removed', standing: null };
    });
  }

  approve(id: string, actor: Actor, forMs?: number): Schedule {
    const current = this.get(id);
    const hash = this.specHash(current);
    const st = this.deps.settings;
    return this.change(id, actor, 'schedule-standing-granted', (s, now) => ({
      ...s,
      standing: grantStanding(s, {
        actor,
        approvers: this.deps.approvers,
        ...(forMs !== undefined ? { forMs } : {}),
        defaultMs: st.standingApprovalDefault,
        maxMs: st.standingApprovalMax,
        specHash: hash,
        now,
      }),
    }));
  }

  /** Anyone may take a standing approval away: fewer runs without a person is never less safe. */
  revoke(id: string, actor: Actor): { schedule: Schedule; had: boolean } {
    let had = false;
    const schedule = this.change(id, actor, 'schedule-standing-revoked', (s) => {
      had = s.standing !== null;
      return { ...s, standing: null };
    });
    return { schedule, had };
  }

  /** Re-reads the schedule, applies `fn` and saves, journaling `kind` in the same transaction. */
  private change(id: string, actor: Actor, kind: string, fn: (s: Schedule, now: number) => Schedule): Schedule {
    return this.deps.store.transaction(() => {
      const before = this.get(id);
      const now = this.deps.clock.now();
      const after = Schedule.parse({ ...fn(before, now), updatedAt: now });
      this.save(after);
      this.deps.journal.record(kind, null, actor, { scheduleId: id, state: after.state, ...(after.standing && kind.includes('standing') ? { standing: after.standing } : {}) });
      return after;
    });
  }

  /** The runner's bookkeeping (the in-turn counter): no journal line of its own, the run has one. */
  advanceTurn(id: string): void {
    const s = this.get(id);
    this.save({ ...s, turn: s.turn + 1 });
  }

  runs(id: string, limit = 10): ScheduleRun[] {
    this.get(id);
    return this.deps.store.scheduleRuns.list(id, limit);
  }

  /** A candidate's playbook after its selector override (a copy); throws `playbook_not_found`. */
  candidateSpec(c: Extract<Candidate, { kind: 'playbook' }>): Experiment {
    const spec = this.deps.experiments.playbookSpec(c.name);
    if (c.selector) spec.target.selector = { ...c.selector };
    return spec;
  }

  /** What a standing approval binds to: every candidate's spec after overrides (game days: their own hash). */
  specParts(s: Schedule): unknown[] {
    return candidatesOf(s).map((c) => {
      if (c.kind === 'playbook') return { kind: c.kind, name: c.name, selector: c.selector, spec: this.candidateSpec(c) };
      if (!this.deps.gameDays) throw new FaultlineError('schedule_invalid', `game day ${c.name}: this bot has no game days wired`, { name: c.name });
      return { kind: c.kind, name: c.name, hash: this.deps.gameDays.specHash(c.name) };
    });
  }

  specHash(s: Schedule): string {
    return specHashOf(this.specParts(s));
  }
}

function notIn(s: Schedule, wanted: string, verb: string): FaultlineError {
  return new FaultlineError('illegal_transition', `schedule ${s.id} is ${s.state}; ${verb} needs it ${wanted}`, { scheduleId: s.id, state: s.state });
}
