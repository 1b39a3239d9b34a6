import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import { createSchedules } from '../../src/engine/schedules/schedule-runner.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { alice, bob, carol, engineFactory, waitFor } from './engine-harness.js';
import { HOUR, MIN, PLAYBOOKS, surroundings, T0 } from './schedule-harness.js';

const GAMEDAY = `
kind: GameDay
name: web-gameday
title: Web tier, weekly
channel: '#gameday'
roles: { commander: carol }
steps:
  - { playbook: web-latency, blastRadius: one, duration: 150ms }
  - { playbook: web-latency, blastRadius: 'count:2', duration: 150ms }
`;

const engine = engineFactory();

/** The real game-day engine behind the schedules' port, over one SQLite file and a clock we move. */
function setup() {
  const clock = new ShiftedClock();
  clock.advance(T0 - 10 * MIN - clock.now());
  const e = engine({ playbooks: PLAYBOOKS, gamedays: [GAMEDAY], clock });
  const { book, runner } = createSchedules({
    ...surroundings(e),
    store: e.store,
    clock,
    log: e.log,
    settings: ScheduleSettings.parse({}),
    random: seededRandom(7),
    gameDays: e.engine.gamedays.forSchedules(),
  });
  const tickAt = (t: number) => {
    clock.advance(t - clock.now());
    return runner.tick(t);
  };
  const chaos = (line: string, actor = alice) => dispatch(line, { actor, channel: '#gameday', engine: e.engine.facade, log: e.log }, commandRegistry());
  return { e, book, tickAt, chaos };
}

describe('a scheduled game day through the real game-day engine', () => {
  it('without a standing approval it is proposed and waits; with one it is approved and step 1 starts, the commander decides the rest', async () => {
    const { e, tickAt, chaos } = setup();
    const added = await chaos('/chaos schedule add web-gameday "0 * * * *"');
    expect(added.errorCode).toBeUndefined();
    const sch = /sch-[0-9a-f]{6}/.exec(added.title!)![0];

    const [first] = await tickAt(T0 + 1_000);
    expect(first).toMatchObject({ outcome: 'fired' });
    const proposed = e.engine.gamedays.get(first!.gameDayId!).record;
    expect(proposed).toMatchObject({ state: 'proposed', scheduleId: sch, proposedBy: { id: 'alice' } });
    await chaos(`/chaos gameday reject ${proposed.id} not today`, bob);

    expect((await chaos(`/chaos schedule approve ${sch} for 7d`, bob)).errorCode).toBeUndefined();
    const [second] = await tickAt(T0 + HOUR + 1_000);
    expect(second).toMatchObject({ outcome: 'fired' });
    const id = second!.gameDayId!;
    await waitFor('step 1 to end', () => e.engine.gamedays.get(id).record.state === 'checkpoint', 5000);
    const r = e.engine.gamedays.get(id).record;
    expect(r.approval?.by.id).toBe('bob');
    expect(r.decisions[0]).toMatchObject({ choice: 'continue', reason: `scheduled start (${sch})` });
    expect(r.steps[0]).toMatchObject({ state: 'completed', verdict: 'held' });

    // While the game day is open it holds its targets: the next slot is skipped, not fired on top of it.
    const [third] = await tickAt(T0 + 2 * HOUR + 1_000);
    expect(third).toMatchObject({ outcome: 'skipped' });
    expect(e.engine.gamedays.list(10)).toHaveLength(2);

    expect((await chaos(`/chaos gameday continue ${id}`, alice)).errorCode).toBe('gameday_role');
    await chaos(`/chaos gameday continue ${id}`, carol);
    await waitFor('the day to complete', () => e.engine.gamedays.get(id).record.state === 'completed', 5000);
    expect(e.target.faults.size).toBe(0);
  });
});
