import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interactionKey, REPLAY_WINDOW_MS, ReplayGuard, signedRequestOf } from '../../src/adapters/chat/slack/replay-guard.js';
import { interactionFixture } from '../fakes/slack-fixtures.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../store/temp-dir.js';

const T = Date.UTC(2026, 2, 2, 9, 0, 0);
const sec = (ms: number) => Math.floor(ms / 1000);

describe('the Slack replay guard, on the store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let now = T;
  const guard = () => new ReplayGuard(store.seenRequests, () => now);
  beforeEach(() => {
    tmp = tempDir();
    store = openStore({ path: tmp.file() });
    now = T;
  });
  afterEach(() => {
    store.close();
    tmp.cleanup();
  });

  const req = (body: string, tsMs = now, retryNum?: string) =>
    signedRequestOf({ headers: { 'x-slack-request-timestamp': String(sec(tsMs)), ...(retryNum ? { 'x-slack-retry-num': retryNum } : {}) }, rawBody: Buffer.from(body) })!;

  it('identifies a request by what Slack signed: timestamp and body', () => {
    expect(req('a=1').bodyHash).toBe(req('a=1').bodyHash);
    expect(req('a=1').bodyHash).not.toBe(req('a=2').bodyHash);
    expect(req('a=1').bodyHash).not.toBe(req('a=1', T + 1000).bodyHash);
    expect(req('a=1', T, '2')).toMatchObject({ timestampSec: sec(T), retryNum: 2 });
    expect(signedRequestOf({ headers: {}, rawBody: Buffer.from('x') })).toBeUndefined();
  });

  it('acts once; a replay is refused, also by a guard built after a restart; a retry is acknowledged', async () => {
    expect(await guard().request(req('a=1'))).toEqual({ action: 'act' });
    expect(await guard().request(req('a=1'))).toMatchObject({ action: 'refuse', code: 'request_replayed' });
    store.close();
    store = openStore({ path: tmp.file() });
    now = T + 4 * 60_000;
    expect(await guard().request(req('a=1', T))).toMatchObject({ action: 'refuse', code: 'request_replayed' });
    expect(await guard().request(req('a=1', T, '1'))).toEqual({ action: 'ack', why: 'retry of a request already acknowledged' });
  });

  it('refuses a request dated more than five minutes ahead, takes one within', async () => {
    expect(await guard().request(req('f=1', T + REPLAY_WINDOW_MS + 1000))).toMatchObject({ action: 'refuse', code: 'request_future' });
    expect(await guard().request(req('f=2', T + REPLAY_WINDOW_MS - 1000))).toEqual({ action: 'act' });
  });

  it('forgets a request once its timestamp left the window (Bolt refuses it as stale by then)', async () => {
    expect(await guard().request(req('old=1'))).toEqual({ action: 'act' });
    now = T + REPLAY_WINDOW_MS + 1000;
    expect(store.seenRequests.count(now)).toBe(0);
  });

  it('remembers interactions for thirty minutes across restarts', async () => {
    const key = interactionKey({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'approve', action_ts: '1.2' }] })!;
    expect(await guard().firstTime(key)).toBe(true);
    store.close();
    store = openStore({ path: tmp.file() });
    now = T + 29 * 60_000;
    expect(await guard().firstTime(key)).toBe(false);
    now = T + 31 * 60_000;
    expect(await guard().firstTime(key)).toBe(true);
  });

  it('keys a message shortcut ("Add to game day") on its action_ts, team and user: a redelivery adds nothing, another click does', async () => {
    const shortcut = interactionFixture('message-action.add-to-gameday');
    const key = interactionKey(shortcut)!;
    expect(key).toBe('shortcut:T0001:U0CAROL:add_to_gameday:1700000090.412233');
    // Slack re-signs a redelivery and may hand a fresh trigger_id and response_url: the same click all the same.
    expect(interactionKey({ ...shortcut, trigger_id: 'trig.again', response_url: 'https://hooks.slack.com/other' })).toBe(key);
    expect(interactionKey({ ...shortcut, action_ts: '1700000091.000001' })).not.toBe(key);
    expect(interactionKey({ ...shortcut, user: { id: 'U0DAVE', team_id: 'T0001' } })).not.toBe(key);
    expect(interactionKey({ ...shortcut, team: { id: 'T0002' } })).not.toBe(key);
    expect(interactionKey({ ...shortcut, action_ts: undefined })).toBeUndefined();
    expect(await guard().firstTime(key)).toBe(true);
    expect(await guard().firstTime(interactionKey({ ...shortcut, trigger_id: 'trig.again' })!)).toBe(false);
    expect(await guard().firstTime(interactionKey({ ...shortcut, action_ts: '1700000091.000001' })!)).toBe(true);
  });
});
