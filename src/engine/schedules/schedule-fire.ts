import { actorLabel } from '../../core/actor.js';
import { asFaultlineError, FaultlineError, errorText } from '../../core/errors.js';
import { activeFreeze } from '../../core/freeze.js';
import { scopeOf } from '../../core/ladder.js';
import { message } from '../../core/message.js';
import type { AdapterLogger } from '../../core/ports.js';
import { describeCandidate, pickCandidate, scheduleActor, slotSeed, type Choice, type Schedule } from '../../core/schedule.js';
import { standingStatus, type StandingStatus } from '../../core/schedule-standing.js';
import type { ScheduleRun, Store } from '../../store/index.js';
import type { ScheduleBook } from './schedule-book.js';
import type { ScheduledGameDays, ScheduleSurroundings } from './schedule-ports.js';

export interface FireDeps extends ScheduleSurroundings {
  store: Store;
  book: ScheduleBook;
  log: AdapterLogger;
  gameDays?: ScheduledGameDays;
}

/** What became of one slot (also what `tick` returns, for logs and tests). */
export interface SlotResult {
  scheduleId: string;
  slot: number;
  outcome: ScheduleRun['outcome'];
  reason?: string;
  experimentId?: string;
  gameDayId?: string;
  choice?: string;
}

const iso = (t: number) => new Date(t).toISOString();

function choiceData(choice: Choice, s: Schedule, slot: number): Record<string, unknown> {
  return {
    choice: describeCandidate(choice.candidate),
    candidate: choice.candidate,
    index: choice.index,
    of: choice.of,
    rotate: choice.how,
    ...(choice.how === 'random' ? { seed: s.seed, slot } : { turn: s.turn }),
  };
}

/** Best effort: a short line in the schedule's channel; chat being down never holds up a tick. */
function note(deps: FireDeps, s: Schedule, tone: 'info' | 'warning' | 'success' | 'danger', title: string, detail?: string): void {
  try {
    deps.notifier.reply(`schedule:${s.id}`, null, s.channel, message({ title, tone, sections: detail ? [detail] : [] }));
  } catch (err) {
    deps.log.warn({ scheduleId: s.id, err }, 'schedule note not posted');
  }
}

/**
 * Records a slot that is not acted on (frozen, halted, busy, missed). The row, the journal line and
 * the channel note happen only for the call that claimed the slot, so a second tick adds nothing.
 */
export function recordSkip(deps: FireDeps, s: Schedule, slot: number, now: number, reason: string, data: Record<string, unknown> = {}): SlotResult | null {
  const claimed = deps.store.transaction(() => {
    const ok = deps.store.scheduleRuns.claim({ scheduleId: s.id, slot, at: now, outcome: 'skipped', data: { reason, ...data } });
    if (ok) deps.journal.record('schedule-skipped', null, scheduleActor(s), { scheduleId: s.id, slot, reason, ...data });
    return ok;
  });
  if (!claimed) return null;
  deps.log.info({ scheduleId: s.id, slot, reason }, 'scheduled run skipped');
  note(deps, s, 'warning', `Schedule ${s.id} skipped its ${iso(slot)} run`, reason);
  return { scheduleId: s.id, slot, outcome: 'skipped', reason };
}

function recordFailure(deps: FireDeps, s: Schedule, slot: number, now: number, err: unknown, data: Record<string, unknown>, claimed: boolean): SlotResult | null {
  // A refusal keeps its code; anything else is not ours to name (internal_error), the stack goes to the log.
  const code = asFaultlineError(err).code;
  const reason = errorText(err);
  const run = { scheduleId: s.id, slot, at: now, outcome: 'failed' as const, data: { ...data, code, reason } };
  const recorded = deps.store.transaction(() => {
    const ok = claimed ? deps.store.scheduleRuns.settle(run) : deps.store.scheduleRuns.claim(run);
    if (ok) deps.journal.record('schedule-failed', null, scheduleActor(s), { scheduleId: s.id, slot, ...data, code, reason });
    return ok;
  });
  if (!recorded) return null;
  deps.log.warn({ scheduleId: s.id, slot, code, reason }, 'scheduled run failed');
  note(deps, s, 'danger', `Schedule ${s.id}: the ${iso(slot)} run failed (${code})`, reason);
  return { scheduleId: s.id, slot, outcome: 'failed', reason: `${code}: ${reason}` };
}

/** Why the candidate cannot run now because something already holds its targets, or null. */
function busyWith(deps: FireDeps, s: Schedule, scopes: readonly string[]): { reason: string; other: string } | null {
  const live = deps.experiments.active();
  const own = live.find((e) => e.record.scheduleId === s.id);
  if (own) return { reason: `its previous run ${own.record.id} is still ${own.record.state}`, other: own.record.id };
  for (const e of live) {
    const scope = scopeOf(e.record.plan);
    if (!scopes.includes(scope)) continue;
    const by = e.record.scheduleId ? ` (schedule ${e.record.scheduleId})` : e.record.gameDay ? ` (game day ${e.record.gameDay.id})` : '';
    return { reason: `target ${scope} is held by ${e.record.id}${by}, ${e.record.state}`, other: e.record.id };
  }
  const active = deps.gameDays?.activeScopes() ?? [];
  const held = scopes.find((x) => active.includes(x));
  return held ? { reason: `target ${held} is held by a game day in progress`, other: 'gameday' } : null;
}

/** The candidate's target scopes, or the refusal that makes this slot a failure. */
function scopesOf(deps: FireDeps, choice: Choice): string[] {
  const c = choice.candidate;
  if (c.kind === 'playbook') return [scopeOf(deps.book.candidateSpec(c).target)];
  if (!deps.gameDays) throw new FaultlineError('schedule_invalid', `game day ${c.name}: this bot has no game days wired`, { name: c.name });
  if (!deps.gameDays.has(c.name)) throw new FaultlineError('gameday_not_found', `no game day named "${c.name}" is loaded any more`, { name: c.name });
  return deps.gameDays.scopes(c.name);
}

function currentStanding(deps: FireDeps, s: Schedule, now: number): StandingStatus {
  if (!s.standing) return { ok: false, reason: null };
  try {
    return standingStatus(s, { hash: deps.book.specHash(s) }, now);
  } catch (err) {
    return standingStatus(s, { error: errorText(err) }, now);
  }
}

/**
 * One due slot: never during a halt or a freeze, never onto a target something else holds, at most
 * once (the slot is claimed before anything is proposed). With a valid standing approval the run is
 * approved by its grantor and started; otherwise it is proposed and waits for a person.
 */
export async function fireSlot(deps: FireDeps, s: Schedule, slot: number, now: number, late: boolean): Promise<SlotResult | null> {
  const halt = deps.killSwitch.state();
  if (halt) return recordSkip(deps, s, slot, now, `halted by ${halt.by}: ${halt.reason} (/chaos resume lifts it)`, { halt: { by: halt.by, reason: halt.reason } });
  const freeze = activeFreeze(deps.freezes.all(), now);
  if (freeze) {
    return recordSkip(deps, s, slot, now, `frozen until ${iso(freeze.until)}: ${freeze.window.reason} (${freeze.window.id})`, { freeze: freeze.window.id, until: freeze.until });
  }
  const choice = pickCandidate(s, slot);
  const chosen = { ...choiceData(choice, s, slot), ...(late ? { late: true } : {}) };
  let scopes: string[];
  try {
    scopes = scopesOf(deps, choice);
  } catch (err) {
    return recordFailure(deps, s, slot, now, err, chosen, false);
  }
  const busy = busyWith(deps, s, scopes);
  if (busy) return recordSkip(deps, s, slot, now, `${describeCandidate(choice.candidate)} not run: ${busy.reason}`, { ...chosen, busyWith: busy.other });
  const standing = currentStanding(deps, s, now);
  const standingData = standing.ok ? { standing: { by: standing.by.id, expiresAt: standing.expiresAt } } : standing.reason ? { standingVoid: standing.reason } : {};

  const claimed = deps.store.transaction(() => {
    const ok = deps.store.scheduleRuns.claim({ scheduleId: s.id, slot, at: now, outcome: 'fired', data: { ...chosen, ...standingData, state: 'claimed' } });
    if (ok && s.rotate === 'in-turn') deps.book.advanceTurn(s.id);
    return ok;
  });
  if (!claimed) return null;

  const actor = scheduleActor(s);
  const c = choice.candidate;
  let experimentId: string | undefined;
  let gameDayId: string | undefined;
  try {
    if (c.kind === 'gameday') {
      gameDayId = (await deps.gameDays!.launch({ name: c.name, actor, channel: s.channel, scheduleId: s.id, standing: standing.ok ? { by: standing.by } : null })).id;
    } else {
      const entry = await deps.experiments.propose({
        playbook: c.name,
        overrides: c.selector ? { selector: c.selector } : {},
        actor,
        channel: s.channel,
        origin: { scheduleId: s.id, seed: slotSeed(s.seed, slot) },
      });
      experimentId = entry.record.id;
      if (standing.ok) {
        await deps.experiments.approve(experimentId, standing.by);
        await deps.experiments.start(experimentId, actor);
      }
    }
  } catch (err) {
    const where = experimentId ? { experimentId, left: deps.experiments.get(experimentId).record.state } : {};
    return recordFailure(deps, s, slot, now, err, { ...chosen, ...standingData, ...where }, true);
  }

  const started = standing.ok;
  const ran = experimentId ?? gameDayId!;
  const data = { ...chosen, ...standingData, ...(experimentId ? { experimentId } : { gameDayId }), started };
  deps.store.transaction(() => {
    deps.store.scheduleRuns.settle({ scheduleId: s.id, slot, at: now, outcome: 'fired', data });
    deps.journal.record('schedule-fired', null, actor, { scheduleId: s.id, slot, ...data });
  });
  deps.log.info({ scheduleId: s.id, slot, ran, started }, 'scheduled run fired');
  const what = `${describeCandidate(c)}${late ? ', catching up a run missed while the bot was down' : ''}`;
  if (standing.ok) note(deps, s, 'success', `Schedule ${s.id} started ${ran}: ${what}`, `Under the standing approval of ${actorLabel(standing.by)} (until ${iso(standing.expiresAt)}).`);
  else note(deps, s, 'info', `Schedule ${s.id} proposed ${ran}: ${what}`, `Needs an approver${standing.reason ? `: ${standing.reason}` : ' (no standing approval)'}.`);
  return { scheduleId: s.id, slot, outcome: 'fired', choice: describeCandidate(c), ...(experimentId ? { experimentId } : {}), ...(gameDayId ? { gameDayId } : {}) };
}
