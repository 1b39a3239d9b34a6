import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlackPeople, SlackPerson } from '../../src/adapters/chat/slack/people.js';
import { isFaultlineError, type FaultlineError } from '../../src/core/errors.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

let api: SlackApiStandIn;
let clock: number;
let log: RecordingLog;
const TTL = 60 * 60_000;

// The client as the bot builds it, against the stand-in; retries off so a refusal is seen at once.
const people = () => new SlackPeople(new WebClient('xoxb-test', { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 } }), log, TTL, () => clock);
const lookups = () => api.callsTo('users.lookupByEmail');

beforeAll(async () => {
  api = await SlackApiStandIn.start();
  api.setUser('U0ADA', { name: 'ada', displayName: 'Ada L.', realName: 'Ada Lovelace', email: 'ada@example.com' });
  api.setUser('U0GRACE', { name: 'grace', realName: 'Grace Hopper', email: 'Grace.Hopper@example.com' });
  api.setUser('U0GONE', { name: 'gone', email: 'gone@example.com', deleted: true });
});
afterAll(() => api.close());
beforeEach(() => {
  api.calls.length = 0;
  clock = 1_000_000;
  log = new RecordingLog();
});

describe('SlackPeople.byEmail (real WebClient against the Slack stand-in)', () => {
  it('finds the person by email: id and display name, the name then known for their id', async () => {
    const p = people();
    const ada = await p.byEmail('ada@example.com');
    expect(ada).toEqual({ userId: 'U0ADA', name: 'Ada L.' });
    expect(SlackPerson.parse(ada)).toEqual(ada);
    expect(lookups().map((c) => [c.params.email, c.token, c.outcome])).toEqual([['ada@example.com', 'xoxb-test', 'ok']]);
    // Without a display name, the real name; and users.info need not be asked for a name already learned.
    expect(await p.byEmail('grace.hopper@EXAMPLE.com')).toEqual({ userId: 'U0GRACE', name: 'Grace Hopper' });
    expect(p.cached('U0ADA')).toBe('Ada L.');
    expect(await p.displayName('U0GRACE')).toBe('Grace Hopper');
    expect(api.callsTo('users.info')).toEqual([]);
  });

  it('is cached: one request per address (in any case, also when asked at once), again after the TTL', async () => {
    const p = people();
    const [a, b] = await Promise.all([p.byEmail('ada@example.com'), p.byEmail(' ADA@example.com ')]);
    expect(a).toEqual(b);
    expect(await p.byEmail('Ada@Example.com')).toEqual({ userId: 'U0ADA', name: 'Ada L.' });
    expect(lookups()).toHaveLength(1);
    clock += TTL - 1;
    await p.byEmail('ada@example.com');
    expect(lookups()).toHaveLength(1);
    clock += 2;
    await p.byEmail('ada@example.com');
    expect(lookups()).toHaveLength(2);
  });

  it('not found is undefined, never thrown; asked again after a minute', async () => {
    const p = people();
    expect(await p.byEmail('nobody@example.com')).toBeUndefined();
    expect(lookups().map((c) => c.outcome)).toEqual(['error']);
    expect(await p.byEmail('nobody@example.com')).toBeUndefined();
    expect(lookups()).toHaveLength(1);
    // Older references name the error user_not_found: the same answer.
    clock += 60_001;
    api.failNext('users.lookupByEmail', 'user_not_found');
    expect(await p.byEmail('nobody@example.com')).toBeUndefined();
    expect(lookups()).toHaveLength(2);
    // Someone who joins later is found once the minute is over.
    api.setUser('U0NEW', { name: 'newbie', email: 'nobody@example.com' });
    expect(await p.byEmail('nobody@example.com')).toBeUndefined();
    clock += 60_001;
    expect(await p.byEmail('nobody@example.com')).toEqual({ userId: 'U0NEW', name: 'newbie' });
  });

  it('a deactivated account is not found; a blank address asks nothing', async () => {
    const p = people();
    expect(await p.byEmail('gone@example.com')).toBeUndefined();
    expect(log.messages('debug')).toContain('users.lookupByEmail: no active person with that email');
    expect(await p.byEmail('   ')).toBeUndefined();
    expect(lookups()).toHaveLength(1);
  });

  it('a missing scope or Slack down throws adapter_error, remembered by nobody', async () => {
    const p = people();
    api.failNext('users.lookupByEmail', 'missing_scope');
    const err = await p.byEmail('ada@example.com').catch((e: unknown) => e as FaultlineError);
    expect(isFaultlineError(err, 'adapter_error')).toBe(true);
    expect((err as FaultlineError).message).toMatch(/missing_scope.*users:read\.email/);
    expect((err as FaultlineError).details).toMatchObject({ method: 'users.lookupByEmail', slackError: 'missing_scope' });

    api.setDown(true);
    try {
      const down = await p.byEmail('ada@example.com').catch((e: unknown) => e);
      expect(isFaultlineError(down, 'adapter_error')).toBe(true);
      expect((down as Error).message).toMatch(/^Slack users\.lookupByEmail failed: .*503/);
    } finally {
      api.setDown(false);
    }
    // Nothing was cached: the next ask reaches Slack and finds her.
    expect(await p.byEmail('ada@example.com')).toEqual({ userId: 'U0ADA', name: 'Ada L.' });
    expect(lookups()).toHaveLength(3);
  });
});
